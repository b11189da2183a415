"""Which pods the scheduler must place, in which order, and which changes should wake it.

kube-scheduler's queue holds the pods that are not bound to a node, name it (or no scheduler)
as their ``schedulerName``, are not being deleted, have no scheduling gates left and have not
terminated; it pops them highest priority first, then oldest first. Here the queue is a list
read from the store at the start of each pass (``spec.nodeName=`` selects in SQL).

Changes that can let a waiting pod in are what trigger a pass: a new or changed pending pod,
a bound pod that goes away or terminates, freeing its share of a node
(``pod_change_matters``), and a new node or a change to what the filters read of one:
labels, taints, cordon, allocatable resources, condition statuses (``node_change_matters``).
A status-only write to a pending pod (the scheduler's own "Unschedulable" condition) and a
node's heartbeat do not, as kube-scheduler's queueing hints ignore them, so a failed pass
does not trigger itself forever and hundreds of heartbeating nodes cost no passes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cluster.registry.reconcile import Change
from cluster.registry.registry import Registry
from cluster.registry.resources import Resource
from cluster.registry.vocabulary import Object, parse_field_selector
from cluster.scheduling.filters import Placement, placement_of
from cluster.scheduling.nodes import is_terminated
from cluster.scheduling.resources import Demand, demand_of

SCHEDULER_NAME = "default-scheduler"
UNASSIGNED = parse_field_selector("spec.nodeName=")
ASSIGNED_AND_RUNNING = parse_field_selector(
    "spec.nodeName!=,status.phase!=Succeeded,status.phase!=Failed"
)


def is_assigned(pod: Object) -> bool:
    return bool((pod.get("spec") or {}).get("nodeName"))


def wants_scheduling(pod: Object) -> bool:
    """Whether this scheduler should place ``pod`` now."""
    spec: dict[str, Any] = pod.get("spec") or {}
    return not (
        spec.get("nodeName")
        or (spec.get("schedulerName") or SCHEDULER_NAME) != SCHEDULER_NAME
        or (pod.get("metadata") or {}).get("deletionTimestamp")
        or spec.get("schedulingGates")
        or is_terminated(pod)
    )


def pod_change_matters(change: Change) -> bool:
    """Whether a Pod change can make a waiting pod schedulable (or is one)."""
    pod, old = change.object, change.old
    if change.type == "DELETED":
        return is_assigned(pod) and not is_terminated(pod)
    if wants_scheduling(pod):
        return old is None or not wants_scheduling(old) or old.get("spec") != pod.get("spec")
    freed = is_assigned(pod) and is_terminated(pod)
    return freed and (old is None or not is_terminated(old))


def _scheduling_properties(node: Object) -> tuple[Any, ...]:
    meta, spec, status = (node.get(part) or {} for part in ("metadata", "spec", "status"))
    conditions = {
        c.get("type"): c.get("status")
        for c in status.get("conditions") or []
        if isinstance(c, dict)
    }
    return (
        meta.get("labels"),
        spec.get("taints"),
        bool(spec.get("unschedulable")),
        status.get("allocatable"),
        conditions,
    )


def node_change_matters(change: Change) -> bool:
    """Whether a Node change can make a waiting pod schedulable."""
    if change.type == "DELETED":
        return False  # a node going away frees nothing for anyone
    if change.old is None:
        return True
    return _scheduling_properties(change.old) != _scheduling_properties(change.object)


@dataclass(frozen=True)
class PendingPod:
    """A pod waiting for a node, with what the planner needs to know about it."""

    obj: Object
    placement: Placement
    demand: Demand

    @property
    def namespace(self) -> str:
        return str(self.obj["metadata"].get("namespace") or "")

    @property
    def name(self) -> str:
        return str(self.obj["metadata"].get("name") or "")

    @property
    def uid(self) -> str:
        return str(self.obj["metadata"].get("uid") or "")

    def queue_order(self) -> tuple[int, str, str, str]:
        """Highest priority first, then oldest, then by name (kube's PrioritySort)."""
        priority = (self.obj.get("spec") or {}).get("priority")
        created = str(self.obj["metadata"].get("creationTimestamp") or "")
        return (-(priority if isinstance(priority, int) else 0), created, self.namespace, self.name)


def pending_pod(obj: Object) -> PendingPod:
    return PendingPod(obj, placement_of(obj), demand_of(obj))


def list_pending(registry: Registry, pods: Resource) -> list[PendingPod]:
    """Every pod this scheduler should place now, in queue order."""
    listed = registry.list(pods, None, field_selector=UNASSIGNED).items
    waiting = [pending_pod(obj) for obj in listed if wants_scheduling(obj)]
    return sorted(waiting, key=PendingPod.queue_order)


def list_bound(registry: Registry, pods: Resource) -> list[Object]:
    """Every pod bound to a node that has not terminated: what takes the nodes' resources."""
    return registry.list(pods, None, field_selector=ASSIGNED_AND_RUNNING).items
