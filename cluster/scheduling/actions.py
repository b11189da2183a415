"""What a scheduling pass writes: bindings, Unschedulable conditions and their Events.

A binding goes through ``pods/binding`` semantics (``bind_pods``): a compare-and-swap that sets
``spec.nodeName`` only while it is empty and the pod is the one that was read (uid
precondition, as kube-scheduler's Binding carries it), so a pod is never bound twice. A bind
that loses (Conflict: bound meanwhile, being deleted, replaced; or NotFound) skips that pod.
Bindings are written in batches, one store transaction per batch and another for their
``Scheduled`` Events: on a database that flushes its log at every commit, commits are what a
scheduler's throughput is made of.

A pod that fits nowhere gets ``PodScheduled=False``, reason ``Unschedulable`` and kube's
message, through the ``pods/status`` subresource, plus a ``FailedScheduling`` Warning with the
same message. Both are written only when the condition changes (new, or a different message),
so retrying a pod that is still stuck for the same reason costs no write; kube-scheduler
records an Event per attempt, which its event correlator then folds into one.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from cluster.registry.catalog import RESOURCES
from cluster.registry.errors import Conflict, NotFound, StoreError
from cluster.registry.recorder import NORMAL, WARNING, EventRecorder, Occurrence
from cluster.registry.registry import Registry
from cluster.registry.subresources import PodBinding, bind_pods
from cluster.registry.vocabulary import Object
from cluster.scheduling.queue import SCHEDULER_NAME, PendingPod

log = logging.getLogger(__name__)

POD_SCHEDULED = "PodScheduled"
UNSCHEDULABLE = "Unschedulable"


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def scheduled_condition(pod: Object) -> dict[str, Any] | None:
    for condition in (pod.get("status") or {}).get("conditions") or []:
        if isinstance(condition, dict) and condition.get("type") == POD_SCHEDULED:
            return condition
    return None


def already_says(pod: Object, message: str) -> bool:
    """Whether ``pod`` already carries this Unschedulable condition."""
    condition = scheduled_condition(pod) or {}
    return (
        condition.get("status") == "False"
        and condition.get("reason") == UNSCHEDULABLE
        and condition.get("message") == message
    )


def with_unschedulable(pod: Object, message: str) -> Object:
    """``pod`` with its PodScheduled condition set to False/Unschedulable/``message``."""
    previous = scheduled_condition(pod) or {}
    changed_status = previous.get("status") != "False"
    condition = {
        "type": POD_SCHEDULED,
        "status": "False",
        "lastProbeTime": None,
        "lastTransitionTime": _now() if changed_status else previous.get("lastTransitionTime"),
        "reason": UNSCHEDULABLE,
        "message": message,
    }
    status = pod.setdefault("status", {})
    conditions = list(status.get("conditions") or [])
    if previous:
        conditions[conditions.index(previous)] = condition
    else:
        conditions.append(condition)
    status["conditions"] = conditions
    return pod


def _binding(pod: PendingPod, node: str) -> Object:
    """The Binding kube-scheduler posts: the pod's name and uid, and the node."""
    return {
        "apiVersion": "v1",
        "kind": "Binding",
        "metadata": {"name": pod.name, "namespace": pod.namespace, "uid": pod.uid},
        "target": {"apiVersion": "v1", "kind": "Node", "name": node},
    }


class DecisionWriter:
    """Writes a pass's decisions about pods, on behalf of ``default-scheduler``."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.pods = RESOURCES.of_kind("Pod")
        self.recorder = EventRecorder(registry, SCHEDULER_NAME)

    def bind(self, pod: PendingPod, node: str) -> bool:
        """Bind ``pod`` to ``node``; False if it was bound, replaced or deleted meanwhile."""
        return self.bind_all([(pod, node)])["bound"] == 1

    def bind_all(self, placed: Sequence[tuple[PendingPod, str]]) -> Counter[str]:
        """Bind each pod to its node in one store transaction, then record their Scheduled
        Events in another; count the pods "bound" and those "lost" to another writer."""
        bindings = [
            PodBinding(pod.namespace, pod.name, _binding(pod, node), pod.obj)
            for pod, node in placed
        ]
        outcomes: Counter[str] = Counter()
        scheduled: list[Occurrence] = []
        for (pod, node), result in zip(placed, bind_pods(self.registry, bindings), strict=True):
            if isinstance(result, Conflict | NotFound):
                log.info(
                    "scheduler: not binding %s/%s to %s: %s", pod.namespace, pod.name, node, result
                )
                outcomes["lost"] += 1
            elif isinstance(result, StoreError):
                raise result
            else:
                # About the pod as it was read, as kube-scheduler records it on the pod it
                # assumed, not on the one the binding returned.
                message = f"Successfully assigned {pod.namespace}/{pod.name} to {node}"
                scheduled.append((pod.obj, NORMAL, "Scheduled", message))
                outcomes["bound"] += 1
        self.recorder.record_all(scheduled)
        return outcomes

    def mark_unschedulable(self, pod: PendingPod, message: str) -> bool:
        """Record that ``pod`` fits no node; False if there was nothing to change."""
        if already_says(pod.obj, message):
            return False
        changed = False

        def record(current: Object) -> Object:
            nonlocal changed
            meta, spec = current.get("metadata") or {}, current.get("spec") or {}
            still_waiting = meta.get("uid") == pod.uid and not spec.get("nodeName")
            changed = still_waiting and not already_says(current, message)
            return with_unschedulable(current, message) if changed else current

        try:
            self.registry.update(self.pods, pod.namespace, pod.name, record, subresource="status")
        except NotFound:
            return False
        if changed:
            self.recorder.event(pod.obj, WARNING, "FailedScheduling", message)
        return changed
