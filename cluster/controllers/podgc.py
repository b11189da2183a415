"""Pod garbage collection: what kube-controller-manager's podgc controller cleans up.

Three kinds of pod would otherwise stay forever:

- terminated pods (``Succeeded`` or ``Failed``) beyond ``CLUSTER_TERMINATED_POD_GC_THRESHOLD``
  (kube's ``--terminated-pod-gc-threshold``, 12500; 0 turns this off): the evicted ones first,
  then the oldest by ``creationTimestamp``;
- pods bound to a node that no longer exists, which no node agent will ever stop or report on;
- pods being deleted that were never scheduled, which no node agent will ever confirm.

The last two are force-deleted (grace period 0) after being marked ``Failed`` (an orphan also
gets kube's ``DisruptionTarget`` condition, reason ``DeletionByPodGC``). A pod whose node is
missing waits out a quarantine first (``CLUSTER_POD_GC_QUARANTINE_SECONDS``, kube's fixed 40 s):
its node may register in a moment, or come back after a ``kubectl delete node``. Kube measures
the quarantine in its leader's memory; here any worker may take the next look, so the moment
a node was first seen missing is a record in the store (``cluster.registry.records``).

Like kube's, the controller sweeps every pod at once, so it has a single key; beside its own
resync every 20 s (kube's ``gcCheckPeriod``) it looks when a node is deleted, when a pod
terminates and when an unscheduled pod is being deleted.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from django.conf import settings

from cluster.registry import records
from cluster.registry.catalog import RESOURCES
from cluster.registry.errors import Conflict, NotFound
from cluster.registry.reconcile import DONE, Change, Outcome
from cluster.registry.registry import DeleteOptions, Registry
from cluster.registry.vocabulary import Object, Preconditions

log = logging.getLogger(__name__)

KEY = "pods"
QUARANTINE_KIND = "PodGCMissingNode"
"""The store kind of "node X was first seen missing at": one record per missing node."""
TERMINAL_PHASES = ("Succeeded", "Failed")
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"

Clock = Callable[[], datetime]


PODS = RESOURCES.of_kind("Pod")
NODES = RESOURCES.of_kind("Node")


def _meta(obj: Object | None) -> dict[str, Any]:
    return (obj or {}).get("metadata") or {}


def _phase(pod: Object | None) -> str:
    return str(((pod or {}).get("status") or {}).get("phase") or "")


def _node_name(pod: Object) -> str:
    return str((pod.get("spec") or {}).get("nodeName") or "")


def is_terminated(pod: Object | None) -> bool:
    return _phase(pod) in TERMINAL_PHASES


def _is_unscheduled_terminating(pod: Object) -> bool:
    return bool(_meta(pod).get("deletionTimestamp")) and not _node_name(pod)


def _is_being_force_deleted(pod: Object) -> bool:
    """Already marked Failed and deleted with grace 0: only finalizers hold it now."""
    meta = _meta(pod)
    return (
        bool(meta.get("deletionTimestamp"))
        and int(meta.get("deletionGracePeriodSeconds") or 0) == 0
        and is_terminated(pod)
    )


def collection_order(pod: Object) -> tuple[bool, str, str]:
    """Kube's order for terminated pods: evicted ones first, then oldest, then by name."""
    status = pod.get("status") or {}
    evicted = status.get("phase") == "Failed" and status.get("reason") == "Evicted"
    meta = _meta(pod)
    return (not evicted, str(meta.get("creationTimestamp") or ""), str(meta.get("name") or ""))


def _now() -> datetime:
    return datetime.now(UTC)


