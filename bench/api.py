"""Benchmark of the Kubernetes API over HTTPS: what serving costs on top of the store.

Run it with ``make bench-api`` (or ``DATABASE_URL=postgresql://... .venv/bin/python
bench/api.py``; ``--quick`` for a short smoke run). Like ``bench/store.py``, whose helpers it
shares (``bench/common.py``), it works in a scratch database beside the one ``DATABASE_URL``
names (its own, so that both benchmarks may run at once) and its clients are spawned
processes. It starts the real server, ``manage.py runapi`` with a data dir of its own on a free
loopback port (``tests/serving.py``), and talks to it as kubectl does: HTTPS trusting the
generated CA, the admin token of the kubeconfig runapi wrote, and one keep-alive connection per
client process (``http.client.HTTPSConnection``). In one run it prints:

- creates: POSTs of a Pod manifest (spec only, as a ReplicationController sends it; distinct
  names) from CLIENTS processes for a fixed time to a server with SERVER_WORKERS workers, and
  ``SqlStore.create`` of the very object the API stored (same JSON, same database server) from
  as many processes for as long. The two alternate over a few rounds; the medians give the
  ratio. The CPU time each API worker used shows how evenly the connections were spread;
- create latency at a paced 100 creates/s from CLIENTS processes, counted from when each
  request was due, so that a slow answer delays the next one's clock instead of hiding it (the
  time from sending to the answer is printed beside it);
- GET of single pods and LIST of a namespace holding 1,000 pods (no limit, as kubectl without
  chunking), one client, one request at a time;
- memory: a second server with a single worker process (so that every watch reaches the same
  one), 1,000 kubelet-style watches (``/api/v1/pods?fieldSelector=spec.nodeName=node-<i>``,
  ``resourceVersion`` set, bookmarks allowed) held open by one asyncio process, then 10,000
  running pods written with COPY (the fast path) so that the worker's watch cache holds 10,000
  pods' worth of events, ten for each watch. VmRSS of that worker from /proc after start-up,
  with the watches open, with the cache full. The watches open in batches, and only while
  PostgreSQL, which other engineers' tests share, keeps PG_HEADROOM connections free after
  the database sessions the server has so far taken per watch.

The clients share the machine's CPUs with the server and PostgreSQL, and the machine is shared
with other engineers' test runs, so the load average is printed at the start and the end, and
every run says where its CPU time went per operation while the clients worked: the clients'
own timed work, the API workers, PostgreSQL (all of it, backends that exited included) and the
rest of the machine's busy time. With those the creates section says how many CPUs the HTTP
creates would keep busy at the target ratio: where that exceeds the machine's CPUs, the target
cannot be met on this machine at these costs, however the work is scheduled. It
ends with ``RESULT http_create_per_s=.. store_create_per_s=.. ratio=.. create_p99_ms=..
list1k_p99_ms=.. worker_rss_mb=..`` (create_p99_ms is the paced one; worker_rss_mb is VmRSS in
MiB with the cache full, ``nan`` unless all 1,000 watches were open). Targets are printed next
to the figures; missing one does not fail the run. Every loop is bounded in count and time, and
every process started is stopped.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import copy
import http.client
import math
import multiprocessing
import os
import random
import ssl
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import orjson
import psycopg
import yaml

# ``python bench/api.py`` puts bench/ on the path, not the repository root; spawned children
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
    machine_load,
    make_pod,
    median,
    own_peak_rss_mib,
    percentile,
    postgres_settings,
    receive,
    run_clients,
    say,
    scratch_database,
    setup_django,
    throughput,
    verdict,
)
from cluster.store import Key, Object, SqlStore  # noqa: E402
from cluster.store.writes import NOTIFY_CHANNEL  # noqa: E402
from tests.serving import running_api, server_env  # noqa: E402

SCRATCH_DB = "pilothouse_bench_api"
CLIENTS = 4
SERVER_WORKERS = 2
PACED_RATE = 100.0
LIST_PODS = 1_000
WATCHES = 1_000
CACHE_PODS = 10_000  # the watch hub's ring size (SqlStore's default)
TARGET_RATIO = 0.5
TARGET_CREATE_P99_MS = 50.0
TARGET_RSS_MIB = 300.0
# Namespaces: one per phase, so that every list and watch sees only its own pods.
HTTP_NS, STORE_NS, PACED_NS, LIST_NS, WATCH_NS = (
    "bench-http",
    "bench-store",
    "bench-paced",
    "bench-list",
    "bench-watch",
)
# Upper bounds that keep every wait finite whatever the machine's speed.
REQUEST_TIMEOUT = 60.0
WATCH_OPEN_CONCURRENCY = 50
WATCH_BATCH = 50
PG_HEADROOM = 30  # PostgreSQL connections the watch phase leaves for everyone else
WATCH_OPEN_TIMEOUT = 180.0
WATCH_SERVER_TIMEOUT = 900  # timeoutSeconds of each watch: the server ends it by itself too
DELIVERY_TIMEOUT = 60.0
# uvicorn closes a keep-alive connection after 5 idle seconds; a client that waited longer
# than this for the start reconnects first, so that no timed request pays for a handshake.
IDLE_RECONNECT_SECONDS = 2.0


@dataclass(frozen=True)
class Plan:
    """How long each phase runs; ``--quick`` shrinks everything for a smoke run."""

    rounds: int = 3
    create_seconds: float = 5.0
    paced_seconds: float = 10.0
    gets: int = 1_000
    lists: int = 50
    read_seconds: float = 20.0


QUICK = Plan(rounds=1, create_seconds=2.0, paced_seconds=3.0, gets=200, lists=10, read_seconds=5.0)


# -- pods --


def pod_manifest(name: str, namespace: str) -> Object:
    """``make_pod`` as a ReplicationController posts it: not yet scheduled, no status."""
    pod = make_pod(name, namespace, "")
    del pod["status"]
    del pod["spec"]["nodeName"]
    return pod


def running_pod(created: Object, key: Key, node: str, revision: int) -> Object:
    """``created`` (a pod as the API stored it) as ``key``, bound to ``node`` and Running."""
    pod = copy.deepcopy(created)
    pod["metadata"]["name"] = key.name
    pod["metadata"]["namespace"] = key.namespace
    pod["spec"]["nodeName"] = node
    status = make_pod(key.name, key.namespace, node)["status"]
    if "qosClass" in pod["status"]:
        status["qosClass"] = pod["status"]["qosClass"]
    pod["status"] = status
    return as_stored(pod, uid=str(uuid.uuid4()), created=TIMESTAMP, revision=revision)


def load_running_pods(
    store: SqlStore, scratch_url: str, created: Object, namespace: str, count: int, nodes: int
) -> None:
    """Write ``count`` running pods ``<namespace>/p-<i>`` on ``nodes`` nodes with COPY.

    The fast path: rows and events exactly as the API would have stored them, in one
    transaction, then a NOTIFY that wakes every watch cache as a write would.
    """
    first = store.current_revision() + 1
    pods = (
        (key, running_pod(created, key, f"node-{i % nodes}", first + i))
        for i in range(count)
        for key in [Key("Pod", namespace, f"p-{i:05d}")]
    )
    with psycopg.connect(scratch_url, autocommit=True) as conn:
        copy_in(store, conn, pods)
        conn.execute("SELECT pg_notify(%s, %s)", (NOTIFY_CHANNEL, str(first + count - 1)))
    if store.current_revision() != first + count - 1:
        raise RuntimeError("something else wrote to the store while pods were being loaded")


# -- talking to the API --


@dataclass(frozen=True)
class Endpoint:
    """Where the API listens and how to call it, from the kubeconfig runapi wrote."""

    host: str
    port: int
    ca_pem: str
    token: str

    @classmethod
    def from_kubeconfig(cls, path: Path) -> Endpoint:
        config = yaml.safe_load(path.read_text())
        cluster = config["clusters"][0]["cluster"]
        url = urlsplit(cluster["server"])
        if url.scheme != "https" or url.hostname is None or url.port is None:
            raise RuntimeError(f"expected an https://host:port server in {path}")
        ca_pem = base64.b64decode(cluster["certificate-authority-data"]).decode()
        return cls(url.hostname, url.port, ca_pem, config["users"][0]["user"]["token"])

    def ssl_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cadata=self.ca_pem)


class ApiClient:
    """One keep-alive HTTPS connection, as a kubectl or client-go transport holds one."""

    def __init__(self, endpoint: Endpoint) -> None:
        self._conn = http.client.HTTPSConnection(
            endpoint.host, endpoint.port, timeout=REQUEST_TIMEOUT, context=endpoint.ssl_context()
        )
        self._headers = {
            "Authorization": f"Bearer {endpoint.token}",
            "Accept": "application/json",
            "Content-Type": "application/json",
            "User-Agent": "pilothouse-bench-api",
        }
        self._used = time.monotonic()

    def call(self, method: str, path: str, body: bytes | None = None, *, expect: int) -> bytes:
        """The response body; fails unless the status is ``expect``."""
        self._conn.request(method, path, body=body, headers=self._headers)
        response = self._conn.getresponse()
        data = response.read()
        self._used = time.monotonic()
        if response.status != expect:
            raise RuntimeError(f"{method} {path} answered {response.status}: {data[:500]!r}")
        return data

    def fresh(self) -> None:
        """Reconnect now if the server may have closed the connection while it sat idle."""
        if time.monotonic() - self._used > IDLE_RECONNECT_SECONDS:
            self._conn.close()
            self._conn.connect()
            self._used = time.monotonic()

    def close(self) -> None:
        self._conn.close()


@contextlib.contextmanager
def api_client(endpoint: Endpoint) -> Iterator[ApiClient]:
    client = ApiClient(endpoint)
    try:
        yield client
    finally:
        client.close()


def pods_path(namespace: str, name: str = "") -> str:
    return f"/api/v1/namespaces/{namespace}/pods" + (f"/{name}" if name else "")


def timed(op: Callable[[int], object], seconds: float, limit: int, index: int) -> ClientReport:
    """Run ``op(0)``, ``op(1)``, ... for ``seconds`` or ``limit`` calls, as client ``index``."""
    latencies: list[float] = []
    began, cpu = time.time(), time.process_time()
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline and len(latencies) < limit:
        t = time.perf_counter()
        op(len(latencies))
        latencies.append((time.perf_counter() - t) * 1000)
    cpu = time.process_time() - cpu
    return ClientReport(index, began, time.time(), latencies, own_peak_rss_mib(), cpu_s=cpu)


# -- client processes (see ``run_clients``) --


def http_create_client(
    index: int,
    ready: Any,
    start: Any,
    results: Any,
    endpoint: Endpoint,
    prefix: str,
    seconds: float,
) -> None:
    """POST pods one after another on one connection for ``seconds``."""
    with api_client(endpoint) as client:
        client.call("GET", f"/api/v1/namespaces/{HTTP_NS}", expect=200)  # handshake, token
        ready.put(index)
        start.wait(CHILD_START_TIMEOUT)
        client.fresh()

        def create(n: int) -> None:
            body = orjson.dumps(pod_manifest(f"{prefix}-{index}-{n:06d}", HTTP_NS))
            client.call("POST", pods_path(HTTP_NS), body, expect=201)

        report = timed(create, seconds, MAX_OPS_PER_CLIENT, index)
    results.put(report)


def store_create_client(
    index: int,
    ready: Any,
    start: Any,
    results: Any,
    created: Object,
    prefix: str,
    seconds: float,
) -> None:
    """``SqlStore.create`` of ``created``, the pod as the API stored it, under new names."""
    setup_django()
    store = SqlStore()
    store.current_revision()  # open the connection before the clock starts
    ready.put(index)
    start.wait(CHILD_START_TIMEOUT)

    def create(n: int) -> None:
        store.create(Key("Pod", STORE_NS, f"{prefix}-{index}-{n:06d}"), created)

    results.put(timed(create, seconds, MAX_OPS_PER_CLIENT, index))


@dataclass(frozen=True)
class PacedReport(ClientReport):
    """A paced client's report: ``latencies_ms`` count from when each request was due."""

    service_ms: list[float] = field(default_factory=list)
    """From when each request was sent to its answer."""


