"""ReplicationControllers: kube's defaults and validation, and the Scale `kubectl scale` uses.

The rules are kube's SetDefaults_ReplicationController, ValidateReplicationController(Spec,
Status) and ``pkg/registry/core/replicationcontroller``: a selector (defaulted from the
template's labels) that the template's labels satisfy, a pod template that restarts always,
status counts that add up. Deleting one without a propagationPolicy orphans its pods, as
core/v1 has always done.

The ``scale`` subresource is a view, not a stored object: ``scale_of`` shows an RC as an
``autoscaling/v1`` Scale, and ``apply_scale`` folds a written Scale back into the RC, which is
then stored through the main strategy like any other update.
"""

from __future__ import annotations

import copy
from typing import Any

from cluster.registry.errors import Cause, Invalid, forbidden, invalid, not_supported, required
from cluster.registry.kinds.formats import NEGATIVE_PROBLEM
from cluster.registry.kinds.podspec import default_pod_template, validate_pod_template
from cluster.registry.kinds.shapes import (
    check_map_of_strings,
    check_types,
    is_int,
    mapping,
    shown,
    wrong_type,
)
from cluster.registry.strategy import StatusStrategy, Strategy
from cluster.store.types import Object

TEMPLATE = "spec.template"
STATUS_COUNTS = (
    "replicas",
    "fullyLabeledReplicas",
    "readyReplicas",
    "availableReplicas",
    "observedGeneration",
)


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


# -- defaults (SetDefaults_ReplicationController) --


def default_replication_controller(obj: Object) -> None:
    """Selector and object labels from the template's labels, one replica, pod defaults."""
    spec = obj.setdefault("spec", {})
    if not isinstance(spec, dict):
        return
    template = spec.get("template")
    labels = mapping(mapping(template).get("metadata")).get("labels")
    if isinstance(labels, dict):
        if not spec.get("selector"):
            spec["selector"] = dict(labels)
        meta = obj.setdefault("metadata", {})
        if isinstance(meta, dict) and not meta.get("labels"):
            meta["labels"] = dict(labels)
    default_pod_template(template)
    if spec.get("replicas") is None:
        spec["replicas"] = 1


# -- validation (ValidateReplicationController) --


def validate_replication_controller(obj: Object) -> list[Cause]:
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return [wrong_type("spec", spec, "an object")]
    causes = check_types(
        spec, "spec", {"replicas": "integer", "minReadySeconds": "integer", "template": "object"}
    )
    causes += check_map_of_strings(spec.get("selector"), "spec.selector")
    causes += _non_negative(spec, "minReadySeconds")
    selector = mapping(spec.get("selector"))
    if not selector:
        causes.append(required("spec.selector"))
    causes += _non_negative(spec, "replicas")
    template = spec.get("template")
    if isinstance(template, dict):
        causes += _template_causes(template, selector)
    elif template is None:
        causes.append(required(TEMPLATE))
    return causes


def _non_negative(spec: dict[str, Any], name: str) -> list[Cause]:
    value = spec.get(name)
    negative = is_int(value) and _int(value) < 0
    return [invalid(f"spec.{name}", value, NEGATIVE_PROBLEM)] if negative else []


def _template_causes(template: dict[str, Any], selector: dict[str, Any]) -> list[Cause]:
    """kube's ValidatePodTemplateSpecForRC."""
    labels = mapping(template.get("metadata")).get("labels")
    causes: list[Cause] = []
    if selector and any(mapping(labels).get(k) != v for k, v in selector.items()):
        causes.append(
            Cause(
                f"{TEMPLATE}.metadata.labels",
                f"Invalid value: {shown(labels)}: `selector` does not match template `labels`",
                "FieldValueInvalid",
            )
        )
    causes += validate_pod_template(template, TEMPLATE)
    pod_spec = mapping(template.get("spec"))
    policy = pod_spec.get("restartPolicy", "")
    if policy != "Always":
        causes.append(not_supported(f"{TEMPLATE}.spec.restartPolicy", policy, ["Always"]))
    if pod_spec.get("activeDeadlineSeconds") is not None:
        causes.append(
            forbidden(
                f"{TEMPLATE}.spec.activeDeadlineSeconds",
                "activeDeadlineSeconds in ReplicationController is not Supported",
            )
        )
    return causes


