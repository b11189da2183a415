"""Benchmark of the SQL store on PostgreSQL: what it costs next to the database it sits on.

Run it with ``make bench-store`` (or ``DATABASE_URL=postgresql://... .venv/bin/python
bench/store.py``; ``--quick`` for a short smoke run). It creates a scratch database beside the
one ``DATABASE_URL`` names, migrates it, and drops it at the end; the named database itself is
only used to issue CREATE/DROP DATABASE. In one run it prints, side by side:

- writes: raw single-row autocommit INSERTs of the store's object JSON into a plain table,
  then ``SqlStore.create`` and ``SqlStore.guaranteed_update``, each with the same number of
  client processes (spawned, so no GIL is shared) for the same time;
- list latency of a whole kind at 1,000, 10,000 and 100,000 Pods (median of several runs, with
  the bare SQL fetch, a first page of 500 and a kubelet-style node selector beside it). The
  rows are bulk-loaded with COPY exactly as ``create`` would have written them (checked
  against a real ``create`` first), so growth shows without waiting for 100,000 creates;
- commit-to-delivery latency of watch events with 1,000 watchers on one asyncio loop in this
  process while a writer process commits at a steady rate: kubelet-like (watcher i selects
  ``spec.nodeName=node-i``, 200 writes/s) and broadcast (every watcher sees every Pod, 20
  writes/s). The writer stamps each write with ``time.time()`` when its commit returns; a
  watcher's task stamps the event when it receives it;
- peak memory (max RSS) of this process after each phase, and of each kind of client process.

Other work on the machine skews every figure, so the load average and other databases' active
sessions are printed at the start and the end.

It ends with ``RESULT create_per_s=.. raw_insert_per_s=.. ratio=.. list10k_ms=..
watch_p99_ms=..`` (watch_p99_ms is the kubelet-like scenario). Targets are printed next to
the figures; missing one does not fail the run. Every loop is bounded in count and time.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import random
import resource
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import psycopg

# ``python bench/store.py`` puts bench/ on the path, not the repository root; spawned children
# inherit this path.
REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from bench.common import (  # noqa: E402
    CHILD_START_TIMEOUT,
    MAX_OPS_PER_CLIENT,
    TIMESTAMP,
    ClientReport,
    Throughput,
    admin_database_url,
    as_stored,
    copy_in,
    dumps,
    machine_load,
    make_pod,
    median,
    object_row,
    own_peak_rss_mib,
    peak_rss_mib,
    percentile,
    postgres_settings,
    run_clients,
    say,
    scratch_database,
    setup_django,
    throughput,
    verdict,
)
from cluster.store import Key, Object, SqlStore  # noqa: E402
from cluster.store.hub import HubWatcher  # noqa: E402
from cluster.store.selectors import FieldSelector, parse_field_selector  # noqa: E402

SCRATCH_DB = "pilothouse_bench"
CLIENTS = 4
NODES = 1000
WATCHERS = 1000
NAMESPACES = 20
TARGET_RATIO = 0.25
TARGET_LIST10K_MS = 300.0
TARGET_WATCH_P99_MS = 50.0
DELIVERY_GRACE = 10.0


@dataclass(frozen=True)
class Plan:
    """How long each phase runs; ``--quick`` shrinks everything for a smoke run."""

    write_seconds: float = 8.0
    list_sizes: tuple[int, ...] = (1_000, 10_000, 100_000)
    watch_seconds: float = 10.0
    kubelet_rate: float = 200.0
    broadcast_rate: float = 20.0


QUICK = Plan(write_seconds=2.0, list_sizes=(1_000, 10_000), watch_seconds=3.0)


# -- objects --


def bump_restarts(pod: Object) -> Object:
    """A kubelet-style status update: the container restarted once more."""
    status = pod["status"]["containerStatuses"][0]
    status["restartCount"] += 1
    return pod


# -- client processes --


def raw_insert_client(
    index: int, ready: Any, start: Any, results: Any, url: str, payload: str, seconds: float
) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SELECT 1")
        ready.put(index)
        start.wait(CHILD_START_TIMEOUT)
        latencies: list[float] = []
        began = time.time()
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline and len(latencies) < MAX_OPS_PER_CLIENT:
            t = time.perf_counter()
            conn.execute("INSERT INTO bench_raw (data) VALUES (%s)", (payload,))
            latencies.append((time.perf_counter() - t) * 1000)
        results.put(ClientReport(index, began, time.time(), latencies, own_peak_rss_mib()))


def create_client(index: int, ready: Any, start: Any, results: Any, seconds: float) -> None:
    setup_django()
    store = SqlStore()
    store.current_revision()  # open the connection before the clock starts
    ready.put(index)
    start.wait(CHILD_START_TIMEOUT)
    latencies: list[float] = []
    began = time.time()
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline and len(latencies) < MAX_OPS_PER_CLIENT:
        n = len(latencies)
        key = Key("Pod", "bench", f"c{index}-{n:07d}")
        pod = make_pod(key.name, key.namespace, f"node-{n % NODES}")
        t = time.perf_counter()
        store.create(key, pod)
        latencies.append((time.perf_counter() - t) * 1000)
    results.put(ClientReport(index, began, time.time(), latencies, own_peak_rss_mib()))


def update_client(
    index: int, ready: Any, start: Any, results: Any, created: int, seconds: float
) -> None:
    """guaranteed_update of the pods this client index created, round robin: no conflicts."""
    setup_django()
    store = SqlStore()
    store.current_revision()
    ready.put(index)
    start.wait(CHILD_START_TIMEOUT)
    latencies: list[float] = []
    began = time.time()
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline and len(latencies) < MAX_OPS_PER_CLIENT:
        key = Key("Pod", "bench", f"c{index}-{len(latencies) % created:07d}")
        t = time.perf_counter()
        store.guaranteed_update(key, bump_restarts)
        latencies.append((time.perf_counter() - t) * 1000)
    results.put(ClientReport(index, began, time.time(), latencies, own_peak_rss_mib()))


def watch_writer(
    index: int,
    ready: Any,
    start: Any,
    results: Any,
    namespace: str,
    rate: float,
    seconds: float,
) -> None:
    """Alternately create a pod on a random node and update one created earlier, at ``rate``.

    Reports (revision, time.time() right after the commit returned) for every write.
    """
    setup_django()
    store = SqlStore()
    rng = random.Random(index)
    store.current_revision()
    ready.put(index)
    start.wait(CHILD_START_TIMEOUT)
    commits: list[tuple[int, float]] = []
    latencies: list[float] = []
    created: list[Key] = []
    began = time.time()
    for n in range(round(rate * seconds)):
        delay = began + n / rate - time.time()
        if delay > 0:
            time.sleep(delay)
        t = time.perf_counter()
        if n % 2 == 0 or not created:
            key = Key("Pod", namespace, f"w-{n:06d}")
            obj = store.create(key, make_pod(key.name, namespace, f"node-{rng.randrange(NODES)}"))
            created.append(key)
        else:
            obj = store.guaranteed_update(rng.choice(created), bump_restarts)
        commits.append((int(obj["metadata"]["resourceVersion"]), time.time()))
        latencies.append((time.perf_counter() - t) * 1000)
    results.put(ClientReport(index, began, time.time(), latencies, own_peak_rss_mib(), commits))


# -- phases --


def write_phase(plan: Plan, scratch_url: str, payload: str) -> list[Throughput]:
    with psycopg.connect(scratch_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE bench_raw (id bigserial PRIMARY KEY, data text NOT NULL)")
    seconds = plan.write_seconds
    raw = run_clients(raw_insert_client, CLIENTS, scratch_url, payload, seconds, seconds=seconds)
    creates = run_clients(create_client, CLIENTS, seconds, seconds=seconds)
    per_client = min(r.ops for r in creates)
    if per_client == 0:
        raise RuntimeError("a create client created nothing, so there is nothing to update")
    updates = run_clients(update_client, CLIENTS, per_client, seconds, seconds=seconds)
    return [
        throughput("raw INSERT (autocommit)", raw),
        throughput("store create", creates),
        throughput("store guaranteed_update", updates),
    ]


@dataclass(frozen=True)
class ListTiming:
    objects: int
    load_s: float
    full_ms: float
    sql_ms: float
    page_ms: float
    node_ms: float
    node_items: int


def truncate_store() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE store_object, store_event, store_meta")


def check_row_layout(store: SqlStore) -> None:
    """Fail unless the bulk loader writes byte-for-byte the rows ``create`` writes."""
    from django.db import connection

    key = Key("Pod", "layout", "layout-check")
    stored = store.create(key, make_pod(key.name, key.namespace, "node-0"))
    meta = stored["metadata"]
    mine = as_stored(
        make_pod(key.name, key.namespace, "node-0"),
        uid=meta["uid"],
        created=meta["creationTimestamp"],
        revision=int(meta["resourceVersion"]),
    )
    expected = object_row(store, key, mine)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT kind, namespace, name, uid, resource_version, labels::text, fields::text, "
            "data FROM store_object WHERE kind = %s AND namespace = %s AND name = %s",
            list(key),
        )
        row = cursor.fetchone()
        cursor.execute("SELECT type, object, prev_object FROM store_event")
        events = cursor.fetchall()
    assert row is not None
    got = (*row[:5], orjson.loads(row[5]), orjson.loads(row[6]), row[7])
    want = (*expected[:5], orjson.loads(expected[5]), orjson.loads(expected[6]), expected[7])
    if got != want or events != [("ADDED", expected[7], None)]:
        raise RuntimeError(f"bulk rows would differ from the store's:\n{got}\n{want}\n{events}")


def bulk_load(store: SqlStore, conn: psycopg.Connection[Any], first: int, stop: int) -> None:
    """Add pods ``first``..``stop``-1 with the rows and ADDED events ``create`` would write."""
    copy_in(store, conn, (_stored_pod(i) for i in range(first, stop)))


def _stored_pod(i: int) -> tuple[Key, Object]:
    key = Key("Pod", f"ns-{i % NAMESPACES:02d}", f"pod-{i:06d}")
    pod = as_stored(
        make_pod(key.name, key.namespace, f"node-{i % NODES}"),
        uid=str(uuid.uuid4()),
        created=TIMESTAMP,
        revision=i + 1,
    )
    return key, pod


def timed_ms(action: Callable[[], object], runs: int) -> float:
    """Median wall time of ``action`` over ``runs`` runs, after one untimed warm-up run."""
    action()
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        action()
        samples.append((time.perf_counter() - t) * 1000)
    return median(samples)


def check_lists(store: SqlStore, size: int, node_selector: FieldSelector) -> int:
    """Fail unless lists see every loaded pod; return how many the node selector matches.

    The results are dropped before anything is timed, so they do not enlarge the heap that the
    garbage collector walks during the timed lists.
    """
    result = store.list("Pod")
    if len(result.items) != size or result.revision != size:
        raise RuntimeError(
            f"expected {size} pods at revision {size}, "
            f"got {len(result.items)} at revision {result.revision}"
        )
    first_page = store.list("Pod", limit=500)
    if len(first_page.items) != 500 or not first_page.continue_token:
        raise RuntimeError("the first page of 500 is not a full page with a continuation")
    return len(store.list("Pod", field_selector=node_selector).items)


def list_phase(plan: Plan, store: SqlStore, scratch_url: str) -> list[ListTiming]:
    from django.db import connection

    truncate_store()
    check_row_layout(store)
    truncate_store()
    node_selector = parse_field_selector("spec.nodeName=node-7")

    def full() -> None:
        store.list("Pod")

    def bare_sql() -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT namespace, name, data FROM store_object WHERE kind = 'Pod' "
                "ORDER BY namespace, name"
            )
            cursor.fetchall()

    def page() -> None:
        store.list("Pod", limit=500)

    def node() -> None:
        store.list("Pod", field_selector=node_selector)

    timings = []
    loaded = 0
    with psycopg.connect(scratch_url, autocommit=True) as conn:
        for size in plan.list_sizes:
            t = time.perf_counter()
            bulk_load(store, conn, loaded, size)
            load_s = time.perf_counter() - t
            loaded = size
            node_items = check_lists(store, size, node_selector)
            runs = 3 if size > 10_000 else 5
            timings.append(
                ListTiming(
                    objects=size,
                    load_s=load_s,
                    full_ms=timed_ms(full, runs),
                    sql_ms=timed_ms(bare_sql, runs),
                    page_ms=timed_ms(page, 5),
                    node_ms=timed_ms(node, 5),
                    node_items=node_items,
                )
            )
            say(
                f"  loaded {size:>7,} pods in {load_s:5.1f} s; full list "
                f"{timings[-1].full_ms:8.1f} ms; peak RSS {peak_rss_mib(resource.RUSAGE_SELF):.0f}"
                " MiB"
            )
    return timings


# No repr: on Python 3.11, asyncio.run formats its main task, result included, when it restores
# the SIGINT handler, and a repr of 200,000 deliveries takes a noticeable while.
@dataclass(repr=False)
class Deliveries:
    """What the watchers' tasks received: (revision, time.time() on receipt) per event."""

    received: list[tuple[int, float]] = field(default_factory=list)
    misrouted: int = 0
    errors: int = 0


