"""A whole control plane for the integration tests: API server, Celery workers and beat.

Everything is real: ``runapi`` over HTTPS, ``celery -A cluster worker`` processes and one
``celery -A cluster beat`` (which runs the dispatcher), on a PostgreSQL database of the
session's own and a Redis database claimed for the session (so two test runs on one machine
never eat each other's messages, and a test may flush it). Timings are shortened through the
same environment variables production uses (``CONTROL_PLANE_ENV``).

Nodes are API objects that a ``NodeKeeper`` thread keeps Ready, renewing their Leases as a
kubelet would; the node agent arrives in its own issue.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import redis

from tests.e2e.cluster import Api, Kubectl, write_kubeconfig
from tests.serving import REPO_ROOT

T = TypeVar("T")

CONTROL_PLANE_ENV = {
    "CLUSTER_CONTROLLER_RESYNC_SECONDS": "5",
    "CLUSTER_NODE_MONITOR_PERIOD_SECONDS": "1",
    "CLUSTER_NODE_MONITOR_GRACE_SECONDS": "6",
    "CLUSTER_DEFAULT_TOLERATION_SECONDS": "4",
    "CLUSTER_POD_GC_QUARANTINE_SECONDS": "2",
}
"""Short timings: resync every 5 s, a node is unreachable 6 s after its last renewal and
its pods go 4 s later; the pods of a deleted node go 2 s after pod GC first sees it gone."""

NODE_RENEW_SECONDS = 1.0
PROCESS_START_SECONDS = 60.0
_CLAIM = "pilothouse:test-session"


def eventually(check: Callable[[], T], *, timeout: float = 20.0, interval: float = 0.2) -> T:
    """Call ``check`` until it returns something truthy without failing an assertion.

    Bounded by ``timeout``; on expiry the last AssertionError (or a falsy result) fails the
    test with what was last seen.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = check()
            if result:
                return result
            failure: AssertionError = AssertionError(f"still {result!r} after {timeout:.0f} s")
        except AssertionError as exc:
            failure = exc
        if time.monotonic() >= deadline:
            raise failure
        time.sleep(interval)


@contextlib.contextmanager
def claimed_redis_database(base_url: str) -> Iterator[str]:
    """A Redis database (1-15) nobody else is using, flushed before and after; its URL."""
    base = base_url.rsplit("/", 1)[0] if base_url.count("/") > 2 else base_url.rstrip("/")
    for number in range(1, 16):
        client = redis.Redis.from_url(f"{base}/{number}")
        if client.set(_CLAIM, os.getpid(), nx=True, ex=6 * 3600):
            break
        client.close()
    else:
        raise AssertionError("every Redis database 1-15 is claimed by another test session")
    client.flushdb()
    client.set(_CLAIM, os.getpid(), ex=6 * 3600)
    try:
        yield f"{base}/{number}"
    finally:
        client.flushdb()
        client.close()


class Process:
    """One child process in its own process group, its output in a file."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], log: Path) -> None:
        self.name = name
        self.log = log
        with log.open("a") as out:
            self.popen = subprocess.Popen(
                args,
                cwd=REPO_ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for_output(self, marker: str) -> None:
        deadline = time.monotonic() + PROCESS_START_SECONDS
        while time.monotonic() < deadline:
            if marker in self.output():
                return
            if self.popen.poll() is not None:
                break
            time.sleep(0.2)
        raise AssertionError(f"{self.name} did not print {marker!r}:\n{self.output()[-4000:]}")

    def stop(self, *, sig: int = signal.SIGTERM, timeout: float = 15.0) -> None:
        """Signal the process (not its group: a Celery worker's warm shutdown lets its pool
        finish the running tasks, which then release their reconcile locks; killing the pool
        mid-task would leave a lock held until its TTL and stall that key for later tests);
        SIGKILL the whole group if it has not exited after ``timeout``."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.popen.pid, sig)
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=10)