def validate_replication_controller_status(obj: Object) -> list[Cause]:
    """Counts are never negative, and no subset outnumbers the replicas it is a subset of."""
    status = mapping(obj.get("status"))
    causes = check_types(status, "status", dict.fromkeys(STATUS_COUNTS, "integer"))
    counts = {name: _int(status.get(name)) for name in STATUS_COUNTS}
    for name, value in counts.items():
        if value < 0:
            causes.append(invalid(f"status.{name}", value, NEGATIVE_PROBLEM))
    for name in ("fullyLabeledReplicas", "readyReplicas", "availableReplicas"):
        if counts[name] > counts["replicas"]:
            causes.append(
                invalid(f"status.{name}", counts[name], "cannot be greater than status.replicas")
            )
    if counts["availableReplicas"] > counts["readyReplicas"]:
        causes.append(
            invalid(
                "status.availableReplicas",
                counts["availableReplicas"],
                "cannot be greater than readyReplicas",
            )
        )
    return causes


# -- strategies --


class ReplicationControllerStrategy(Strategy):
    """``pkg/registry/core/replicationcontroller``: status apart, pods orphaned by default."""

    preserves_status = True
    default_propagation = "Orphan"

    def default(self, obj: Object) -> None:
        default_replication_controller(obj)

    def initial_status(self, obj: Object) -> dict[str, Any]:
        return {"replicas": 0}

    def validate(self, obj: Object) -> list[Cause]:
        return validate_replication_controller(obj)


class ReplicationControllerStatusStrategy(StatusStrategy):
    """``replicationcontrollers/status``: what the controller observed."""

    def validate_status(self, new: Object, old: Object) -> list[Cause]:
        return validate_replication_controller_status(new)


# -- the scale subresource --


def selector_string(selector: dict[str, Any]) -> str:
    """A label selector as ``labels.SelectorFromSet(...).String()`` prints it: sorted k=v."""
    return ",".join(f"{k}={selector[k]}" for k in sorted(selector))


def scale_of(rc: Object) -> Object:
    """The ``autoscaling/v1`` Scale that ``GET .../replicationcontrollers/<name>/scale`` shows."""
    meta = mapping(rc.get("metadata"))
    spec = mapping(rc.get("spec"))
    scale_meta = {
        field: meta[field]
        for field in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
        if field in meta
    }
    replicas = _int(spec.get("replicas"))
    status: dict[str, Any] = {"replicas": _int(mapping(rc.get("status")).get("replicas"))}
    selector = selector_string(mapping(spec.get("selector")))
    if selector:
        status["selector"] = selector
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": scale_meta,
        # ScaleSpec.replicas is omitempty in autoscaling/v1: zero replicas is an empty spec
        "spec": {"replicas": replicas} if replicas else {},
        "status": status,
    }


def apply_scale(rc: Object, scale: Object) -> Object:
    """A copy of ``rc`` with the Scale's ``spec.replicas`` (and its resourceVersion, if it
    names one, so that the update is conditional on it). Raises Invalid as kube words it."""
    scale_meta = mapping(scale.get("metadata"))
    replicas = mapping(scale.get("spec")).get("replicas")
    replicas = 0 if replicas is None else replicas
    causes = []
    if not scale_meta.get("name"):
        causes.append(required("metadata.name", "name or generateName is required"))
    if not is_int(replicas):
        causes.append(wrong_type("spec.replicas", replicas, "an integer"))
    elif replicas < 0:
        causes.append(invalid("spec.replicas", replicas, NEGATIVE_PROBLEM))
    if causes:
        name = str(scale_meta.get("name") or mapping(rc.get("metadata")).get("name") or "")
        raise Invalid("Scale", name, causes, "autoscaling")
    new = copy.deepcopy(rc)
    new.setdefault("spec", {})["replicas"] = replicas
    if scale_meta.get("resourceVersion"):
        new.setdefault("metadata", {})["resourceVersion"] = scale_meta["resourceVersion"]
    return new
