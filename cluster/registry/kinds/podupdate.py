"""What an update may change in a pod's spec: kube's ``ValidatePodUpdate``.

A pod's spec is fixed once created, except for container images, a shorter active deadline,
more tolerations (or new tolerationSeconds on existing ones), fewer scheduling gates, and a
negative grace period raised to 1. Any other change is one Forbidden cause on "spec" that
lists the fields that differ.

Specs are compared as kube compares its structs: a field set to its zero value (false, 0, "",
an empty list or map) is the same as a field left out.
"""

from __future__ import annotations

import copy
from typing import Any

from cluster.registry.errors import Cause, forbidden, invalid
from cluster.registry.kinds.podspec import MAX_INT32
from cluster.registry.kinds.shapes import child, entries, index, is_int, mapping, sequence, shown

UPDATABLE_FIELDS = (
    "`spec.containers[*].image`",
    "`spec.initContainers[*].image`",
    "`spec.activeDeadlineSeconds`",
    "`spec.tolerations` (only additions to existing tolerations)",
    "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)",
)
FORBIDDEN_CHANGE = "pod updates may not change fields other than " + ",".join(UPDATABLE_FIELDS)
_ABSENT = object()


def semantic(value: Any) -> Any:
    """``value`` without zero-valued fields, so that equal structs compare equal."""
    if isinstance(value, dict):
        pruned = {name: semantic(item) for name, item in value.items()}
        return {name: item for name, item in pruned.items() if not _is_zero(item)}
    if isinstance(value, list):
        return [semantic(item) for item in value]
    return value


def _is_zero(value: Any) -> bool:
    return value is None or value is False or value in ("", 0, [], {})


def validate_pod_spec_update(new_spec: dict[str, Any], old_spec: dict[str, Any]) -> list[Cause]:
    causes: list[Cause] = []
    for field in ("containers", "initContainers"):
        if len(sequence(new_spec.get(field))) != len(sequence(old_spec.get(field))):
            detail = "pod updates may not add or remove containers"
            return [forbidden(child("spec", field), detail)]
    deadline_causes = _deadline_causes(
        new_spec.get("activeDeadlineSeconds"), old_spec.get("activeDeadlineSeconds")
    )
    if deadline_causes:
        return deadline_causes
    causes += _toleration_causes(new_spec.get("tolerations"), old_spec.get("tolerations"))
    causes += _gate_causes(new_spec.get("schedulingGates"), old_spec.get("schedulingGates"))
    old = semantic(old_spec)
    munged = semantic(_munged(new_spec, old_spec))
    if munged != old:
        lines = _diff(old, munged, "spec")
        causes.append(forbidden("spec", "\n".join([FORBIDDEN_CHANGE, *lines])))
    return causes


def _deadline_causes(new: Any, old: Any) -> list[Cause]:
    path = "spec.activeDeadlineSeconds"
    if is_int(new):
        if not 0 <= new <= MAX_INT32:
            return [invalid(path, new, f"must be between 0 and {MAX_INT32}, inclusive")]
        if is_int(old) and old < new:
            return [invalid(path, new, "must be less than or equal to previous value")]
    elif new is None and old is not None:
        return [invalid(path, "null", "must not update from a positive integer to nil value")]
    return []


def _toleration_causes(new: Any, old: Any) -> list[Cause]:
    """Existing tolerations stay (their tolerationSeconds may change); new ones may be added."""

    def essence(toleration: dict[str, Any]) -> Any:
        return semantic({k: v for k, v in toleration.items() if k != "tolerationSeconds"})

    kept = [essence(t) for _, t in entries(new)]
    for _, toleration in entries(old):
        if essence(toleration) not in kept:
            detail = "existing toleration can not be modified except its tolerationSeconds"
            return [forbidden("spec.tolerations", detail)]
    return []


def _gate_causes(new: Any, old: Any) -> list[Cause]:
    """Scheduling gates may only be removed."""
    existing = {mapping(gate).get("name") for gate in sequence(old)}
    causes = []
    for i, gate in entries(new):
        name = gate.get("name")
        if name not in existing:
            field = child(index("spec.schedulingGates", i), "name")
            detail = f"only deletion is allowed, but found new scheduling gate '{name}'"
            causes.append(forbidden(field, detail))
    return causes


def _munged(new_spec: dict[str, Any], old_spec: dict[str, Any]) -> dict[str, Any]:
    """``new_spec`` with every change an update may make taken back from ``old_spec``."""
    munged = copy.deepcopy(new_spec)
    for field in ("containers", "initContainers"):
        old_containers = sequence(old_spec.get(field))
        for i, container in entries(munged.get(field)):
            container["image"] = mapping(old_containers[i]).get("image")
    for field in ("activeDeadlineSeconds", "schedulingGates", "tolerations"):
        munged[field] = old_spec.get(field)
    old_grace = old_spec.get("terminationGracePeriodSeconds")
    if is_int(old_grace) and old_grace < 0 and munged.get("terminationGracePeriodSeconds") == 1:
        munged["terminationGracePeriodSeconds"] = old_grace
    return munged


def _diff(old: Any, new: Any, path: str) -> list[str]:
    """One "- path: old" and one "+ path: new" line for each leaf that differs."""
    if isinstance(old, dict) and isinstance(new, dict):
        lines = []
        for name in sorted(set(old) | set(new)):
            lines += _diff(old.get(name, _ABSENT), new.get(name, _ABSENT), child(path, name))
        return lines
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        return [line for i in range(len(old)) for line in _diff(old[i], new[i], index(path, i))]
    if old == new:
        return []
    removed = [] if old is _ABSENT else [f"- {path}: {shown(old)}"]
    return removed + ([] if new is _ABSENT else [f"+ {path}: {shown(new)}"])