def paced_create_client(
    index: int,
    ready: Any,
    start: Any,
    results: Any,
    endpoint: Endpoint,
    clients: int,
    seconds: float,
) -> None:
    """POST at PACED_RATE / clients per second, staggered with the other clients.

    A latency counts from when the request was due, not from when it was sent: a client that
    falls behind its schedule sees its backlog in its latencies, as a controller would. A
    client that has not sent everything after twice ``seconds`` stops there.
    """
    rate = PACED_RATE / clients
    with api_client(endpoint) as client:
        client.call("GET", f"/api/v1/namespaces/{PACED_NS}", expect=200)
        ready.put(index)
        start.wait(CHILD_START_TIMEOUT)
        client.fresh()
        latencies: list[float] = []
        service: list[float] = []
        began, origin = time.time(), time.perf_counter() + index / PACED_RATE
        cpu = time.process_time()
        for n in range(round(rate * seconds)):
            if time.perf_counter() > origin + 2 * seconds:
                break
            due = origin + n / rate
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            body = orjson.dumps(pod_manifest(f"paced-{index}-{n:06d}", PACED_NS))
            sent = time.perf_counter()
            client.call("POST", pods_path(PACED_NS), body, expect=201)
            done = time.perf_counter()
            latencies.append((done - due) * 1000)
            service.append((done - sent) * 1000)
        cpu = time.process_time() - cpu
    rss = own_peak_rss_mib()
    report = PacedReport(index, began, time.time(), latencies, rss, cpu_s=cpu, service_ms=service)
    results.put(report)


