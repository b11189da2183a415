"""Benchmark of the scheduler: pods bound per second, end to end, on the real Celery runtime.

Run it with ``make bench-scheduler`` (or ``DATABASE_URL=postgresql://... .venv/bin/python
bench/scheduler.py``; ``--nodes``/``--pods`` to resize, ``--quick`` for 100 nodes and 1,000
pods). Like the other benchmarks (``bench/common.py``) it works in a scratch PostgreSQL
database beside the one ``DATABASE_URL`` names, created, migrated and dropped around the run.

What runs, as in production:

- the scheduler in a real ``celery -A cluster worker`` subprocess, on a Redis database claimed
  for the run (``REDIS_URL``, default ``redis://127.0.0.1:6379/0``; the run takes a free one of
  1-15 beside it, as the integration tests do). The worker has one pool process: passes run
  one at a time under the scheduler key's lock anyway (a message for the key while a pass
  runs only marks it dirty), so a second process would add nothing but its memory;
- in phase 1, the dispatcher, the part of ``celery -A cluster beat`` that turns store
  changes into reconcile messages, in this process on its own thread, for the scheduler
  alone: the other controllers are not running, so the figures are the scheduler's (beat's
  periodic resync is not needed: no message is lost);
- N Ready nodes, registered through the registry before any clock starts (API objects only,
  as the integration tests' nodes: no Leases, no node agent);
- pods created through the registry (``Registry.create``, what the API's POST runs minus
  HTTP, so that HTTP is not what is measured) by CLIENTS spawned processes as fast as they
  can, each owned by one of CONTROLLERS ReplicationControllers (so spreading has work to do)
  and requesting 100m CPU and 128Mi.

Two phases, each with M pods in a namespace of its own:

1. end to end (the RESULT): the worker and the dispatcher run while the clients create the
   pods; the clock runs from the first pod's creation to the last pod's binding, both read
   from the store's event log (commit times of the first Pod ADDED and the last Pod
   MODIFIED: binding is the only write to these pods);
2. backlog: the clients create the pods while no scheduler runs, then the worker starts and
   the scheduler's key is sent once (as a resync sends it; no dispatcher runs); each pass
   that runs out of time asks for the next. The clock runs from sending the key to the last
   binding. This is the scheduler's own rate, with nothing else competing for the machine.

Each binding is followed by its ``Scheduled`` Event in the same pass, so the figures include
the Events (but the last one). Each phase prints the creation rate, the scheduler's passes
(from the worker's log), the store's write rate, where the CPU went (scheduler worker,
clients, dispatcher, the rest of the machine) and the placement, and checks that every pod
was bound exactly once within its node's pod limit. The last line is ``RESULT nodes=<n>
pods=<n> pods_per_s=<n>`` (phase 1); the target (500 pods/s for 1,000 nodes and 10,000 pods)
is printed beside it, and missing it does not fail the run. Every loop is bounded in time,
and every process started is stopped.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# ``python bench/scheduler.py`` puts bench/ on the path, not the repository root; spawned
# children inherit this path.
REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from bench.common import (  # noqa: E402
    CHILD_START_TIMEOUT,
    ClientReport,
    admin_database_url,
    machine_load,
    own_peak_rss_mib,
    postgres_settings,
    run_clients,
    say,
    scratch_database,
    setup_django,
    verdict,
)
from tests.controlplane.cluster import Process, claimed_redis_database  # noqa: E402
from tests.serving import server_env  # noqa: E402

SCRATCH_DB = "pilothouse_bench_scheduler"
CLIENTS = 4
CONTROLLERS = 20
WORKER_CONCURRENCY = 1
TARGET_PODS_PER_S = 500.0
CREATE_SECONDS = 600.0  # bounds the creating clients
BIND_GRACE_SECONDS = 300.0  # how long binding may go on after the last pod was created
POLL_SECONDS = 0.25
SAMPLE_SECONDS = 1.0
WORKER_STOP_SECONDS = 60.0
_PASS_LINE = re.compile(r"scheduler: pass decided (\d+) pods: (\d+) bound, .*; ([\d.]+) s")


# -- objects --


def node_manifest(index: int) -> dict[str, Any]:
    resources = {"cpu": "4", "memory": "8Gi", "pods": "110"}
    name = f"node-{index:05d}"
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}},
        "status": {
            "capacity": resources,
            "allocatable": resources,
            "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady"}],
        },
    }


def pod_manifest(name: str, *, namespace: str, controller: int) -> dict[str, Any]:
    """A pod as a ReplicationController sends it: spec only, owned, requests set."""
    app = f"app-{controller:02d}"
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": {"app": app},
            "ownerReferences": [
                {
                    "apiVersion": "v1",
                    "kind": "ReplicationController",
                    "name": app,
                    "uid": f"00000000-0000-4000-8000-{controller:012d}",
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "spec": {
            "containers": [
                {
                    "name": "main",
                    "image": "registry.example/team/service:1.14.2",
                    "ports": [{"name": "http", "containerPort": 8080}],
                    "resources": {
                        "requests": {"cpu": "100m", "memory": "128Mi"},
                        "limits": {"cpu": "500m", "memory": "256Mi"},
                    },
                }
            ]
        },
    }


# -- client processes --


@dataclass(frozen=True)
class CreatorReport(ClientReport):
    work_cpu_s: float = 0.0
    """CPU time (user and system) the client spent creating, start-up excluded."""


def _own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def create_client(
    index: int, ready: Any, start: Any, results: Any, namespace: str, total: int
) -> None:
    """Create this client's share of ``total`` pending pods through the registry."""
    setup_django()
    from cluster.registry.catalog import RESOURCES, default_registry

    registry = default_registry()
    pods = RESOURCES.of_kind("Pod")
    registry.store.current_revision()  # open the connection before the clock starts
    ready.put(index)
    start.wait(CHILD_START_TIMEOUT)
    latencies: list[float] = []
    began, cpu = time.time(), _own_cpu_seconds()
    deadline = time.perf_counter() + CREATE_SECONDS
    for n in range(total // CLIENTS + (index < total % CLIENTS)):
        if time.perf_counter() >= deadline:
            break
        controller = (index + n * CLIENTS) % CONTROLLERS
        manifest = pod_manifest(f"pod-{index}-{n:06d}", namespace=namespace, controller=controller)
        t = time.perf_counter()
        registry.create(pods, namespace, manifest)
        latencies.append((time.perf_counter() - t) * 1000)
    cpu = _own_cpu_seconds() - cpu
    results.put(
        CreatorReport(index, began, time.time(), latencies, own_peak_rss_mib(), work_cpu_s=cpu)
    )


def create_pods(namespace: str, pods: int) -> list[ClientReport]:
    from cluster.registry.catalog import RESOURCES, default_registry

    namespaces = RESOURCES.of_kind("Namespace")
    default_registry().create(namespaces, None, {"metadata": {"name": namespace}})
    return run_clients(create_client, CLIENTS, namespace, pods, seconds=CREATE_SECONDS)


# -- the store, read directly --


def query(sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def unbound_pods(namespace: str) -> int:
    rows = query(
        "SELECT count(*) FROM store_object WHERE kind = 'Pod' AND namespace = %s "
        'AND fields @> \'{"spec.nodeName": ""}\'::jsonb',
        (namespace,),
    )
    return int(rows[0][0])


@dataclass(frozen=True)
class Timeline:
    """What the store's event log says about a phase's pods (times from ``time.time()``)."""

    first_created: float
    last_created: float
    last_bound: float
    bindings: int
    pod_writes: int
    events_written: int

    def store_writes(self, start: float) -> int:
        """Every write of every component from ``start`` to the last binding."""
        (row,) = query(
            "SELECT count(*) FROM store_event WHERE created_at BETWEEN %s AND %s",
            (start, self.last_bound),
        )
        return int(row[0])


def timeline(namespace: str) -> Timeline:
    (row,) = query(
        "SELECT min(created_at) FILTER (WHERE type = 'ADDED'), "
        "max(created_at) FILTER (WHERE type = 'ADDED'), "
        "max(created_at) FILTER (WHERE type = 'MODIFIED'), "
        "count(*) FILTER (WHERE type = 'MODIFIED' AND object::jsonb #> '{spec,nodeName}' "
        "IS NOT NULL AND prev_object::jsonb #> '{spec,nodeName}' IS NULL), "
        "count(*) FILTER (WHERE type = 'MODIFIED') "
        "FROM store_event WHERE kind = 'Pod' AND namespace = %s",
        (namespace,),
    )
    (events,) = query(
        "SELECT count(*) FROM store_object WHERE kind = 'Event' AND namespace = %s",
        (namespace,),
    )
    return Timeline(
        float(row[0]),
        float(row[1]),
        float(row[2] or "nan"),
        int(row[3]),
        int(row[4]),
        int(events[0]),
    )


def pods_per_node() -> Counter[str]:
    """Bound pods per node, every phase together."""
    rows = query(
        "SELECT fields->>'spec.nodeName', count(*) FROM store_object WHERE kind = 'Pod' GROUP BY 1"
    )
    placed = Counter({str(node): int(count) for node, count in rows})
    placed.pop("", None)
    return placed


# -- CPU time, from /proc --


def _stat_fields(pid: str) -> list[str]:
    """/proc/<pid>/stat from the process state on (the name before it may hold spaces)."""
    return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()


def process_cpu_seconds(group: int) -> tuple[float, float]:
    """CPU time (user and system) of the live processes of process group ``group``, and of
    every PostgreSQL process with its exited backends (they move into the postmaster's
    children's time); the database server is shared, other databases' work is in it."""
    group_ticks = postgres_ticks = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError):
            fields = _stat_fields(entry.name)
            if int(fields[2]) == group:
                group_ticks += int(fields[11]) + int(fields[12])
            elif (entry / "comm").read_text().strip() == "postgres":
                postgres_ticks += sum(int(f) for f in fields[11:15])
    tick = os.sysconf("SC_CLK_TCK")
    return group_ticks / tick, postgres_ticks / tick


def machine_busy_seconds() -> float:
    """CPU time the whole machine spent busy (not idle, not waiting for I/O), all CPUs."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(values[:8]) - values[3] - values[4]) / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class CpuSample:
    at: float  # time.time()
    machine: float
    worker: float
    this_process: float
    postgres: float


class CpuSampler:
    """Samples CPU time every SAMPLE_SECONDS on a thread, so that the figures can be cut to
    the measured window afterwards (the clients' start-up and the set-up stay out of it)."""

    def __init__(self, worker: Process) -> None:
        self.worker = worker
        self.samples = [self._sample()]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cpu-sampler", daemon=True)
        self._thread.start()

    def _sample(self) -> CpuSample:
        worker, postgres = process_cpu_seconds(self.worker.popen.pid)
        return CpuSample(time.time(), machine_busy_seconds(), worker, _own_cpu_seconds(), postgres)

    def _run(self) -> None:
        while not self._stop.wait(SAMPLE_SECONDS):
            self.samples.append(self._sample())

    def stop(self) -> None:
        time.sleep(2 * SAMPLE_SECONDS)  # so that a sample follows the last binding
        self._stop.set()
        self._thread.join(10)

    def between(self, start: float, end: float) -> tuple[CpuSample, CpuSample]:
        """The last sample at or before ``start`` and the first at or after ``end``."""
        first = max((s for s in self.samples if s.at <= start), key=lambda s: s.at)
        last = min((s for s in self.samples if s.at >= end), key=lambda s: s.at)
        return first, last


# -- the control plane --


@dataclass
class Scheduling:
    """The scheduler's worker, and the dispatcher feeding it if there is one, for one phase."""

    worker: Process
    dispatcher: Any
    sampler: CpuSampler
    started: float

    def stop(self) -> str:
        from cluster.registry.catalog import default_registry

        self.sampler.stop()
        if self.dispatcher is not None:
            self.dispatcher.stop()
            # The watch hub would go on tailing the event log in this process, for nobody.
            default_registry().store.close()
        # Warm shutdown of the main process alone: it lets a running pass finish and release
        # the scheduler's lock (a pool process killed mid-pass would hold it until it expires).
        self.worker.popen.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.worker.popen.wait(timeout=WORKER_STOP_SECONDS)
        self.worker.stop()
        return self.worker.output()


def start_scheduling(
    env: dict[str, str], log: Path, *, concurrency: int, dispatch: bool
) -> Scheduling:
    """Start a worker; then the dispatcher, or (``dispatch`` False) send the key once."""
    from cluster.controlplane.dispatch import Dispatcher
    from cluster.controlplane.tasks import send_reconcile
    from cluster.registry.catalog import default_registry
    from cluster.scheduling import scheduler
    from cluster.scheduling.reconciler import KEY

    args = [sys.executable, "-m", "celery", "-A", "cluster", "worker", "--loglevel=INFO"]
    args += [f"--concurrency={concurrency}", "-n", f"{log.stem}@%h"]
    args += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
    worker = Process(log.stem, args, env, log)
    worker.wait_for_output(" ready.")
    sampler = CpuSampler(worker)
    started = time.time()
    reconciler = scheduler()
    if not dispatch:
        send_reconcile(reconciler.name, KEY)
        return Scheduling(worker, None, sampler, started)
    dispatcher = Dispatcher(default_registry(), [reconciler], send_reconcile).start()
    return Scheduling(worker, dispatcher, sampler, started)


def wait_until_bound(namespace: str) -> int:
    """Poll until no pod of ``namespace`` is left unbound, or the grace period is over."""
    deadline = time.monotonic() + BIND_GRACE_SECONDS
    left = unbound_pods(namespace)
    while left and time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
        left = unbound_pods(namespace)
    return left


# -- reports --


def report_passes(log: str) -> None:
    passes = [tuple(map(float, m.groups())) for m in _PASS_LINE.finditer(log)]
    busy = [p for p in passes if p[1]]
    if not busy:
        say("scheduler passes: none bound anything")
        return
    say(
        f"scheduler passes that bound pods: {len(busy)}; pods bound per pass: max "
        f"{max(int(p[1]) for p in busy):,}, mean {sum(p[1] for p in busy) / len(busy):,.0f}; "
        f"longest pass {max(p[2] for p in busy):.1f} s"
    )


def report_cpu(window: tuple[CpuSample, CpuSample], creators: list[ClientReport]) -> None:
    """CPU time between two samples; ``creators`` are the clients that ran in between."""
    before, after = window
    busy = after.machine - before.machine
    worker = after.worker - before.worker
    clients = sum(r.work_cpu_s for r in creators if isinstance(r, CreatorReport))
    dispatcher = after.this_process - before.this_process
    postgres = after.postgres - before.postgres
    say(
        f"CPU seconds in the window ({after.at - before.at:.1f} s sampled): machine "
        f"{busy:.1f} (everyone's); scheduler worker {worker:.1f}; creating clients "
        f"{clients:.1f}; this process (dispatcher, polling) {dispatcher:.1f}; PostgreSQL "
        f"{postgres:.1f} (every database); the rest (Redis, others' work) "
        f"{busy - worker - clients - dispatcher - postgres:.1f}"
    )


@dataclass(frozen=True)
class Phase:
    """What one phase did, for its report."""

    label: str
    namespace: str
    pods: int
    reports: list[ClientReport]
    scheduling: Scheduling
    log: str
    left: int
    start: float
    """When its clock started (time.time())."""
    concurrent_creation: bool
    """Whether the clients created pods while the clock ran."""


def report_phase(phase: Phase) -> float:
    """Print what one phase did; return its pods bound per second."""
    say(f"\n== {phase.label} ==")
    created = sum(r.ops for r in phase.reports)
    line = timeline(phase.namespace)
    if not line.bindings:
        say(f"PROBLEM: no pod was bound; the worker's log ends with:\n{phase.log[-3000:]}")
        return float("nan")
    window = line.last_bound - phase.start
    rate = line.bindings / window
    creating = line.last_created - line.first_created
    writes = line.store_writes(phase.start)
    say(
        f"created {created:,} pods in {creating:.1f} s ({created / creating:,.0f}/s); "
        f"last binding {line.last_bound - line.last_created:.1f} s after the last creation"
    )
    say(
        f"bound {line.bindings:,} pods in {window:.1f} s: {rate:,.0f} pods/s; "
        f"{line.pod_writes - line.bindings} other pod writes; {phase.left} left unbound; "
        f"{line.events_written:,} Events"
    )
    say(f"store writes in the window: {writes:,} ({writes / window:,.0f}/s, every component)")
    report_passes(phase.log)
    creators = phase.reports if phase.concurrent_creation else []
    report_cpu(phase.scheduling.sampler.between(phase.start, line.last_bound), creators)
    if created != phase.pods or line.bindings != phase.pods or phase.left:
        say(f"PROBLEM: expected {phase.pods:,} pods created and bound once each")
    return rate


# -- the run --


def register_nodes(nodes: int) -> float:
    from cluster.registry.bootstrap import ensure_system_namespaces
    from cluster.registry.catalog import RESOURCES, default_registry

    registry = default_registry()
    ensure_system_namespaces(registry)
    node_resource = RESOURCES.of_kind("Node")
    started = time.perf_counter()
    for i in range(nodes):
        registry.create(node_resource, None, node_manifest(i))
    return time.perf_counter() - started


def end_to_end(args: argparse.Namespace, *, env: dict[str, str], data_dir: Path) -> float:
    scheduling = start_scheduling(
        env, data_dir / "end-to-end.log", concurrency=args.worker_concurrency, dispatch=True
    )
    try:
        reports = create_pods("end-to-end", args.pods)
        left = wait_until_bound("end-to-end")
    finally:
        log = scheduling.stop()
    return report_phase(
        Phase(
            label="1. end to end: pods created while the scheduler runs",
            namespace="end-to-end",
            pods=args.pods,
            reports=reports,
            scheduling=scheduling,
            log=log,
            left=left,
            start=timeline("end-to-end").first_created,
            concurrent_creation=True,
        )
    )


def backlog(args: argparse.Namespace, *, env: dict[str, str], data_dir: Path) -> float:
    reports = create_pods("backlog", args.pods)
    scheduling = start_scheduling(
        env, data_dir / "backlog.log", concurrency=args.worker_concurrency, dispatch=False
    )
    try:
        left = wait_until_bound("backlog")
    finally:
        log = scheduling.stop()
    return report_phase(
        Phase(
            label="2. backlog: pods pending before the scheduler starts",
            namespace="backlog",
            pods=args.pods,
            reports=reports,
            scheduling=scheduling,
            log=log,
            left=left,
            start=scheduling.started,
            concurrent_creation=False,
        )
    )


def run(args: argparse.Namespace, *, scratch_url: str, broker_url: str, data_dir: Path) -> float:
    say("Pilothouse scheduler benchmark (PostgreSQL, Celery on Redis)")
    say("  " + "  ".join(f"{k}={v}" for k, v in postgres_settings()))
    say(
        f"  {args.nodes:,} nodes; {args.pods:,} pods per phase from {CLIENTS} client processes "
        f"(spawn), {CONTROLLERS} controllers; worker concurrency {args.worker_concurrency}; "
        f"{os.cpu_count()} CPUs"
    )
    say(f"  at start: {machine_load()}")
    say(f"registered {args.nodes:,} Ready nodes in {register_nodes(args.nodes):.1f} s")
    env = server_env(data_dir, database_url=scratch_url, CELERY_BROKER_URL=broker_url)
    rate = end_to_end(args, env=env, data_dir=data_dir)
    backlog(args, env=env, data_dir=data_dir)
    placed = pods_per_node()
    crowded = max(placed.values(), default=0)
    say(
        f"\nplacement: {len(placed):,} nodes used, {min(placed.values(), default=0)} to "
        f"{crowded} pods per node (limit 110)"
    )
    if crowded > 110:
        say("PROBLEM: a node holds more pods than it allows")
    say(f"at end: {machine_load()}")
    say(
        f"pods bound per second, end to end: {rate:,.0f}  (target >= {TARGET_PODS_PER_S:.0f} "
        f"for 1,000 nodes and 10,000 pods: {verdict(rate >= TARGET_PODS_PER_S)})"
    )
    return rate


def release_database() -> None:
    """End this process's database sessions (the watch hub's, the pool's) before the drop."""
    from django.db import connections

    from cluster.registry.catalog import default_registry

    default_registry().store.close()
    for connection in connections.all():
        connection.close()
        close_pool = getattr(connection, "close_pool", None)
        if close_pool is not None:
            close_pool()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--nodes", type=int, default=1000)
    parser.add_argument("--pods", type=int, default=10000)
    parser.add_argument("--quick", action="store_true", help="100 nodes and 1,000 pods")
    parser.add_argument(
        "--worker-concurrency", type=int, default=WORKER_CONCURRENCY, help="worker pool processes"
    )
    args = parser.parse_args()
    if args.quick:
        args.nodes, args.pods = 100, 1000

    admin_url = admin_database_url("bench/scheduler.py", SCRATCH_DB)
    if admin_url is None:
        return 2
    redis_base = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    with (
        tempfile.TemporaryDirectory(prefix="pilothouse-bench-scheduler-") as data_root,
        claimed_redis_database(redis_base) as broker_url,
    ):
        # Before Django reads its settings: this process sends reconcile messages too.
        os.environ["CELERY_BROKER_URL"] = broker_url
        os.environ["CLUSTER_DATA_DIR"] = data_root
        with scratch_database(admin_url, SCRATCH_DB) as scratch_url:
            try:
                rate = run(
                    args, scratch_url=scratch_url, broker_url=broker_url, data_dir=Path(data_root)
                )
            finally:
                release_database()
    say(f"RESULT nodes={args.nodes} pods={args.pods} pods_per_s={rate:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
