"""What a scheduling pass writes: bindings, Unschedulable conditions and their Events.

A binding goes through ``pods/binding`` semantics (``bind_pod``): a compare-and-swap that sets
``spec.nodeName`` only while it is empty and the pod is the one that was read (uid
precondition, as kube-scheduler's Binding carries it), so a pod is never bound twice. A bind
that loses (Conflict: bound meanwhile, being deleted, replaced; or NotFound) skips that pod.

A pod that fits nowhere gets ``PodScheduled=False``, reason ``Unschedulable`` and kube's
message, through the ``pods/status`` subresource, plus a ``FailedScheduling`` Warning with the
same message. Both are written only when the condition changes (new, or a different message),
so retrying a pod that is still stuck for the same reason costs no write; kube-scheduler
records an Event per attempt, which its event correlator then folds into one.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from cluster.registry.catalog import RESOURCES
from cluster.registry.errors import Conflict, NotFound
from cluster.registry.recorder import NORMAL, WARNING, EventRecorder
from cluster.registry.registry import Registry
from cluster.registry.subresources import bind_pod
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


class DecisionWriter:
    """Writes a pass's decisions about pods, on behalf of ``default-scheduler``."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.pods = RESOURCES.of_kind("Pod")
        self.recorder = EventRecorder(registry, SCHEDULER_NAME)

    def bind(self, pod: PendingPod, node: str) -> bool:
        """Bind ``pod`` to ``node``; False if it was bound, replaced or deleted meanwhile."""
        binding: Object = {
            "apiVersion": "v1",
            "kind": "Binding",
            "metadata": {"name": pod.name, "namespace": pod.namespace, "uid": pod.uid},
            "target": {"apiVersion": "v1", "kind": "Node", "name": node},
        }
        try:
            bound = bind_pod(self.registry, pod.namespace, pod.name, binding, current=pod.obj)
        except (Conflict, NotFound) as exc:
            log.info("scheduler: not binding %s/%s to %s: %s", pod.namespace, pod.name, node, exc)
            return False
        message = f"Successfully assigned {pod.namespace}/{pod.name} to {node}"
        self.recorder.event(bound, NORMAL, "Scheduled", message)
        return True

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