def read_client(
    index: int,
    ready: Any,
    start: Any,
    results: Any,
    endpoint: Endpoint,
    paths: list[str],
    count: int,
    seconds: float,
) -> None:
    """GET ``paths`` in turn, one at a time, ``count`` times or for ``seconds``."""
    with api_client(endpoint) as client:
        client.call("GET", paths[0], expect=200)  # warm-up, untimed
        ready.put(index)
        start.wait(CHILD_START_TIMEOUT)
        client.fresh()
        report = timed(
            lambda n: client.call("GET", paths[n % len(paths)], expect=200), seconds, count, index
        )
    results.put(report)


# -- the watch holder: up to 1,000 HTTPS watch streams on one asyncio loop --


@dataclass(frozen=True)
class Opened:
    """What one batch of watch requests came to."""

    opened: int
    seconds: float
    failures: list[str]


@dataclass(frozen=True)
class Held:
    """What the open watches received until they were closed."""

    added: int
    bookmarks: int
    unexpected: int
    ended_early: int
    peak_rss_mib: float


@dataclass
class Tally:
    added: int = 0
    bookmarks: int = 0
    unexpected: int = 0
    ended_early: int = 0

    def count(self, event_type: str) -> None:
        if event_type == "ADDED":
            self.added += 1
        elif event_type == "BOOKMARK":
            self.bookmarks += 1
        else:
            self.unexpected += 1