@dataclass(frozen=True)
class WatchOutcome:
    label: str
    rate: float
    writes: int
    achieved_rate: float
    write_p50_ms: float
    expected: int
    delivered: int
    unexpected: int
    errors: int
    setup_s: float
    deliveries_per_s: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    writer_peak_rss_mib: float


async def drain(watcher: HubWatcher, node: str | None, sink: Deliveries) -> None:
    """Receive events until the stream ends or the task is cancelled.

    No timeout: a timed wait per watcher would add thousands of timer wake-ups a second to the
    loop being measured. ``run_watchers`` bounds the task by cancelling it.
    ``node`` is the one node this watcher selected, if any.
    """
    while True:
        batch = await watcher.anext_batch()
        now = time.time()
        if not batch:
            return
        for event in batch:
            if event["type"] == "ERROR":
                sink.errors += 1
                return
            if event["type"] == "BOOKMARK":
                continue
            obj = event["object"]
            if node is not None and obj["spec"]["nodeName"] != node:
                sink.misrouted += 1
            sink.received.append((int(obj["metadata"]["resourceVersion"]), now))


async def run_watchers(
    watchers: list[tuple[HubWatcher, str | None]],
    namespace: str,
    rate: float,
    seconds: float,
    fanout: int,
) -> tuple[Deliveries, ClientReport]:
    loop = asyncio.get_running_loop()
    sink = Deliveries()
    tasks = [asyncio.create_task(drain(w, node, sink)) for w, node in watchers]
    try:
        await asyncio.sleep(0)
        writer = functools.partial(run_clients, watch_writer, 1, namespace, rate, seconds)
        reports = await loop.run_in_executor(None, functools.partial(writer, seconds=seconds))
        expected = reports[0].ops * fanout
        grace = loop.time() + DELIVERY_GRACE
        while len(sink.received) < expected and loop.time() < grace:
            await asyncio.sleep(0.05)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return sink, reports[0]


