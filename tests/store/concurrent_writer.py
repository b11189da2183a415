"""The writer process of the concurrency test: one OS process hammering the store.

It runs under ``multiprocessing``'s spawn start method, so it starts from a bare interpreter:
this module imports nothing from Django or the store at import time, sets Django up against
the test database it is given, then performs a shuffled mix of writes and reports every write
the store acknowledged, with the revision it was given, so the test can hold the event log to
account.
"""

from __future__ import annotations

import os
import random
import traceback
from dataclasses import dataclass, field
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from typing import Any

KIND = "ConfigMap"
SHARED = "shared"
COUNTERS = ("counter-0", "counter-1", "counter-2")
RACES = tuple(f"race-{i}" for i in range(10))

PLAN = {
    "create": 50,
    "update": 40,
    "delete": 20,
    "increment": 40,
    "compare_and_swap": 30,
    "stale_update": len(RACES),
    "race_create": len(RACES),
}
"""Operations per writer: about 200, a quarter of them on keys every writer touches."""


@dataclass(frozen=True)
class WriterJob:
    worker: int
    alias: str
    settings_dict: dict[str, Any]
    seed: int


@dataclass
class WriterReport:
    worker: int
    acks: list[tuple[int, str, str, str]] = field(default_factory=list)
    """(revision, event type, namespace, name) of every write the store acknowledged."""
    increments: dict[str, int] = field(default_factory=dict)
    swaps: dict[str, int] = field(default_factory=dict)
    swap_conflicts: int = 0
    stale_conflicts: int = 0
    stale_accepted: int = 0
    races_won: list[str] = field(default_factory=list)
    races_lost: int = 0
    error: str = ""


def counter(name: str, **labels: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": KIND,
        "metadata": {"name": name, "namespace": SHARED, "labels": labels},
        "data": {"count": "0", "swaps": "0"},
    }


def run_writer(job: WriterJob, start: Barrier, reports: Queue[WriterReport]) -> None:
    """Process entry point: set Django up on the parent's test database, write, report."""
    report = WriterReport(worker=job.worker)
    try:
        os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
        import django

        django.setup()
        from django.conf import settings
        from django.db import connections

        # tests.settings names the development databases; the parent runs on test copies.
        settings.DATABASES[job.alias].update(job.settings_dict)
        connections[job.alias].settings_dict.update(job.settings_dict)
        _write(job, start, report)
    except BaseException:
        report.error = traceback.format_exc()
        start.abort()  # release the others at once instead of at the barrier's timeout
    finally:
        reports.put(report)


def _write(job: WriterJob, start: Barrier, report: WriterReport) -> None:
    from cluster.store.errors import AlreadyExists, Conflict
    from cluster.store.sql import SqlStore
    from cluster.store.types import Key, Object, Preconditions

    rng = random.Random(job.seed)
    namespace = f"w{job.worker}"
    store = SqlStore(using=job.alias)
    live: list[str] = []
    created = 0
    races = list(RACES)
    rng.shuffle(races)
    plan = [op for op, count in PLAN.items() for _ in range(count)]
    rng.shuffle(plan)

    def ack(obj: Object, event: str) -> None:
        meta = obj["metadata"]
        report.acks.append((int(meta["resourceVersion"]), event, meta["namespace"], meta["name"]))

    def bump(field_name: str) -> Any:
        def update(obj: Object) -> Object:
            obj["data"][field_name] = str(int(obj["data"][field_name]) + 1)
            return obj

        return update

    start.wait(timeout=60)
    try:
        for op in plan:
            if op in ("update", "delete") and not live:
                op = "create"
            if op == "create":
                name = f"obj-{created}"
                created += 1
                obj: Object = {
                    "apiVersion": "v1",
                    "kind": KIND,
                    "metadata": {"name": name, "namespace": namespace},
                    "data": {"version": "0"},
                }
                ack(store.create(Key(KIND, namespace, name), obj), "ADDED")
                live.append(name)
            elif op == "update":
                name = rng.choice(live)
                ack(
                    store.guaranteed_update(Key(KIND, namespace, name), bump("version")), "MODIFIED"
                )
            elif op == "delete":
                name = live.pop(rng.randrange(len(live)))
                ack(store.delete(Key(KIND, namespace, name)), "DELETED")
            elif op == "increment":
                name = rng.choice(COUNTERS)
                ack(store.guaranteed_update(Key(KIND, SHARED, name), bump("count")), "MODIFIED")
                report.increments[name] = report.increments.get(name, 0) + 1
            elif op == "compare_and_swap":
                name = rng.choice(COUNTERS)
                key = Key(KIND, SHARED, name)
                seen = store.get(key)["metadata"]["resourceVersion"]
                try:
                    swapped = store.guaranteed_update(
                        key, bump("swaps"), preconditions=Preconditions(resource_version=seen)
                    )
                except Conflict:
                    report.swap_conflicts += 1
                else:
                    ack(swapped, "MODIFIED")
                    report.swaps[name] = report.swaps.get(name, 0) + 1
            elif op == "stale_update":
                # A deliberate lost-update attempt: write, then update with the version read
                # before that write. The store must refuse it.
                name = rng.choice(COUNTERS)
                key = Key(KIND, SHARED, name)
                seen = store.get(key)["metadata"]["resourceVersion"]
                ack(store.guaranteed_update(key, bump("count")), "MODIFIED")
                report.increments[name] = report.increments.get(name, 0) + 1
                try:
                    accepted = store.guaranteed_update(
                        key, bump("swaps"), preconditions=Preconditions(resource_version=seen)
                    )
                except Conflict:
                    report.stale_conflicts += 1
                else:
                    ack(accepted, "MODIFIED")
                    report.swaps[name] = report.swaps.get(name, 0) + 1
                    report.stale_accepted += 1
            else:
                name = races.pop()
                try:
                    won = store.create(Key(KIND, SHARED, name), counter(name))
                except AlreadyExists:
                    report.races_lost += 1
                else:
                    ack(won, "ADDED")
                    report.races_won.append(name)
    finally:
        store.close()
