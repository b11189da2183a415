"""The node lifecycle controller: lost nodes go Unknown, get tainted, and their pods fail over.

Kube's ``node_lifecycle_controller`` with taint-based eviction and its taint eviction
controller, keyed by node name. Every monitor period (``resync_seconds``) each node is looked
at: a node silent for longer than ``CLUSTER_NODE_MONITOR_GRACE_SECONDS`` (``nodehealth.py``)
has its kubelet conditions set Unknown through ``nodes/status`` and a ``NodeNotReady`` event.
The Ready condition then decides the NoExecute taint: Unknown gives
``node.kubernetes.io/unreachable``, False ``node.kubernetes.io/not-ready``, True neither. Pods
on a node with NoExecute taints are deleted (gracefully, marked ``DisruptionTarget``) once
their tolerations run out (``tainteviction.py``); pods on a node that is not Ready are marked
not Ready so Services stop sending them traffic.

Lease expiry is found by the periodic look, not by a delayed message per renewal: such
messages would pile up, one per node per renewal. Renewals wake nothing, neither a Lease's nor
a heartbeat in the node's status: they keep a node alive without changing a decision. A node
that was lost is Ready again only once its kubelet posts Ready=True, as in kube, and that
change of the Ready status is what wakes its key. The one delayed message a reconcile
asks for is the next toleration to run out, and only when that falls within one monitor
period (the periodic look comes back before any later one).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from django.conf import settings

from cluster.controllers.nodehealth import (
    NODE_LEASE_NAMESPACE,
    READY,
    format_time,
    is_silent,
    mark_unknown,
    parse_time,
    ready_status,
)
from cluster.controllers.tainteviction import NO_EXECUTE, eviction_time, no_execute_taints
from cluster.registry.catalog import RESOURCES
from cluster.registry.errors import NotFound
from cluster.registry.kinds.pods import NOT_READY_TAINT, UNREACHABLE_TAINT
from cluster.registry.reconcile import DONE, Change, Outcome
from cluster.registry.recorder import NORMAL, EventRecorder
from cluster.registry.registry import DeleteOptions, Registry
from cluster.registry.vocabulary import Object, parse_field_selector

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]

# The NoExecute taint each Ready status calls for.
_TAINT_FOR_READY = {"False": NOT_READY_TAINT, "Unknown": UNREACHABLE_TAINT}
_EVICTION_MESSAGE = "Taint manager: deleting due to NoExecute taint"


def _utcnow() -> datetime:
    return datetime.now(UTC)


class NodeLifecycleController:
    name = "node-lifecycle"
    # Not Lease: a renewal never changes a decision here. Expiry is a matter of time, found by
    # the periodic look; a node is Ready again only when its kubelet posts Ready=True.
    kinds: tuple[str, ...] = ("Node",)

    def __init__(self, *, clock: Clock = _utcnow) -> None:
        self.clock = clock
        self.nodes = RESOURCES.of_kind("Node")
        self.pods = RESOURCES.of_kind("Pod")
        self.leases = RESOURCES.of_kind("Lease", "coordination.k8s.io")

    @property
    def resync_seconds(self) -> float:
        """The monitor period: how often every node's health is checked."""
        return float(settings.CLUSTER_NODE_MONITOR_PERIOD_SECONDS)

    # -- keys --

    def keys_for(self, change: Change, registry: Registry) -> Iterable[str]:
        """A node whose Ready status or taints changed; not one that only sent a heartbeat."""
        if (
            change.type == "MODIFIED"
            and change.old is not None
            and _decided_alike(change.old, change.object)
        ):
            return ()
        return (change.name,)

    def resync_keys(self, registry: Registry) -> Iterable[str]:
        for node in registry.list(self.nodes, None).items:
            yield str((node.get("metadata") or {}).get("name"))

    # -- reconcile --

    def reconcile(self, key: str, registry: Registry) -> Outcome:
        now = self.clock()
        try:
            node = registry.get(self.nodes, None, key)
            node = self._monitor_health(registry, node, now)
            node = self._sync_taints(registry, node, now)
        except NotFound:
            return DONE
        taints = no_execute_taints(node)
        if ready_status(node) == "True" and not taints:
            return DONE
        pods = self._pods_on(registry, key)
        if ready_status(node) != "True":
            self._mark_pods_not_ready(registry, pods, now)
        return self._evict(registry, pods, taints, now)

    def _lease(self, registry: Registry, name: str) -> Object | None:
        try:
            return registry.get(self.leases, NODE_LEASE_NAMESPACE, name)
        except NotFound:
            return None

    def _monitor_health(self, registry: Registry, node: Object, now: datetime) -> Object:
        """Set the kubelet's conditions Unknown if the node has been silent too long."""
        grace = float(settings.CLUSTER_NODE_MONITOR_GRACE_SECONDS)
        name = str(node["metadata"]["name"])
        lease = self._lease(registry, name)
        if not is_silent(node, lease, now=now, grace=grace):
            return node
        went_unknown: list[bool] = []

        def unknown(current: Object) -> Object:
            # Re-checked on the stored node: a heartbeat may have just been posted.
            went_unknown.clear()
            was_ready = ready_status(current) == "True"
            if is_silent(current, lease, now=now, grace=grace) and mark_unknown(current, now):
                went_unknown.append(was_ready)
            return current

        stored = registry.update(self.nodes, None, name, unknown, subresource="status").object
        if went_unknown:
            log.info("node-lifecycle: node %s is silent; its conditions are now Unknown", name)
        if went_unknown and went_unknown[0]:
            self._recorder(registry, "node-controller").event(
                stored, NORMAL, "NodeNotReady", f"Node {name} status is now: NodeNotReady"
            )
        return stored

    def _sync_taints(self, registry: Registry, node: Object, now: datetime) -> Object:
        """Give the node the NoExecute taint its Ready status calls for, and no other."""
        if _taints_as_wanted(node, now) == _taints(node):
            return node

        def retaint(current: Object) -> Object:
            spec = current.get("spec")
            if not isinstance(spec, dict):
                spec = current["spec"] = {}
            spec["taints"] = _taints_as_wanted(current, now)
            if not spec["taints"]:
                del spec["taints"]
            return current

        name = str(node["metadata"]["name"])
        stored = registry.update(self.nodes, None, name, retaint).object
        log.info(
            "node-lifecycle: node %s (Ready=%s) now has taints %s",
            name,
            ready_status(stored),
            [f"{t.get('key')}:{t.get('effect')}" for t in _taints(stored)] or "none",
        )
        return stored

    def _pods_on(self, registry: Registry, node_name: str) -> list[Object]:
        on_node = parse_field_selector(f"spec.nodeName={node_name}")
        return registry.list(self.pods, None, field_selector=on_node).items

    def _mark_pods_not_ready(self, registry: Registry, pods: list[Object], now: datetime) -> None:
        """Kube's ``MarkPodsNotReady``: a pod on a node nobody vouches for is not Ready."""
        for pod in pods:
            if _pod_ready(pod) in (None, "False"):
                continue
            meta = pod["metadata"]

            def not_ready(current: Object) -> Object:
                for cond in (current.get("status") or {}).get("conditions") or []:
                    if cond.get("type") == READY and cond.get("status") != "False":
                        cond["status"] = "False"
                        cond["lastTransitionTime"] = format_time(now)
                return current

            try:
                registry.update(
                    self.pods, meta["namespace"], meta["name"], not_ready, subresource="status"
                )
            except NotFound:
                continue

    def _evict(
        self, registry: Registry, pods: list[Object], taints: list[dict[str, Any]], now: datetime
    ) -> Outcome:
        """Delete the pods whose tolerations ran out; come back when the next one runs out."""
        if not taints:
            return DONE
        soonest: datetime | None = None
        for pod in pods:
            if (pod.get("metadata") or {}).get("deletionTimestamp"):
                continue
            ends = eviction_time(pod, taints)
            if ends is None:
                continue
            if ends <= now:
                self._delete_pod(registry, pod, now)
            elif soonest is None or ends < soonest:
                soonest = ends
        if soonest is None:
            return DONE
        wait = (soonest - now).total_seconds()
        # Beyond one monitor period the periodic look comes back sooner than this would.
        return Outcome(requeue_after=wait) if wait <= self.resync_seconds else DONE

    def _delete_pod(self, registry: Registry, pod: Object, now: datetime) -> None:
        """Kube's taint eviction: mark the pod a disruption target, then delete it."""
        meta = pod["metadata"]
        namespace, name = str(meta["namespace"]), str(meta["name"])
        self._recorder(registry, "taint-eviction-controller").event(
            pod, NORMAL, "TaintManagerEviction", f"Marking for deletion Pod {namespace}/{name}"
        )
        try:
            registry.update(
                self.pods, namespace, name, _disruption_target(now), subresource="status"
            )
            registry.delete(self.pods, namespace, name, DeleteOptions())
        except NotFound:
            return

    @staticmethod
    def _recorder(registry: Registry, component: str) -> EventRecorder:
        return EventRecorder(registry, component)