def watch_holder(
    batches: Any, progress: Any, stop: Any, results: Any, received: Any, endpoint: Endpoint
) -> None:
    """Open a watch per path of each list on ``batches`` (None: no more), answering each with
    an ``Opened`` on ``progress``; count ADDED events into ``received`` until ``stop``; then
    close every stream and put a ``Held`` on ``results``."""
    results.put(asyncio.run(_hold_watches(batches, progress, stop, received, endpoint)))


async def _hold_watches(
    batches: Any, progress: Any, stop: Any, received: Any, endpoint: Endpoint
) -> Held:
    loop = asyncio.get_running_loop()
    context = endpoint.ssl_context()
    gate = asyncio.Semaphore(WATCH_OPEN_CONCURRENCY)
    tally = Tally()
    writers: list[asyncio.StreamWriter] = []
    tasks: list[asyncio.Task[None]] = []
    try:
        while True:
            paths = await loop.run_in_executor(None, batches.get, True, WATCH_OPEN_TIMEOUT)
            if paths is None:
                break
            t = time.perf_counter()
            outcomes = await asyncio.gather(
                *(_open_watch(endpoint, context, gate, path) for path in paths),
                return_exceptions=True,
            )
            failures = []
            for outcome in outcomes:
                if isinstance(outcome, BaseException):
                    failures.append(repr(outcome))
                    continue
                reader, writer = outcome
                writers.append(writer)
                tasks.append(asyncio.create_task(_count_events(reader, tally)))
            progress.put(Opened(len(paths) - len(failures), time.perf_counter() - t, failures[:3]))
        deadline = loop.time() + DELIVERY_TIMEOUT + CHILD_START_TIMEOUT
        while not stop.is_set() and loop.time() < deadline:
            received.value = tally.added
            await asyncio.sleep(0.05)
    finally:
        # Readers first, so that closing their streams does not count as a stream ending.
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for writer in writers:
            writer.transport.abort()
    return Held(
        tally.added, tally.bookmarks, tally.unexpected, tally.ended_early, own_peak_rss_mib()
    )


async def _open_watch(
    endpoint: Endpoint, context: ssl.SSLContext, gate: asyncio.Semaphore, path: str
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    async with gate:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(endpoint.host, endpoint.port, ssl=context), REQUEST_TIMEOUT
        )
        request = (
            f"GET {path} HTTP/1.1\r\nHost: {endpoint.host}:{endpoint.port}\r\n"
            f"Authorization: Bearer {endpoint.token}\r\nAccept: application/json\r\n"
            "User-Agent: pilothouse-bench-api\r\n\r\n"
        )
        writer.write(request.encode())
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), REQUEST_TIMEOUT)
    if not head.startswith(b"HTTP/1.1 200 ") or b"transfer-encoding: chunked" not in head.lower():
        writer.transport.abort()
        raise RuntimeError(f"watch {path} answered {head[:300]!r}")
    return reader, writer


async def _count_events(reader: asyncio.StreamReader, tally: Tally) -> None:
    """Count the events of one chunked watch stream (JSON lines) until it ends."""
    pending = b""
    while True:
        size_line = await reader.readline()
        size = int(size_line.split(b";")[0], 16) if size_line.strip() else 0
        if size == 0:
            tally.ended_early += 1
            return
        chunk = await reader.readexactly(size + 2)  # the chunk and its CRLF
        *lines, pending = (pending + chunk[:-2]).split(b"\n")
        for line in lines:
            if line:
                tally.count(orjson.loads(line)["type"])


# -- the server's processes --


def _processes() -> dict[int, tuple[int, list[str]]]:
    """Every process: pid -> (parent pid, command line)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            argv = (entry / "cmdline").read_bytes().decode(errors="replace").split("\0")
            stat = (entry / "stat").read_text()
            found[int(entry.name)] = (int(stat.rpartition(")")[2].split()[1]), argv)
    return found


def api_workers(port: int, workers: int) -> list[int]:
    """The pids serving ``port``: runapi's uvicorn workers, or runapi itself if it has one."""
    deadline = time.monotonic() + CHILD_START_TIMEOUT
    while time.monotonic() < deadline:
        procs = _processes()
        runapi = [
            pid
            for pid, (_, argv) in procs.items()
            if "runapi" in argv and f"127.0.0.1:{port}" in argv
        ]
        if runapi and workers == 1:
            return runapi
        children = sorted(
            pid
            for pid, (parent, argv) in procs.items()
            if runapi and parent == runapi[0] and any("spawn_main" in arg for arg in argv)
        )
        if len(children) == workers:
            return children
        time.sleep(0.2)
    raise RuntimeError(f"cannot find the {workers} worker process(es) of runapi on port {port}")