def watch_phase(
    store: SqlStore, label: str, *, per_node: bool, rate: float, seconds: float
) -> WatchOutcome:
    t = time.perf_counter()
    # Watches are opened before the event loop starts: Django refuses sync queries inside one.
    watchers: list[tuple[HubWatcher, str | None]] = []
    for i in range(WATCHERS):
        node = f"node-{i}" if per_node else None
        selector = parse_field_selector(f"spec.nodeName={node}") if node else None
        watchers.append((store.watch("Pod", field_selector=selector), node))
    setup_s = time.perf_counter() - t
    fanout = 1 if per_node else WATCHERS
    try:
        sink, writer = asyncio.run(run_watchers(watchers, f"watch-{label}", rate, seconds, fanout))
    finally:
        for watcher, _ in watchers:
            watcher.stop()
    committed = dict(writer.commits)
    latencies = [
        (received - committed[revision]) * 1000
        for revision, received in sink.received
        if revision in committed
    ]
    elapsed = writer.finished - writer.started
    return WatchOutcome(
        label=label,
        rate=rate,
        writes=writer.ops,
        achieved_rate=writer.ops / elapsed,
        write_p50_ms=median(writer.latencies_ms),
        expected=writer.ops * fanout,
        delivered=len(latencies),
        unexpected=len(sink.received) - len(latencies) + sink.misrouted,
        errors=sink.errors,
        setup_s=setup_s,
        deliveries_per_s=len(latencies) / elapsed,
        p50_ms=median(latencies),
        p99_ms=percentile(latencies, 99),
        max_ms=max(latencies, default=float("nan")),
        writer_peak_rss_mib=writer.peak_rss_mib,
    )