@dataclass
class ControlPlane:
    """The session's API server, workers and beat, and how to reach and steer them."""

    api: Api
    admin: Kubectl
    env: dict[str, str]
    root: Path
    redis_url: str
    beat: Process | None = None
    workers: list[Process] = field(default_factory=list)
    _count: int = 0

    def kubectl(self, namespace: str) -> Kubectl:
        """kubectl whose current context defaults to ``namespace``."""
        path = self.root / f"kubeconfig-{namespace}"
        if not path.exists():
            write_kubeconfig(self.admin.kubeconfig, path, namespace=namespace)
        return Kubectl(path, self.admin.home)

    def start_worker(self, *, concurrency: int = 2) -> Process:
        self._count += 1
        name = f"worker{self._count}"
        args = [sys.executable, "-m", "celery", "-A", "cluster", "worker", "--loglevel=INFO"]
        args += [f"--concurrency={concurrency}", "-n", f"{name}@%h"]
        args += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
        worker = Process(name, args, self.env, self.root / f"{name}.log")
        worker.wait_for_output(" ready.")
        self.workers.append(worker)
        return worker

    def stop_workers(self) -> None:
        for worker in self.workers:
            worker.stop()
        self.workers.clear()

    def start_beat(self) -> Process:
        args = [sys.executable, "-m", "celery", "-A", "cluster", "beat", "--loglevel=INFO"]
        args += ["-s", str(self.root / "beat-schedule"), "--pidfile", str(self.root / "beat.pid")]
        self.beat = Process("beat", args, self.env, self.root / "beat.log")
        self.beat.wait_for_output("dispatcher watching")
        return self.beat

    def stop_beat(self) -> None:
        if self.beat is not None:
            self.beat.stop()
            self.beat = None

    def flush_redis(self) -> None:
        """Lose every queued message, as a Redis restart without persistence would."""
        client = redis.Redis.from_url(self.redis_url)
        try:
            client.flushdb()
            client.set(_CLAIM, os.getpid(), ex=6 * 3600)
        finally:
            client.close()

    def logs(self) -> str:
        parts = [w.output() for w in self.workers]
        if self.beat is not None:
            parts.append(self.beat.output())
        return "\n".join(parts)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _micro_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def ready_condition(status: str = "True") -> dict[str, Any]:
    now = _now()
    return {
        "type": "Ready",
        "status": status,
        "reason": "KubeletReady" if status == "True" else "KubeletNotReady",
        "message": "kubelet is posting ready status",
        "lastHeartbeatTime": now,
        "lastTransitionTime": now,
    }


class NodeKeeper:
    """Nodes that a background thread keeps alive, as their kubelets would.

    Every ``NODE_RENEW_SECONDS`` each kept node's Lease gets a fresh ``renewTime`` and its
    Ready condition a fresh heartbeat (True). ``stop_renewing`` silences one node, as a
    kubelet that died; ``resume`` brings it back.
    """

    def __init__(self, api: Api, prefix: str) -> None:
        self.api = api
        self.prefix = prefix
        self.names: list[str] = []
        self._silent: set[str] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="node-keeper", daemon=True)
        self._thread.start()

    def add(
        self,
        name: str | None = None,
        *,
        cpu: str = "4",
        memory: str = "8Gi",
        pods: int = 110,
        labels: dict[str, str] | None = None,
        taints: list[dict[str, Any]] | None = None,
        unschedulable: bool = False,
    ) -> str:
        name = name or f"{self.prefix}-{len(self.names) + 1}"
        resources = {"cpu": cpu, "memory": memory, "pods": str(pods)}
        spec: dict[str, Any] = {"taints": taints or []}
        if unschedulable:
            spec["unschedulable"] = True
        node = {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {
                "name": name,
                "labels": {"kubernetes.io/hostname": name, **(labels or {})},
            },
            "spec": spec,
            "status": {
                "capacity": resources,
                "allocatable": resources,
                "conditions": [ready_condition()],
                "addresses": [{"type": "Hostname", "address": name}],
            },
        }
        self.api.create("/api/v1/nodes", node)
        self._renew_lease(name)
        with self._lock:
            self.names.append(name)
        return name

    def stop_renewing(self, name: str) -> None:
        with self._lock:
            self._silent.add(name)

    def resume(self, name: str) -> None:
        with self._lock:
            self._silent.discard(name)
        self._renew(name)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(10)
        # A node left behind would take the next test's pods: every deletion must succeed.
        statuses = {n: self.api.request("DELETE", f"/api/v1/nodes/{n}").status for n in self.names}
        assert all(s in (200, 404) for s in statuses.values()), f"node deletions: {statuses}"

    def _run(self) -> None:
        while not self._stop.wait(NODE_RENEW_SECONDS):
            with self._lock:
                alive = [n for n in self.names if n not in self._silent]
            for name in alive:
                with contextlib.suppress(Exception):  # a failed renewal is retried next tick
                    self._renew(name)

    def _renew(self, name: str) -> None:
        self._renew_lease(name)
        response = self.api.get(f"/api/v1/nodes/{name}")
        if response.status != 200:
            return
        node = response.body
        conditions = [c for c in node["status"].get("conditions") or [] if c.get("type") != "Ready"]
        node["status"]["conditions"] = [*conditions, ready_condition()]
        self.api.request("PUT", f"/api/v1/nodes/{name}/status", node)

    def _renew_lease(self, name: str) -> None:
        path = "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases"
        spec = {"holderIdentity": name, "leaseDurationSeconds": 40, "renewTime": _micro_now()}
        response = self.api.request(
            "PATCH", f"{path}/{name}", {"spec": spec}, content_type="application/merge-patch+json"
        )
        if response.status == 404:
            lease = {"metadata": {"name": name, "namespace": "kube-node-lease"}, "spec": spec}
            self.api.request("POST", path, lease)