def _stat_fields(pid: int | str) -> list[str]:
    """/proc/<pid>/stat from the process state on (the name before it may hold spaces)."""
    return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time ``pid`` has used."""
    fields = _stat_fields(pid)
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_cpu_seconds() -> float:
    """CPU time of every PostgreSQL process, with the backends that have exited.

    A backend's time moves into the postmaster's children's time (cutime, cstime) when it
    exits, so a session that ends during a run (a store client's) is still counted. The
    server is shared: other databases' work is in there too.
    """
    ticks = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            if (entry / "comm").read_text().strip() == "postgres":
                fields = _stat_fields(entry.name)
                ticks += sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def machine_cpu_seconds() -> float:
    """CPU time the whole machine spent busy (not idle, not waiting for I/O), all CPUs."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return (sum(values[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def memory_mib(pid: int, field: str = "VmRSS") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/{pid}/status")


# -- phases --


class CpuMeter:
    """CPU seconds of the API workers, of PostgreSQL and of the whole machine (busy, all CPUs)
    between ``start`` and ``stop``."""

    def __init__(self, workers: list[int]) -> None:
        self.workers = workers
        self._before: list[float] = []
        self._spent: list[float] = []

    def _read(self) -> list[float]:
        workers = [cpu_seconds(pid) for pid in self.workers]
        return [*workers, postgres_cpu_seconds(), machine_cpu_seconds()]

    def start(self) -> None:
        self._before = self._read()

    def stop(self) -> None:
        self._spent = [a - b for a, b in zip(self._read(), self._before, strict=True)]

    def spent(self) -> tuple[list[float], float, float]:
        """(each worker's, PostgreSQL's, the machine's) CPU seconds."""
        *workers, postgres, machine = self._spent
        return workers, postgres, machine


@dataclass(frozen=True)
class Run:
    """One run of clients, with the CPU seconds spent while they worked."""

    result: Throughput
    worker_cpu_s: list[float]
    postgres_cpu_s: float
    machine_cpu_s: float
    reports: list[ClientReport]

    def cpu_per_op_ms(self) -> dict[str, float]:
        """Where each operation's CPU time went, in ms: the clients' timed work, the API
        workers, PostgreSQL, and the rest of the machine's busy time (interrupt work for the
        loopback traffic, runapi's supervisor, this script, other engineers' processes)."""
        ops = self.result.ops or 1
        clients = sum(r.cpu_s for r in self.reports)
        workers = sum(self.worker_cpu_s)
        rest = self.machine_cpu_s - clients - workers - self.postgres_cpu_s
        parts = {
            "clients": clients,
            "API workers": workers,
            "PostgreSQL": self.postgres_cpu_s,
            "rest": rest,
        }
        return {name: seconds / ops * 1000 for name, seconds in parts.items()}


def measured(
    label: str,
    workers: list[int],
    target: Callable[..., None],
    count: int,
    *args: Any,
    seconds: float,
) -> Run:
    """``run_clients(target, count, *args, seconds=seconds)``, with the CPU times spent while
    the clients worked."""
    meter = CpuMeter(workers)
    reports = run_clients(target, count, *args, seconds=seconds, meter=meter)
    return Run(throughput(label, reports), *meter.spent(), reports)


def prepare(endpoint: Endpoint) -> Object:
    """Create the benchmark's namespaces and one pod; return that pod as the API stored it."""
    with api_client(endpoint) as client:
        for name in (HTTP_NS, STORE_NS, PACED_NS, LIST_NS, WATCH_NS):
            namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
            client.call("POST", "/api/v1/namespaces", orjson.dumps(namespace), expect=201)
        manifest = orjson.dumps(pod_manifest("template", HTTP_NS))
        created: Object = orjson.loads(
            client.call("POST", pods_path(HTTP_NS), manifest, expect=201)
        )
    return created


def create_phase(plan: Plan, endpoint: Endpoint, workers: list[int], created: Object) -> list[Run]:
    """Store creates and HTTP creates, alternating, ``plan.rounds`` times each."""
    seconds = plan.create_seconds
    runs: list[Run] = []
    for r in range(1, plan.rounds + 1):
        store_run = measured(
            f"store create (round {r})",
            workers,
            store_create_client,
            CLIENTS,
            created,
            f"s{r}",
            seconds,
            seconds=seconds,
        )
        http_run = measured(
            f"HTTP POST    (round {r})",
            workers,
            http_create_client,
            CLIENTS,
            endpoint,
            f"h{r}",
            seconds,
            seconds=seconds,
        )
        runs += [store_run, http_run]
    return runs


def free_connections() -> int:
    """How many more clients PostgreSQL accepts (the whole server, not only our database)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('max_connections')::int "
            "- current_setting('superuser_reserved_connections')::int - count(*) "
            "FROM pg_stat_activity WHERE backend_type = 'client backend'"
        )
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def sessions() -> int:
    """PostgreSQL sessions on the benchmark's database, this process's own included."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def threads(pid: int) -> int:
    return len(list(Path(f"/proc/{pid}/task").iterdir()))


