"""Many OS processes writing at once, several watchers reading: nothing lost, nothing invented.

Four spawned processes each run about 200 writes against the same test database (creates,
updates and deletes of their own objects, increments of shared counters through
guaranteed_update, compare-and-swap updates that race each other, deliberately stale updates,
and creates that race for the same keys) while watchers in this process consume the stream.
Afterwards the event log each watcher saw must account for exactly the acknowledged writes,
gap-free and in order, and replaying it must give the final table.
"""

from __future__ import annotations

import asyncio
import functools
import multiprocessing
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import connections

from cluster.store.protocol import Store, Watch
from cluster.store.selectors import parse_label_selector
from cluster.store.types import Key, Object, WatchEvent
from tests.conftest import STORE_DB
from tests.store.concurrent_writer import (
    COUNTERS,
    KIND,
    PLAN,
    RACES,
    SHARED,
    WriterJob,
    WriterReport,
    counter,
    run_writer,
)
from tests.store.support import rv

pytestmark = STORE_DB

WRITERS = 4
RUN_TIMEOUT = 90.0
"""Seconds the writers may take in all; a healthy run on either backend takes a few."""

Change = tuple[int, str, str, str]
"""(revision, event type, namespace, name)."""


@dataclass
class Tap:
    """One watcher, drained on its own thread, and which part of the log it should see."""

    name: str
    watch: Watch
    wants: Callable[[Change], bool]
    events: list[WatchEvent] = field(default_factory=list)
    thread: threading.Thread | None = None

    def start(self, stop: threading.Event, *, use_asyncio: bool = False) -> None:
        target = self._drain_async if use_asyncio else self._drain
        self.thread = threading.Thread(target=target, args=(stop,), daemon=True)
        self.thread.start()

    def _drain(self, stop: threading.Event) -> None:
        while not stop.is_set() and not self.watch.stopped:
            event = self.watch.next_event(timeout=0.05)
            if event is not None:
                self.events.append(event)

    def _drain_async(self, stop: threading.Event) -> None:
        async def drain() -> None:
            while not stop.is_set() and not self.watch.stopped:
                event = await self.watch.anext_event(timeout=0.05)
                if event is not None:
                    self.events.append(event)

        asyncio.run(drain())

    def changes(self) -> list[Change]:
        return [change_of(event) for event in self.events]


def change_of(event: WatchEvent) -> Change:
    assert event["type"] in ("ADDED", "MODIFIED", "DELETED"), f"unexpected event {event}"
    meta = event["object"]["metadata"]
    return (rv(event["object"]), event["type"], meta.get("namespace", ""), meta["name"])


def key_of(obj: Object) -> tuple[str, str]:
    return obj["metadata"]["namespace"], obj["metadata"]["name"]


def run_writers(alias: str, started: Callable[[], None]) -> list[WriterReport]:
    """Start the writer processes, call ``started`` once they all write, collect reports."""
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(WRITERS + 1)
    reports = context.Queue()
    settings_dict = dict(connections[alias].settings_dict)
    processes = [
        context.Process(
            target=run_writer,
            args=(WriterJob(i, alias, settings_dict, seed=1000 + i), start, reports),
            name=f"store-writer-{i}",
        )
        for i in range(WRITERS)
    ]
    for process in processes:
        process.start()
    try:
        try:
            start.wait(timeout=60)
        except threading.BrokenBarrierError:
            pass  # a writer failed to start; its report says why
        else:
            started()
        deadline = time.monotonic() + RUN_TIMEOUT
        collected: list[WriterReport] = [
            reports.get(timeout=max(deadline - time.monotonic(), 0.1)) for _ in processes
        ]
        for process in processes:
            process.join(timeout=10)
        assert [p.exitcode for p in processes] == [0] * WRITERS
        return collected
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
                process.join(timeout=5)