# -- the run --


def report_writes(rows: list[Throughput], ratio: float) -> None:
    say(f"{'':26}{'ops':>8}{'ops/s':>10}{'p50 ms':>9}{'p99 ms':>9}")
    for r in rows:
        say(f"{r.label:26}{r.ops:>8,}{r.per_s:>10,.0f}{r.p50_ms:>9.2f}{r.p99_ms:>9.2f}")
    say(
        f"create/raw ratio {ratio:.3f}  "
        f"(target >= {TARGET_RATIO}: {verdict(ratio >= TARGET_RATIO)})"
    )


def report_lists(rows: list[ListTiming]) -> None:
    say(
        f"{'pods':>8}{'full list':>11}{'per 1k':>9}{'bare SQL':>10}{'limit=500':>11}"
        f"{'nodeName=':>11}   (ms, median)"
    )
    for r in rows:
        say(
            f"{r.objects:>8,}{r.full_ms:>11.1f}{r.full_ms / r.objects * 1000:>9.2f}"
            f"{r.sql_ms:>10.1f}{r.page_ms:>11.1f}{r.node_ms:>11.1f}   "
            f"(node selector matched {r.node_items})"
        )


def report_watch(w: WatchOutcome, target: bool) -> None:
    say(
        f"{w.label:9} {w.writes:>5} writes at {w.achieved_rate:6.1f}/s (asked {w.rate:.0f}/s, "
        f"write p50 {w.write_p50_ms:.1f} ms); {WATCHERS} watchers opened in {w.setup_s:.2f} s"
    )
    say(
        f"{'':9} delivered {w.delivered:,}/{w.expected:,} ({w.deliveries_per_s:,.0f}/s), "
        f"unexpected {w.unexpected}, errors {w.errors}; commit-to-delivery p50 "
        f"{w.p50_ms:.1f} ms, p99 {w.p99_ms:.1f} ms, max {w.max_ms:.1f} ms"
        + (
            f"  (target p99 <= {TARGET_WATCH_P99_MS:.0f}: "
            f"{verdict(w.p99_ms <= TARGET_WATCH_P99_MS)})"
            if target
            else ""
        )
    )