def _taints(node: Object) -> list[dict[str, Any]]:
    found = (node.get("spec") or {}).get("taints")
    return [t for t in found if isinstance(t, dict)] if isinstance(found, list) else []


def _taints_as_wanted(node: Object, now: datetime) -> list[dict[str, Any]]:
    """The node's taints with the Ready-driven NoExecute taint right, every NoExecute timed.

    A NoExecute taint without a readable ``timeAdded`` gets ``now``: toleration times count
    from it, and it must be stored for every worker to count from the same moment.
    """
    wanted = _TAINT_FOR_READY.get(ready_status(node))
    kept = [
        dict(t)
        for t in _taints(node)
        if t.get("effect") != NO_EXECUTE
        or t.get("key") not in (NOT_READY_TAINT, UNREACHABLE_TAINT)
        or t.get("key") == wanted
    ]
    if wanted is not None and not any(
        t.get("key") == wanted and t.get("effect") == NO_EXECUTE for t in kept
    ):
        kept.append({"key": wanted, "effect": NO_EXECUTE})
    for taint in kept:
        if taint.get("effect") == NO_EXECUTE and parse_time(taint.get("timeAdded")) is None:
            taint["timeAdded"] = format_time(now)
    return kept


def _decided_alike(old: Object, new: Object) -> bool:
    """Whether two versions of a node agree on all this controller decides by."""
    return (ready_status(old), _taints(old)) == (ready_status(new), _taints(new))


def _pod_ready(pod: Object) -> str | None:
    for cond in (pod.get("status") or {}).get("conditions") or []:
        if isinstance(cond, dict) and cond.get("type") == READY:
            return str(cond.get("status"))
    return None


def _disruption_target(now: datetime) -> Callable[[Object], Object]:
    """A status transform adding the condition that says why the pod is going."""

    def mark(pod: Object) -> Object:
        status = pod.get("status")
        if not isinstance(status, dict):
            status = pod["status"] = {}
        conditions = [
            c for c in status.get("conditions") or [] if c.get("type") != "DisruptionTarget"
        ]
        conditions.append(
            {
                "type": "DisruptionTarget",
                "status": "True",
                "reason": "DeletionByTaintManager",
                "message": _EVICTION_MESSAGE,
                "lastTransitionTime": format_time(now),
            }
        )
        status["conditions"] = conditions
        return pod

    return mark