def wait_until(condition: Callable[[], bool], *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def has_at_least(tap: Tap, count: int) -> bool:
    return len(tap.changes()) >= count  # changes() fails at once on an ERROR event


def last_revision(changes: list[Change]) -> int:
    return changes[-1][0] if changes else 0


def test_concurrent_writers_in_many_processes_lose_and_invent_nothing(
    store_alias: str, store: Store
) -> None:
    for name in COUNTERS:
        store.create(Key(KIND, SHARED, name), counter(name, role="counter"))
    before = store.list(KIND)
    start_revision = before.revision

    stop = threading.Event()
    taps = [
        Tap("all", store.watch(KIND, from_revision=start_revision), lambda c: True),
        Tap("all-async", store.watch(KIND, from_revision=start_revision), lambda c: True),
        Tap(
            "shared",
            store.watch(KIND, SHARED, from_revision=start_revision),
            lambda c: c[2] == SHARED,
        ),
        Tap(
            "counters",
            store.watch(
                KIND,
                from_revision=start_revision,
                label_selector=parse_label_selector("role=counter"),
            ),
            lambda c: c[2] == SHARED and c[3] in COUNTERS,
        ),
        Tap("worker-0", store.watch(KIND, "w0"), lambda c: c[2] == "w0"),
    ]
    for tap in taps:
        tap.start(stop, use_asyncio=tap.name.endswith("async"))

    def join_late() -> None:
        # This watcher replays history while the writers are still adding to it.
        wait_until(
            lambda: store.current_revision() >= start_revision + 100,
            timeout=RUN_TIMEOUT,
            what="the writers to get going",
        )
        late = Tap("late", store.watch(KIND, from_revision=start_revision), lambda c: True)
        late.start(stop)
        taps.append(late)

    try:
        reports = run_writers(store_alias, join_late)
        assert [r.error for r in reports] == [""] * WRITERS
        final_revision = store.current_revision()
        everything = taps[0]
        wait_until(
            lambda: last_revision(everything.changes()) >= final_revision,
            timeout=20,
            what="the first watcher to reach the final revision",
        )
        for tap in taps[1:]:
            expected = len([c for c in everything.changes() if tap.wants(c)])
            wait_until(
                functools.partial(has_at_least, tap, expected),
                timeout=20,
                what=f"watcher {tap.name} to catch up",
            )
    finally:
        stop.set()
        for tap in taps:
            if tap.thread is not None:
                tap.thread.join(timeout=5)
            tap.watch.stop()
        connections.close_all()

    log = taps[0].changes()

    # Every committed revision exactly once, strictly increasing, none skipped.
    assert [c[0] for c in log] == list(range(start_revision + 1, final_revision + 1))
    for tap in taps:
        assert tap.changes() == [c for c in log if tap.wants(c)], f"watcher {tap.name}"

    # Each writer did all its work: every operation but a lost race or CAS wrote once.
    for r in reports:
        unconditional = sum(PLAN.values()) - PLAN["compare_and_swap"] - PLAN["race_create"]
        expected = unconditional + sum(r.swaps.values()) + len(r.races_won)
        assert len(r.acks) == expected, f"writer {r.worker}"

    # Every acknowledged write is in the log with the revision it was given, and nothing else.
    acks = [ack for report in reports for ack in report.acks]
    assert len(acks) == len({ack[0] for ack in acks}), "a revision was acknowledged twice"
    assert sorted(acks) == log

    # Replaying the log over the table as it was reproduces the table as it is.
    table = {key_of(obj): obj for obj in before.items}
    for event in taps[0].events:
        key = key_of(event["object"])
        if event["type"] == "ADDED":
            assert key not in table, f"ADDED for existing {key}"
            table[key] = event["object"]
        elif event["type"] == "MODIFIED":
            assert key in table, f"MODIFIED for missing {key}"
            table[key] = event["object"]
        else:
            assert event["type"] == "DELETED", event
            assert table.pop(key, None) is not None, f"DELETED for missing {key}"
    after = store.list(KIND)
    assert after.revision == final_revision
    assert {key_of(obj): obj for obj in after.items} == table

    # No update of a shared counter was lost, however the writers raced.
    for name in COUNTERS:
        data = store.get(Key(KIND, SHARED, name))["data"]
        assert int(data["count"]) == sum(r.increments.get(name, 0) for r in reports), name
        assert int(data["swaps"]) == sum(r.swaps.get(name, 0) for r in reports), name

    # Stale versions were refused, and each contested key was created exactly once.
    assert [r.stale_accepted for r in reports] == [0] * WRITERS
    assert [r.stale_conflicts for r in reports] == [PLAN["stale_update"]] * WRITERS
    assert sorted(name for r in reports for name in r.races_won) == sorted(RACES)
    assert sum(r.races_lost for r in reports) == (WRITERS - 1) * len(RACES)