@dataclass(frozen=True)
class Watching:
    """How opening the watches went, and what it cost the worker and PostgreSQL."""

    opened: int
    seconds: float
    failures: list[str]
    stopped: str
    """Why fewer than WATCHES were asked for ("" if all were)."""
    sessions: tuple[int, int]
    """PostgreSQL sessions on the benchmark's database before and with the watches."""
    threads: tuple[int, int]
    """The worker's threads before and with the watches."""


def open_watches(
    batches: Any, progress: Any, holder: Any, paths: list[str], worker: int
) -> Watching:
    """Have the holder open ``paths`` in batches while PostgreSQL can spare the connections.

    The machine's PostgreSQL serves other engineers' tests too. A server that holds a database
    connection per watch must not leave those tests with "too many clients", so each batch is
    only sent if PostgreSQL could take the sessions it may add (at first one per watch, then
    as many as the watches opened so far added each) and keep PG_HEADROOM free.
    """
    before = sessions(), threads(worker)
    opened, seconds, failures, stopped = 0, 0.0, [], ""
    per_watch = 1.0
    for first in range(0, len(paths), WATCH_BATCH):
        batch_paths = paths[first : first + WATCH_BATCH]
        free, needed = free_connections(), math.ceil(per_watch * len(batch_paths))
        if free - needed < PG_HEADROOM:
            stopped = (
                f"PostgreSQL had {free} free connections; the next {len(batch_paths)} watches "
                f"may take {needed} (the server holds {per_watch:.2f} per watch so far) and "
                f"{PG_HEADROOM} are kept free for others"
            )
            break
        batches.put(batch_paths)
        batch: Opened = receive(progress, [holder], WATCH_OPEN_TIMEOUT)
        opened, seconds, failures = opened + batch.opened, seconds + batch.seconds, batch.failures
        if failures:
            stopped = "the server refused watches"
            break
        if opened:
            per_watch = max(0, sessions() - before[0]) / opened
    batches.put(None)
    return Watching(
        opened, seconds, failures, stopped, (before[0], sessions()), (before[1], threads(worker))
    )


@dataclass(frozen=True)
class Memory:
    started_mib: float
    watching_mib: float
    full_mib: float
    peak_mib: float
    watching: Watching
    deliver_s: float
    held: Held


