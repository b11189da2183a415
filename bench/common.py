"""What the benchmarks share: a scratch database, spawned client processes, pods, and numbers.

``bench/store.py`` and ``bench/api.py`` measure different layers the same way: in a PostgreSQL
database of their own beside the one ``DATABASE_URL`` names (created, migrated and dropped
around the run), with client processes started by ``spawn`` (no GIL shared with the
benchmark) and released together, the same Pod shape, and the same percentile and printing
rules. Keeping those here means that the two benchmarks' figures are comparable.

Both scripts run as ``python bench/<name>.py``, which puts ``bench/`` on the path rather than
the repository root; each adds the root itself before importing this module.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import queue
import resource
import statistics
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

import django
import orjson
import psycopg
from psycopg import sql

from cluster.store import Key, Object, SqlStore

# Upper bounds that keep every loop finite whatever the machine's speed.
MAX_OPS_PER_CLIENT = 200_000
CHILD_START_TIMEOUT = 60.0
TIMESTAMP = "2025-01-01T00:00:00Z"


# -- objects --


def make_pod(name: str, namespace: str, node: str) -> Object:
    """A Pod as a controller and a kubelet leave it: about 1.5 KB of JSON once stored."""
    app = f"app-{sum(name.encode()) % 40:02d}"
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": {"app": app, "pod-template-hash": "6d8f7c9b54", "tier": "backend"},
            "ownerReferences": [
                {
                    "apiVersion": "v1",
                    "kind": "ReplicationController",
                    "name": app,
                    "uid": "5b1e6d2a-3f0c-4d8e-9a51-7c2b4e8f1a90",
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "spec": {
            "nodeName": node,
            "restartPolicy": "Always",
            "schedulerName": "default-scheduler",
            "serviceAccountName": "default",
            "containers": [
                {
                    "name": "main",
                    "image": "registry.example/team/service:1.14.2",
                    "imagePullPolicy": "IfNotPresent",
                    "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
                    "resources": {
                        "requests": {"cpu": "100m", "memory": "128Mi"},
                        "limits": {"cpu": "500m", "memory": "256Mi"},
                    },
                    "readinessProbe": {
                        "httpGet": {"path": "/healthz", "port": 8080},
                        "periodSeconds": 10,
                    },
                }
            ],
        },
        "status": {
            "phase": "Running",
            "hostIP": "10.0.3.17",
            "podIP": "10.244.3.41",
            "startTime": TIMESTAMP,
            "conditions": [
                {"type": "Ready", "status": "True", "lastTransitionTime": TIMESTAMP},
                {"type": "PodScheduled", "status": "True", "lastTransitionTime": TIMESTAMP},
            ],
            "containerStatuses": [
                {
                    "name": "main",
                    "ready": True,
                    "restartCount": 0,
                    "image": "registry.example/team/service:1.14.2",
                    "containerID": "docker://" + "3f9a" * 16,
                    "state": {"running": {"startedAt": TIMESTAMP}},
                }
            ],
        },
    }


def as_stored(obj: Object, *, uid: str, created: str, revision: int) -> Object:
    """``obj`` with the metadata ``SqlStore.create`` assigns, set in the order it sets them."""
    meta = obj["metadata"]
    meta["uid"] = uid
    meta["creationTimestamp"] = created
    meta["resourceVersion"] = str(revision)
    return obj


def dumps(obj: Any) -> str:
    return orjson.dumps(obj).decode()


ObjectRow = tuple[str, str, str, str, int, str, str, str]
EventRow = tuple[int, str, str, str, str, str, None, float]


def object_row(store: SqlStore, key: Key, obj: Object) -> ObjectRow:
    """The ``store_object`` row that ``create`` writes for a stored ``obj``."""
    meta = obj["metadata"]
    labels = dumps(meta.get("labels") or {})
    fields = dumps(store.fields.extra_fields(key.kind, obj))
    revision = int(meta["resourceVersion"])
    return (*key, meta["uid"], revision, labels, fields, dumps(obj))


def copy_in(
    store: SqlStore, conn: psycopg.Connection[Any], stored: Iterable[tuple[Key, Object]]
) -> None:
    """Write ``stored`` objects with the rows and ADDED events ``create`` would write.

    The objects are complete (see ``as_stored``) and their revisions follow on from the store's
    counter, which ends at the highest of them; nothing else may write meanwhile. COPY makes
    this a fast path for loading thousands of objects; ``stored`` is consumed lazily.
    """
    objects: list[ObjectRow] = []
    events: list[EventRow] = []
    now = time.time()
    stop = 0
    for key, obj in stored:
        row = object_row(store, key, obj)
        objects.append(row)
        events.append((row[4], "ADDED", *key, row[7], None, now))
        stop = max(stop, row[4])
    with conn.transaction(), conn.cursor() as cursor:
        with cursor.copy(
            "COPY store_object (kind, namespace, name, uid, resource_version, labels, fields, "
            "data) FROM STDIN"
        ) as copy:
            for obj_row in objects:
                copy.write_row(obj_row)
        with cursor.copy(
            "COPY store_event (revision, type, kind, namespace, name, object, prev_object, "
            "created_at) FROM STDIN"
        ) as copy:
            for event_row in events:
                copy.write_row(event_row)
        cursor.execute(
            "INSERT INTO store_meta (id, revision, compacted) VALUES (1, %s, 0) "
            "ON CONFLICT (id) DO UPDATE SET revision = excluded.revision",
            (stop,),
        )
    conn.execute("ANALYZE store_object")
    conn.execute("ANALYZE store_event")


# -- numbers and printing --


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of ``values``; NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = min(len(ordered), max(1, math.ceil(q / 100 * len(ordered))))
    return ordered[rank - 1]


def verdict(ok: bool) -> str:
    return "meets target" if ok else "MISSES target"


def say(line: str = "") -> None:
    print(line, flush=True)


def peak_rss_mib(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # kilobytes on Linux


# -- client processes --


@dataclass(frozen=True)
class ClientReport:
    """What one client process did (times from ``time.time()``, comparable across processes)."""

    index: int
    started: float
    finished: float
    latencies_ms: list[float]
    peak_rss_mib: float
    commits: list[tuple[int, float]] = field(default_factory=list)
    """For the watch writer: (revision, time right after its commit returned) per write."""
    cpu_s: float = 0.0
    """CPU time (user and system) the client spent on its timed work, where it measured it."""

    @property
    def ops(self) -> int:
        return len(self.latencies_ms)


def own_peak_rss_mib() -> float:
    """This process's peak RSS since its exec (VmHWM), not counting the parent it forked from.

    ``RUSAGE_CHILDREN`` would report the parent's size at fork time for a spawned child.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return peak_rss_mib(resource.RUSAGE_SELF)


