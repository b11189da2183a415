"""Pod workers: one thread per pod, fed by the pod watch and by the container monitor.

As kubelet's pod workers, each pod is synced by its own thread, so a slow image pull or a
grace period in one pod never delays another. A worker wakes when its pod changes, when its
containers change (``ContainerMonitor``, kubelet's PLEG: one cheap listing of the node's
containers every second), when its back-off ends, or every ``resync_period`` seconds, jittered
by up to half as kubelet jitters its sync interval: pods created together would otherwise wake
together for ever, and a process hosting thousands of them (``--nodes`` with the simulated
runtime) would spend its time with every thread fighting for the interpreter at once. It ends
once its pod is gone: deleted gracefully (stopped, then confirmed to the API) or unknown to the
API (an orphan: its containers are stopped and removed).
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable, Mapping
from typing import Any

from nodeagent import labels
from nodeagent.errors import ApiError
from nodeagent.pods.sync import PodSyncer
from nodeagent.runtime.base import Runtime, RuntimeFailure

log = logging.getLogger(__name__)

Pod = dict[str, Any]
# Containers of a pod the API no longer knows get this long to stop (kubelet's minimum).
ORPHAN_GRACE_SECONDS = 2.0
# The first retry of a failed sync.
SYNC_RETRY_SECONDS = 1.0
# The periodic resync waits up to this fraction longer, at random (kubelet's
# workerResyncIntervalJitterFactor).
RESYNC_JITTER = 0.5


def retry_delay(failures: int, longest: float) -> float:
    """Seconds before syncing again after ``failures`` failed syncs in a row: 1 s, doubling, at
    most ``longest``. A pod whose engine or API is away is not hammered; it is woken sooner
    when its containers change (the engine is back) or its pod does."""
    return min(SYNC_RETRY_SECONDS * float(2 ** min(failures, 16)), longest)


def pod_uid(pod: Mapping[str, Any]) -> str:
    return str((pod.get("metadata") or {}).get("uid"))


class _Worker:
    def __init__(
        self,
        syncer: PodSyncer,
        pod: Pod | None,
        *,
        stop: threading.Event,
        resync_period: float,
        done: Callable[[_Worker], None],
    ) -> None:
        self.syncer = syncer
        self.pod = pod
        self.stop = stop
        self.resync_period = resync_period
        self.done = done
        self.finished = False
        self.wake = threading.Event()
        self.thread = threading.Thread(target=self._run, name=f"pod-{syncer.uid[:8]}", daemon=True)

    def update(self, pod: Pod | None) -> None:
        self.pod = pod
        self.wake.set()

    def _run(self) -> None:
        failures = 0
        try:
            while not self.stop.is_set():
                self.wake.clear()
                pod = self.pod
                try:
                    if self._step(pod):
                        return
                    wait = self.syncer.sync(pod) if pod is not None else None
                    failures = 0
                except (ApiError, RuntimeFailure, OSError) as e:
                    wait = retry_delay(failures, self.resync_period)
                    failures += 1
                    log.warning(
                        "syncing pod %s failed (next try within %.0f s): %s",
                        self.syncer.uid,
                        wait,
                        e,
                    )
                self.wake.wait(min(wait, self.resync_period) if wait else self._resync_wait())
        finally:
            self.syncer.close()
            self.done(self)

    def _resync_wait(self) -> float:
        return self.resync_period * (1.0 + RESYNC_JITTER * random.random())

    def _step(self, pod: Pod | None) -> bool:
        """Stop the pod if it is going away; whether the worker is done."""
        if pod is None:
            self.syncer.terminate(None, ORPHAN_GRACE_SECONDS)
            return True
        meta = pod.get("metadata") or {}
        if not meta.get("deletionTimestamp"):
            return False
        self.syncer.terminate(pod, float(meta.get("deletionGracePeriodSeconds") or 0))
        self.syncer.confirm_deletion(pod)
        return True


class PodWorkers:
    """The pods bound to this node, each with its worker; a reflector ``Handler``."""

    def __init__(
        self,
        make_syncer: Callable[[str], PodSyncer],
        *,
        stop: threading.Event,
        resync_period: float = 10.0,
    ) -> None:
        self.make_syncer = make_syncer
        self.stop = stop
        self.resync_period = resync_period
        self._lock = threading.Lock()
        self._workers: dict[str, _Worker] = {}
        self._known: dict[str, Pod] = {}
        self.listed_once = threading.Event()

    def _dispatch(self, uid: str, pod: Pod | None) -> None:
        with self._lock:
            worker = self._workers.get(uid)
            if worker is None or worker.finished:
                worker = _Worker(
                    self.make_syncer(uid),
                    pod,
                    stop=self.stop,
                    resync_period=self.resync_period,
                    done=self._finished,
                )
                self._workers[uid] = worker
                worker.thread.start()
            else:
                worker.update(pod)

    def _finished(self, worker: _Worker) -> None:
        with self._lock:
            worker.finished = True
            if self._workers.get(worker.syncer.uid) is worker:
                del self._workers[worker.syncer.uid]

    # -- the reflector's handler --

    def listed(self, objects: list[Pod]) -> None:
        current = {pod_uid(p): p for p in objects}
        with self._lock:
            vanished = [uid for uid in self._known if uid not in current]
            self._known = dict(current)
        for uid, pod in current.items():
            self._dispatch(uid, pod)
        for uid in vanished:
            self._dispatch(uid, None)
        self.listed_once.set()

    def changed(self, obj: Pod) -> None:
        uid = pod_uid(obj)
        with self._lock:
            self._known[uid] = obj
        self._dispatch(uid, obj)

    def removed(self, obj: Pod) -> None:
        uid = pod_uid(obj)
        with self._lock:
            self._known.pop(uid, None)
        self._dispatch(uid, None)

    # -- the container monitor's --

    def containers_changed(self, uid: str) -> None:
        """Wake the pod's worker; a pod unknown to the API (once listed) is an orphan."""
        with self._lock:
            worker = self._workers.get(uid)
            known = uid in self._known
        if worker is not None and not worker.finished:
            worker.wake.set()
        elif not known and self.listed_once.is_set():
            self._dispatch(uid, None)

    def wake(self, uid: str) -> None:
        """Sync the pod now (its probes changed their verdict)."""
        with self._lock:
            worker = self._workers.get(uid)
        if worker is not None and not worker.finished:
            worker.wake.set()

    def active(self) -> int:
        with self._lock:
            return sum(1 for w in self._workers.values() if not w.finished)