def memory_phase(store: SqlStore, scratch_url: str, created: Object, data_dir: Path) -> Memory:
    """VmRSS of a one-worker server: at rest, holding WATCHES watches, with its cache full."""
    env = server_env(data_dir, database_url=scratch_url)
    with running_api(env, workers=1) as server:
        endpoint = Endpoint.from_kubeconfig(server.kubeconfig)
        (worker,) = api_workers(endpoint.port, 1)
        with api_client(endpoint) as client:  # a first list loads what every request needs
            listed = orjson.loads(client.call("GET", "/api/v1/pods?limit=1", expect=200))
        revision = quote(listed["metadata"]["resourceVersion"])
        started = memory_mib(worker)
        paths = [
            f"/api/v1/pods?watch=1&resourceVersion={revision}&allowWatchBookmarks=true"
            f"&fieldSelector=spec.nodeName%3Dnode-{i}&timeoutSeconds={WATCH_SERVER_TIMEOUT}"
            for i in range(WATCHES)
        ]
        ctx = multiprocessing.get_context("spawn")
        batches, progress, results, stop = ctx.Queue(), ctx.Queue(), ctx.Queue(), ctx.Event()
        received = ctx.Value("q", 0)
        holder = ctx.Process(
            target=watch_holder,
            args=(batches, progress, stop, results, received, endpoint),
            daemon=True,
        )
        holder.start()
        try:
            watching = open_watches(batches, progress, holder, paths, worker)
            with_watches = memory_mib(worker)
            expected = watching.opened * (CACHE_PODS // WATCHES)
            t = time.perf_counter()
            load_running_pods(store, scratch_url, created, WATCH_NS, CACHE_PODS, WATCHES)
            while received.value < expected and time.perf_counter() < t + DELIVERY_TIMEOUT:
                time.sleep(0.05)
            deliver_s = time.perf_counter() - t
            full, peak = memory_mib(worker), memory_mib(worker, "VmHWM")
            stop.set()
            held: Held = receive(results, [holder], CHILD_START_TIMEOUT)
        finally:
            stop.set()
            holder.join(15)
            if holder.is_alive():
                holder.terminate()
                holder.join(5)
    return Memory(started, with_watches, full, peak, watching, deliver_s, held)


# -- the run --


def report_runs(runs: list[Run]) -> None:
    say(f"{'':26}{'ops':>7}{'ops/s':>8}{'p50 ms':>9}{'p99 ms':>9}   API worker CPU s")
    for run in runs:
        r = run.result
        cpu = " + ".join(f"{s:.1f}" for s in run.worker_cpu_s)
        per_op = sum(run.worker_cpu_s) / r.ops * 1000 if r.ops else float("nan")
        say(
            f"{r.label:26}{r.ops:>7,}{r.per_s:>8,.0f}{r.p50_ms:>9.1f}{r.p99_ms:>9.1f}   "
            f"{cpu} ({per_op:.1f} ms per request)"
        )
        say(f"{'':28}CPU ms per op: {cpu_breakdown(run.cpu_per_op_ms())}")


def cpu_breakdown(per_op: dict[str, float]) -> str:
    parts = ", ".join(f"{name} {ms:.2f}" for name, ms in per_op.items())
    return f"{parts}; total {sum(per_op.values()):.2f}"


def median_cpu(runs: list[Run]) -> dict[str, float]:
    """The median of each part of ``cpu_per_op_ms`` over ``runs``."""
    per_run = [run.cpu_per_op_ms() for run in runs]
    return {name: median([p[name] for p in per_run]) for name in per_run[0]}


def report_memory(memory: Memory) -> float:
    """Print the memory phase; return the RSS to report, NaN unless every watch was open."""
    w, held = memory.watching, memory.held
    say(
        f"{w.opened:,} of {WATCHES:,} kubelet-style watches open (/api/v1/pods?fieldSelector="
        f"spec.nodeName=node-<i>, resourceVersion set, allowWatchBookmarks), {w.seconds:.1f} s"
    )
    if w.stopped:
        say(f"  STOPPED OPENING WATCHES: {w.stopped}")
    for failure in w.failures:
        say(f"  refused: {failure[:400]}")
    say(
        f"  PostgreSQL sessions on the benchmark database: {w.sessions[0]} before the watches, "
        f"{w.sessions[1]} with them; worker threads: {w.threads[0]} before, {w.threads[1]} with"
    )
    if w.opened:
        per_watch = (memory.watching_mib - memory.started_mib) * 1024 / w.opened
        say(f"  worker VmRSS grew by {per_watch:.0f} KiB per open watch")
    expected = w.opened * (CACHE_PODS // WATCHES)
    say(
        f"{CACHE_PODS:,} running pods written with COPY; {held.added:,}/{expected:,} ADDED "
        f"events received in {memory.deliver_s:.1f} s; {held.bookmarks} bookmarks, "
        f"{held.unexpected} unexpected events, {held.ended_early} streams ended early"
    )
    complete = w.opened == WATCHES and held.added == expected
    say(
        f"worker VmRSS: after start-up {memory.started_mib:.0f} MiB, with the watches open "
        f"{memory.watching_mib:.0f} MiB, with the cache full {memory.full_mib:.0f} MiB "
        f"(peak {memory.peak_mib:.0f} MiB)  (target <= {TARGET_RSS_MIB:.0f}: "
        + (
            verdict(memory.full_mib <= TARGET_RSS_MIB)
            if complete
            else f"not measured: {w.opened:,} watches, not {WATCHES:,}, or events missing"
        )
        + ")"
    )
    say(f"peak RSS of the watch-holding client process: {held.peak_rss_mib:.0f} MiB")
    return memory.full_mib if complete else float("nan")


def creates_section(
    plan: Plan, endpoint: Endpoint, workers: list[int], created: Object
) -> tuple[float, float]:
    """Run and print the create rounds; return the median HTTP and store creates/s."""
    say(
        f"\n== creates: {CLIENTS} clients for {plan.create_seconds:.0f} s per run, "
        "store and HTTP alternating =="
    )
    runs = create_phase(plan, endpoint, workers, created)
    report_runs(runs)
    store_rate = median([r.result.per_s for r in runs[0::2]])
    http_rate = median([r.result.per_s for r in runs[1::2]])
    ratio = http_rate / store_rate
    say(
        f"median: HTTP {http_rate:,.0f} creates/s, store {store_rate:,.0f} creates/s; "
        f"ratio {ratio:.3f}  (target >= {TARGET_RATIO}: {verdict(ratio >= TARGET_RATIO)})"
    )
    http_cpu, store_cpu = median_cpu(runs[1::2]), median_cpu(runs[0::2])
    say(f"median CPU ms per create: HTTP: {cpu_breakdown(http_cpu)}")
    say(f"                          store: {cpu_breakdown(store_cpu)}")
    wanted = TARGET_RATIO * store_rate
    say(
        f"HTTP creates at {wanted:,.0f}/s (the target ratio) would keep "
        f"{wanted * sum(http_cpu.values()) / 1000:.2f} CPUs busy at these costs; the machine "
        f"has {os.cpu_count()}"
    )
    return http_rate, store_rate


def paced_section(plan: Plan, endpoint: Endpoint, workers: list[int]) -> float:
    """Run and print the paced creates; return their p99 from when they were due."""
    say(f"\n== create latency at a paced {PACED_RATE:.0f} creates/s ({CLIENTS} clients) ==")
    seconds = plan.paced_seconds
    paced = measured(
        "paced HTTP POST",
        workers,
        paced_create_client,
        CLIENTS,
        endpoint,
        CLIENTS,
        seconds,
        seconds=seconds,
    )
    report_runs([paced])
    p99 = paced.result.p99_ms
    service = [ms for r in paced.reports if isinstance(r, PacedReport) for ms in r.service_ms]
    say(
        f"p99 from when each create was due: {p99:.1f} ms  (target <= "
        f"{TARGET_CREATE_P99_MS:.0f}: {verdict(p99 <= TARGET_CREATE_P99_MS)}); from when it "
        f"was sent: p50 {median(service):.1f} ms, p99 {percentile(service, 99):.1f} ms"
    )
    return p99


def reads_section(
    plan: Plan,
    store: SqlStore,
    scratch_url: str,
    endpoint: Endpoint,
    workers: list[int],
    created: Object,
) -> float:
    """Load LIST_PODS pods, run and print the GETs and LISTs; return the LIST p99."""
    say(f"\n== reads: one client, one request at a time, {LIST_PODS:,} pods loaded ==")
    load_running_pods(store, scratch_url, created, LIST_NS, LIST_PODS, 100)
    with api_client(endpoint) as client:
        listed = client.call("GET", pods_path(LIST_NS), expect=200)
    if len(orjson.loads(listed)["items"]) != LIST_PODS:
        raise RuntimeError(f"the list of {LIST_NS} does not hold {LIST_PODS} pods")
    names = [pods_path(LIST_NS, f"p-{i:05d}") for i in range(LIST_PODS)]
    random.Random(0).shuffle(names)
    seconds = plan.read_seconds
    gets = measured(
        "GET one pod",
        workers,
        read_client,
        1,
        endpoint,
        names,
        plan.gets,
        seconds,
        seconds=seconds,
    )
    lists = measured(
        f"LIST {LIST_PODS:,} pods",
        workers,
        read_client,
        1,
        endpoint,
        [pods_path(LIST_NS)],
        plan.lists,
        seconds,
        seconds=seconds,
    )
    report_runs([gets, lists])
    say(f"(the list is {len(listed) / 1e6:.2f} MB of JSON)")
    return lists.result.p99_ms


def benchmark(plan: Plan, scratch_url: str, data_root: Path) -> None:
    started = time.perf_counter()
    store = SqlStore()
    say("Pilothouse API benchmark (HTTPS, PostgreSQL)")
    say("  " + "  ".join(f"{k}={v}" for k, v in postgres_settings()))
    say(
        f"  runapi with {SERVER_WORKERS} worker processes; {CLIENTS} client processes (spawn), "
        f"one keep-alive HTTPS connection each; {os.cpu_count()} CPUs shared by clients, "
        "server and PostgreSQL"
    )
    say(f"  at start: {machine_load()}")
    say("  (the machine is shared with other engineers' test runs: compare within one run)")
    try:
        env = server_env(data_root / "main", database_url=scratch_url)
        with running_api(env, workers=SERVER_WORKERS) as server:
            endpoint = Endpoint.from_kubeconfig(server.kubeconfig)
            workers = api_workers(endpoint.port, SERVER_WORKERS)
            created = prepare(endpoint)
            say(
                f"  Pod manifest posted: {len(orjson.dumps(pod_manifest('p', HTTP_NS)))} bytes; "
                f"as stored: {len(orjson.dumps(created))} bytes"
            )
            http_rate, store_rate = creates_section(plan, endpoint, workers, created)
            paced_p99 = paced_section(plan, endpoint, workers)
            list_p99 = reads_section(plan, store, scratch_url, endpoint, workers, created)
            rss = ", ".join(f"{memory_mib(pid):.0f} MiB" for pid in workers)
            say(f"API workers' RSS now: {rss}")

        say(
            f"\n== memory: one worker, {WATCHES:,} watches, {CACHE_PODS:,} pods in its watch "
            "cache =="
        )
        memory = memory_phase(store, scratch_url, created, data_root / "watch")
    finally:
        store.close()
    worker_rss = report_memory(memory)
    say(f"\nat end: {machine_load()}; total time {time.perf_counter() - started:.0f} s")
    say(
        f"RESULT http_create_per_s={http_rate:.0f} store_create_per_s={store_rate:.0f} "
        f"ratio={http_rate / store_rate:.3f} create_p99_ms={paced_p99:.1f} "
        f"list1k_p99_ms={list_p99:.1f} worker_rss_mb={worker_rss:.0f}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="short phases, one round")
    args = parser.parse_args()
    plan = QUICK if args.quick else Plan()

    admin_url = admin_database_url("bench/api.py", SCRATCH_DB)
    if admin_url is None:
        return 2
    with (
        tempfile.TemporaryDirectory(prefix="pilothouse-bench-api-") as data_root,
        scratch_database(admin_url, SCRATCH_DB) as scratch_url,
    ):
        benchmark(plan, scratch_url, Path(data_root))
    return 0


if __name__ == "__main__":
    sys.exit(main())