def setup_django() -> None:
    """Configure Django in this process; DATABASE_URL already names the scratch database."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "cluster.settings"
    django.setup()


class Meter(Protocol):
    """Something measured over the clients' work only, not their start-up and exit."""

    def start(self) -> None: ...

    def stop(self) -> None: ...


def run_clients(
    target: Callable[..., None],
    count: int,
    *args: Any,
    seconds: float,
    meter: Meter | None = None,
) -> list[ClientReport]:
    """Start ``count`` spawned clients, release them together, and collect one report each.

    A client is ``target(index, ready, start, results, *args)``: it prepares, puts its index on
    ``ready``, waits for ``start``, works, and puts its report on ``results``. ``meter`` starts
    as the clients are released and stops when the last report is in.
    """
    ctx = multiprocessing.get_context("spawn")
    ready = ctx.Queue()
    results = ctx.Queue()
    start = ctx.Event()
    procs = [
        ctx.Process(target=target, args=(i, ready, start, results, *args), daemon=True)
        for i in range(count)
    ]
    for proc in procs:
        proc.start()
    try:
        for _ in procs:
            receive(ready, procs, CHILD_START_TIMEOUT)
        if meter is not None:
            meter.start()
        start.set()
        reports = [receive(results, procs, seconds + CHILD_START_TIMEOUT) for _ in procs]
        if meter is not None:
            meter.stop()
    finally:
        for proc in procs:
            proc.join(10)
            if proc.is_alive():
                proc.terminate()
                proc.join(5)
    return sorted(reports, key=lambda r: r.index)