class PodGarbageCollector:
    """One key, ``pods``: every sweep looks at every pod."""

    name = "pod-gc"
    kinds: tuple[str, ...] = ("Pod", "Node")
    resync_seconds = 20.0

    def __init__(self, clock: Clock = _now) -> None:
        self.clock = clock

    def keys_for(self, change: Change, registry: Registry) -> Iterable[str]:
        if change.kind == "Node":
            return [KEY] if change.type == "DELETED" else ()
        if change.type == "DELETED":
            return ()
        pod = change.object
        if is_terminated(pod) and not is_terminated(change.old):
            return [KEY]
        if _is_unscheduled_terminating(pod) and not _is_being_force_deleted(pod):
            return [KEY]
        return ()

    def resync_keys(self, registry: Registry) -> Iterable[str]:
        return [KEY]

    def reconcile(self, key: str, registry: Registry) -> Outcome:
        pods = registry.list(PODS, None).items
        gone = self._collect_terminated(registry, pods)
        pods = [p for p in pods if _meta(p).get("uid") not in gone]
        wait = self._collect_orphaned(registry, pods)
        self._collect_unscheduled_terminating(registry, pods)
        return DONE if wait is None else Outcome(requeue_after=wait)

    # -- the three sweeps --

    def _collect_terminated(self, registry: Registry, pods: list[Object]) -> set[str]:
        threshold = int(settings.CLUSTER_TERMINATED_POD_GC_THRESHOLD)
        terminated = [p for p in pods if is_terminated(p)]
        excess = len(terminated) - threshold
        if threshold <= 0 or excess <= 0:
            return set()
        log.info("pod-gc: garbage collecting %d terminated pods (threshold %d)", excess, threshold)
        chosen = sorted(terminated, key=collection_order)[:excess]
        for pod in chosen:
            if not _is_being_force_deleted(pod):
                self._delete(registry, pod, why="terminated pod beyond the threshold")
        return {str(_meta(p).get("uid")) for p in chosen}

    def _collect_orphaned(self, registry: Registry, pods: list[Object]) -> float | None:
        """Delete pods of nodes missing for the quarantine; seconds until the next is due."""
        nodes = {str(_meta(n).get("name")) for n in registry.list(NODES, None).items}
        orphans: dict[str, list[Object]] = {}
        for pod in pods:
            node = _node_name(pod)
            if node and node not in nodes and not _is_being_force_deleted(pod):
                orphans.setdefault(node, []).append(pod)
        marks = {str(_meta(r).get("name")): r for r in records.all_of(registry, QUARANTINE_KIND)}
        for node in set(marks) - set(orphans):
            records.release(registry, marks[node])  # back again, or nothing left on it
        quarantine = float(settings.CLUSTER_POD_GC_QUARANTINE_SECONDS)
        wait: float | None = None
        for node, stranded in sorted(orphans.items()):
            remaining = quarantine - self._missing_for(registry, node, marks.get(node))
            if remaining > 0:
                wait = remaining if wait is None else min(wait, remaining)
            elif not self._node_exists(registry, node):
                for pod in stranded:
                    self._delete(
                        registry,
                        pod,
                        why=f"orphaned pod assigned to deleted node {node}",
                        condition=_disruption("PodGC: node no longer exists"),
                    )
        return wait

    def _collect_unscheduled_terminating(self, registry: Registry, pods: list[Object]) -> None:
        for pod in pods:
            if _is_unscheduled_terminating(pod) and not _is_being_force_deleted(pod):
                self._delete(registry, pod, why="unscheduled terminating pod")

    # -- helpers --

    def _missing_for(self, registry: Registry, node: str, mark: Object | None) -> float:
        """Seconds since ``node`` was first seen missing (0 when that is now)."""
        now = self.clock()
        if mark is None:
            spec = {"nodeName": node, "since": now.strftime(_TIME_FORMAT)}
            mark = records.claim(registry, QUARANTINE_KIND, node, spec) or records.get(
                registry, QUARANTINE_KIND, node
            )
        since = str(((mark or {}).get("spec") or {}).get("since") or "")
        try:
            first = datetime.strptime(since, _TIME_FORMAT).replace(tzinfo=UTC)
        except ValueError:
            return 0.0
        return max(0.0, (now - first).total_seconds())

    @staticmethod
    def _node_exists(registry: Registry, node: str) -> bool:
        try:
            registry.get(NODES, None, node)
        except NotFound:
            return False
        return True

    @staticmethod
    def _delete(
        registry: Registry, pod: Object, *, why: str, condition: dict[str, Any] | None = None
    ) -> None:
        """Kube's markFailedAndDeletePod: Failed first (if still running), then grace 0."""
        meta = _meta(pod)
        namespace, name, uid = meta.get("namespace"), str(meta.get("name")), meta.get("uid")
        try:
            if not is_terminated(pod):
                registry.update(
                    PODS, namespace, name, _mark_failed(uid, condition), subresource="status"
                )
            registry.delete(
                PODS,
                namespace,
                name,
                DeleteOptions(grace_period_seconds=0, preconditions=Preconditions(uid=uid)),
            )
        except (NotFound, _Replaced):
            return
        except Conflict:
            if _replaced(registry, pod):
                return  # a new pod of the same name: not ours to delete
            raise
        log.info("pod-gc: deleted %s %s/%s", why, namespace, name)


def _replaced(registry: Registry, pod: Object) -> bool:
    meta = _meta(pod)
    try:
        current = registry.get(PODS, meta.get("namespace"), str(meta.get("name")))
    except NotFound:
        return True
    return _meta(current).get("uid") != meta.get("uid")


class _Replaced(Exception):
    """The pod was deleted and another of the same name created meanwhile."""


def _disruption(message: str) -> dict[str, Any]:
    return {
        "type": "DisruptionTarget",
        "status": "True",
        "reason": "DeletionByPodGC",
        "message": message,
        "lastTransitionTime": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def _mark_failed(uid: Any, condition: dict[str, Any] | None) -> Callable[[Object], Object]:
    def mark(pod: Object) -> Object:
        if _meta(pod).get("uid") != uid:
            raise _Replaced
        status = pod.setdefault("status", {})
        if status.get("phase") not in TERMINAL_PHASES:
            status["phase"] = "Failed"
        if condition is not None:
            others = [
                c for c in status.get("conditions") or [] if c.get("type") != condition["type"]
            ]
            status["conditions"] = [*others, condition]
        return pod

    return mark
