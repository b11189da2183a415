"""Pods: kube's ``pkg/registry/core/pod/strategy.go`` plus the admission defaults every pod gets.

On top of the pod-spec defaults (``podspec.py``) a pod gets what kube-apiserver's default
admission plugins add: priority 0 and ``PreemptLowerPriority`` (Priority), tolerations of
not-ready and unreachable nodes (DefaultTolerationSeconds: five minutes unless configured),
service links, and requests copied from limits. A new pod starts ``Pending`` with its QoS
class. Its spec is immutable but for the few fields ``podupdate.py`` lists. Deleting a pod that
runs on a node is graceful: the pod stays, marked, until its node confirms or a delete with
grace 0 comes.

``validate_pod_spec``, ``default_pod_spec``, ``default_pod_template`` and
``validate_pod_template`` are re-exported for the strategies that embed a pod template.
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings

from cluster.registry import names
from cluster.registry.errors import Cause, forbidden, invalid
from cluster.registry.kinds.podresources import default_requests_from_limits, qos_class
from cluster.registry.kinds.podspec import (
    DEFAULT_GRACE_SECONDS,
    default_pod_spec,
    default_pod_template,
    validate_pod_spec,
    validate_pod_template,
)
from cluster.registry.kinds.podstatus import sync_ips, validate_pod_status
from cluster.registry.kinds.podupdate import validate_pod_spec_update
from cluster.registry.kinds.shapes import child, entries, index, mapping, sequence, text
from cluster.registry.strategy import StatusStrategy, Strategy
from cluster.store.types import Object

__all__ = [
    "PodStatusStrategy",
    "PodStrategy",
    "default_pod",
    "default_pod_spec",
    "default_pod_template",
    "validate_pod_spec",
    "validate_pod_template",
]

NOT_READY_TAINT = "node.kubernetes.io/not-ready"
UNREACHABLE_TAINT = "node.kubernetes.io/unreachable"
TERMINAL_PHASES = ("Succeeded", "Failed")
# The built-in PriorityClasses; any other class name keeps the default priority, 0.
_SYSTEM_PRIORITIES = {"system-cluster-critical": 2000000000, "system-node-critical": 2000001000}
_DELETION_COST = "controller.kubernetes.io/pod-deletion-cost"
_DELETION_COST_RE = re.compile(r"^(-[0-9]+|0|[1-9][0-9]*)$")


def default_pod(obj: Object) -> None:
    """Every default a new or updated pod gets, in kube's order."""
    if obj.get("spec") is None:
        obj["spec"] = {}
    spec = obj["spec"]
    if not isinstance(spec, dict):
        return
    for field in ("containers", "initContainers"):
        for _, container in entries(spec.get(field)):
            default_requests_from_limits(mapping(container.get("resources")))
    default_pod_spec(spec)
    if spec.get("enableServiceLinks") is None:
        spec["enableServiceLinks"] = True
    if spec.get("hostNetwork") is True:
        for field in ("containers", "initContainers"):
            for _, container in entries(spec.get(field)):
                for _, port in entries(container.get("ports")):
                    if not port.get("hostPort"):
                        port["hostPort"] = port.get("containerPort")
    if spec.get("priority") is None:
        spec["priority"] = _SYSTEM_PRIORITIES.get(text(spec.get("priorityClassName")), 0)
    if spec.get("preemptionPolicy") is None:
        spec["preemptionPolicy"] = "PreemptLowerPriority"
    _default_toleration_seconds(spec)


def _default_toleration_seconds(spec: dict[str, Any]) -> None:
    """Tolerate not-ready and unreachable nodes for a while, unless the pod already does.

    The while is ``CLUSTER_DEFAULT_TOLERATION_SECONDS`` (kube-apiserver's
    ``--default-not-ready-toleration-seconds``; five minutes by default), read at each call.
    """
    tolerations = spec.get("tolerations")
    if tolerations is None:
        tolerations = spec["tolerations"] = []
    if not isinstance(tolerations, list):
        return
    for taint in (NOT_READY_TAINT, UNREACHABLE_TAINT):
        tolerated = any(
            t.get("key") in (taint, "", None) and t.get("effect") in ("NoExecute", "", None)
            for _, t in entries(tolerations)
        )
        if not tolerated:
            tolerations.append(
                {
                    "key": taint,
                    "operator": "Exists",
                    "effect": "NoExecute",
                    "tolerationSeconds": settings.CLUSTER_DEFAULT_TOLERATION_SECONDS,
                }
            )