def benchmark(plan: Plan, scratch_url: str) -> None:
    started = time.perf_counter()
    payload = dumps(
        as_stored(
            make_pod("pod-000000", "ns-00", "node-0"),
            uid=str(uuid.uuid4()),
            created=TIMESTAMP,
            revision=123456,
        )
    )
    say("Pilothouse store benchmark (PostgreSQL)")
    say("  " + "  ".join(f"{k}={v}" for k, v in postgres_settings()))
    say(
        f"  {CLIENTS} client processes (spawn) per write phase, {plan.write_seconds:.0f} s each; "
        f"stored Pod JSON {len(payload)} bytes; {os.cpu_count()} CPUs"
    )
    say(f"  at start: {machine_load()}")

    say("\n== writes: single-row transactions, same payload, same clients ==")
    writes = write_phase(plan, scratch_url, payload)
    raw, creates = writes[0], writes[1]
    ratio = creates.per_s / raw.per_s
    report_writes(writes, ratio)
    rss = [("after writes", peak_rss_mib(resource.RUSAGE_SELF))]

    store = SqlStore()
    try:
        say("\n== list: every Pod of the kind, bulk-loaded as create would write them ==")
        lists = list_phase(plan, store, scratch_url)
        report_lists(lists)
        list10k = next((r.full_ms for r in lists if r.objects == 10_000), float("nan"))
        say(
            f"full list of 10,000: {list10k:.1f} ms  (target <= {TARGET_LIST10K_MS:.0f}: "
            f"{verdict(list10k <= TARGET_LIST10K_MS)})"
        )
        rss.append(("after lists", peak_rss_mib(resource.RUSAGE_SELF)))

        say(f"\n== watch: {WATCHERS} watchers on one asyncio loop, writer in its own process ==")
        kubelet = watch_phase(
            store, "kubelet", per_node=True, rate=plan.kubelet_rate, seconds=plan.watch_seconds
        )
        report_watch(kubelet, target=True)
        broadcast = watch_phase(
            store,
            "broadcast",
            per_node=False,
            rate=plan.broadcast_rate,
            seconds=plan.watch_seconds,
        )
        report_watch(broadcast, target=False)
        rss.append(("after watches", peak_rss_mib(resource.RUSAGE_SELF)))
    finally:
        store.close()

    say("\n== memory ==")
    say("peak RSS of the benchmark process: " + ", ".join(f"{w} {m:.0f} MiB" for w, m in rss))
    clients = [(t.label, t.client_peak_rss_mib) for t in writes]
    clients += [(f"watch writer ({w.label})", w.writer_peak_rss_mib) for w in (kubelet, broadcast)]
    say("peak RSS of one client process: " + ", ".join(f"{w} {m:.0f} MiB" for w, m in clients))
    say(f"at end: {machine_load()}; total time {time.perf_counter() - started:.0f} s")
    say(
        f"RESULT create_per_s={creates.per_s:.0f} raw_insert_per_s={raw.per_s:.0f} "
        f"ratio={ratio:.3f} list10k_ms={list10k:.1f} watch_p99_ms={kubelet.p99_ms:.1f}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="short phases, lists up to 10k")
    args = parser.parse_args()
    plan = QUICK if args.quick else Plan()

    admin_url = admin_database_url("bench/store.py", SCRATCH_DB)
    if admin_url is None:
        return 2
    with scratch_database(admin_url, SCRATCH_DB) as scratch_url:
        benchmark(plan, scratch_url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