class ContainerMonitor:
    """Lists the node's containers every ``period`` seconds and reports pods whose changed."""

    def __init__(
        self,
        runtime: Runtime,
        node_name: str,
        workers: PodWorkers,
        *,
        stop: threading.Event,
        period: float = 1.0,
    ) -> None:
        self.runtime = runtime
        self.node_name = node_name
        self.workers = workers
        self.stop = stop
        self.period = period
        self._seen: dict[str, frozenset[tuple[str, str]]] = {}

    def relist(self) -> None:
        by_pod: dict[str, set[tuple[str, str]]] = {}
        for summary in self.runtime.summaries({labels.NODE: self.node_name}):
            uid = summary.labels.get(labels.POD_UID, "")
            by_pod.setdefault(uid, set()).add((summary.id, summary.state))
        current = {uid: frozenset(states) for uid, states in by_pod.items()}
        for uid, states in current.items():
            if self._seen.get(uid) != states or not self._seen:
                self.workers.containers_changed(uid)
        self._seen = current

    def run(self) -> None:
        self.workers.listed_once.wait()
        unreachable = False
        while not self.stop.is_set():
            try:
                self.relist()
            except RuntimeFailure as e:
                if not unreachable:
                    log.warning("listing containers failed: %s", e)
                unreachable = True
                # Once the engine answers again, every pod is looked at: what it did while
                # away (an engine restart stops every container) may match the last listing.
                self._seen = {}
            else:
                if unreachable:
                    log.info("the container runtime answers again")
                unreachable = False
            self.stop.wait(self.period)