def _validate_pod(obj: Object) -> list[Cause]:
    """What a pod must satisfy on create and on update (kube's ``validatePodMetadataAndSpec``)."""
    spec = obj.get("spec")
    causes = validate_pod_spec(spec, "spec", is_pod=True)
    spec = mapping(spec)
    for field in ("containers", "initContainers"):
        for i, container in entries(spec.get(field)):
            image = container.get("image")
            if isinstance(image, str) and image != image.strip():
                path = child(index(child("spec", field), i), "image")
                causes.append(invalid(path, image, "must not have leading or trailing whitespace"))
    if not spec.get("serviceAccountName"):
        causes += _token_without_account(spec)
    cost = mapping(mapping(obj.get("metadata")).get("annotations")).get(_DELETION_COST)
    if cost is not None and not _is_int32(cost):
        path = f"metadata.annotations[{_DELETION_COST}]"
        causes.append(invalid(path, cost, "must be a 32bit integer"))
    return causes


def _token_without_account(spec: dict[str, Any]) -> list[Cause]:
    causes = []
    for i, volume in entries(spec.get("volumes")):
        projected = mapping(volume.get("projected"))
        for j, source in entries(projected.get("sources")):
            if source.get("serviceAccountToken") is not None:
                path = f"spec.volumes[{i}].projected.sources[{j}].serviceAccountToken"
                detail = "must not be specified when serviceAccountName is not set"
                causes.append(forbidden(path, detail))
    return causes


def _is_int32(value: Any) -> bool:
    """Kube's deletion-cost syntax: a decimal int32, no '+' and no leading zero."""
    if not isinstance(value, str) or not _DELETION_COST_RE.match(value):
        return False
    return -(2**31) <= int(value) < 2**31


class PodStrategy(Strategy):
    preserves_status = True
    generation_fields = ("spec",)

    def default(self, obj: Object) -> None:
        default_pod(obj)

    def initial_status(self, obj: Object) -> dict[str, Any]:
        spec = mapping(obj.get("spec"))
        status: dict[str, Any] = {"phase": "Pending", "qosClass": qos_class(spec)}
        if sequence(spec.get("schedulingGates")):
            status["conditions"] = [
                {
                    "type": "PodScheduled",
                    "status": "False",
                    "reason": "SchedulingGated",
                    "message": "Scheduling is blocked due to non-empty scheduling gates",
                }
            ]
        return status

    def validate(self, obj: Object) -> list[Cause]:
        causes = _validate_pod(obj)
        spec = mapping(obj.get("spec"))
        if sequence(spec.get("ephemeralContainers")):
            causes.append(forbidden("spec.ephemeralContainers", "cannot be set on create"))
        if spec.get("nodeName") and sequence(spec.get("schedulingGates")):
            detail = "cannot be set until all schedulingGates have been cleared"
            causes.append(forbidden("spec.nodeName", detail))
        return causes

    def validate_update(self, new: Object, old: Object) -> list[Cause]:
        spec, old_spec = mapping(new.get("spec")), mapping(old.get("spec"))
        return _validate_pod(new) + validate_pod_spec_update(spec, old_spec)

    def grace_period(self, obj: Object, requested: int | None) -> int:
        """A pod running on a node gets time to stop; an unbound or finished one goes at once."""
        spec, status = mapping(obj.get("spec")), mapping(obj.get("status"))
        if not spec.get("nodeName") or status.get("phase") in TERMINAL_PHASES:
            return 0
        if requested is not None:
            return requested
        period = spec.get("terminationGracePeriodSeconds", DEFAULT_GRACE_SECONDS)
        # Kube treats a negative grace period (allowed on old pods) as one second.
        return period if isinstance(period, int) and period >= 0 else 1

    def warnings(self, obj: Object) -> list[str]:
        name = text(mapping(obj.get("metadata")).get("name"))
        found = []
        problems = names.dns1123_label(name)
        if name and problems:
            found.append(
                "metadata.name: this is used in the Pod's hostname, which can result in "
                f"surprising behavior; a DNS label is recommended: [{' '.join(problems)}]"
            )
        grace = mapping(obj.get("spec")).get("terminationGracePeriodSeconds")
        if isinstance(grace, int) and grace < 0:
            found.append(
                "spec.terminationGracePeriodSeconds: must be >= 0; negative values are invalid "
                "and will be treated as 1"
            )
        return found


class PodStatusStrategy(StatusStrategy):
    """``pods/status``: the node's report. The QoS class, once set, stays."""

    def prepare_for_update(self, new: Object, old: Object) -> None:
        super().prepare_for_update(new, old)
        status = new.get("status")
        if not isinstance(status, dict):
            return
        old_qos = mapping(old.get("status")).get("qosClass")
        if not status.get("qosClass") and old_qos:
            status["qosClass"] = old_qos
        sync_ips(status)

    def validate_status(self, new: Object, old: Object) -> list[Cause]:
        return validate_pod_status(new, old)