def receive(source: Any, procs: list[Any], timeout: float) -> Any:
    """The next item of ``source``, failing fast if a client died instead of sending it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            return source.get(timeout=0.5)
        except queue.Empty:
            pass
        dead = [p for p in procs if p.exitcode not in (None, 0)]
        if dead:
            raise RuntimeError(f"benchmark client {dead[0].name} exited with {dead[0].exitcode}")
    raise TimeoutError(f"no answer from benchmark clients within {timeout:.0f}s")


@dataclass(frozen=True)
class Throughput:
    label: str
    ops: int
    per_s: float
    p50_ms: float
    p99_ms: float
    client_peak_rss_mib: float


def throughput(label: str, reports: list[ClientReport]) -> Throughput:
    ops = sum(r.ops for r in reports)
    window = max(r.finished for r in reports) - min(r.started for r in reports)
    latencies = [ms for r in reports for ms in r.latencies_ms]
    return Throughput(
        label,
        ops,
        ops / window,
        median(latencies),
        percentile(latencies, 99),
        max(r.peak_rss_mib for r in reports),
    )


# -- the machine and the database --


def postgres_settings() -> list[tuple[str, str]]:
    from django.db import connection

    names = [
        "server_version",
        "fsync",
        "synchronous_commit",
        "wal_sync_method",
        "full_page_writes",
        "commit_delay",
        "shared_buffers",
        "work_mem",
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, current_setting(name) FROM pg_settings WHERE name = ANY(%s)", [names]
        )
        found = dict(cursor.fetchall())
    return [(n, found.get(n, "?")) for n in names]


def machine_load() -> str:
    """Load average and other databases' active sessions: a busy machine skews every figure."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' "
            "AND backend_type = 'client backend' AND datname IS DISTINCT FROM current_database()"
        )
        row = cursor.fetchone()
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"load average {load}; active sessions on other databases: {row[0] if row else '?'}"


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def admin_database_url(script: str, scratch_db: str) -> str | None:
    """DATABASE_URL, if it names a PostgreSQL database other than the scratch one.

    Otherwise says why not and returns None.
    """
    admin_url = os.environ.get("DATABASE_URL", "")
    parts = urlsplit(admin_url)
    if parts.scheme not in ("postgres", "postgresql"):
        say(f"{script} needs DATABASE_URL=postgresql://user:password@host:port/name")
        return None
    if parts.path.lstrip("/") == scratch_db:
        say(f"DATABASE_URL must not name the scratch database {scratch_db} itself")
        return None
    return admin_url


@contextmanager
def scratch_database(admin_url: str, name: str) -> Iterator[str]:
    """A new database ``name`` beside ``admin_url``'s, migrated, with Django set up on it.

    Yields its URL (also left in DATABASE_URL for child processes) and drops it at the end;
    the database ``admin_url`` names is only used to issue CREATE/DROP DATABASE.
    """
    scratch_url = with_database(admin_url, name)
    scratch = sql.Identifier(name)
    with psycopg.connect(admin_url, autocommit=True) as admin:
        # A run that was killed may have left its scratch database behind.
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(scratch))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(scratch))
    try:
        os.environ["DATABASE_URL"] = scratch_url
        setup_django()
        from django.core.management import call_command
        from django.db import connections

        call_command("migrate", verbosity=0, interactive=False)
        try:
            yield scratch_url
        finally:
            connections.close_all()
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(scratch))
