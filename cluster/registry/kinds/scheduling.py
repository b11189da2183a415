"""Taints (on nodes) and tolerations (on pods), validated as kube validates them.

A taint repels pods from a node unless they tolerate it: ``key=value:effect``. Tolerations
match taints by key, operator (``Equal`` or ``Exists``), value and effect; an empty key with
``Exists`` tolerates everything.
"""

from __future__ import annotations

from typing import Any

from cluster.registry import names
from cluster.registry.errors import Cause, invalid, not_supported, required
from cluster.registry.kinds.formats import each
from cluster.registry.kinds.shapes import (
    check_types,
    child,
    entries,
    index,
    is_int,
    shown,
    text,
    wrong_type,
)

TAINT_EFFECTS = ["NoSchedule", "PreferNoSchedule", "NoExecute"]
_TOLERATION_TYPES = {
    "key": "string",
    "operator": "string",
    "value": "string",
    "effect": "string",
    "tolerationSeconds": "integer",
}


def _effect_causes(effect: str, path: str, *, allow_empty: bool) -> list[Cause]:
    if not effect:
        return [] if allow_empty else [required(path)]
    return [] if effect in TAINT_EFFECTS else [not_supported(path, effect, TAINT_EFFECTS)]


def validate_tolerations(tolerations: Any, path: str) -> list[Cause]:
    if tolerations is None:
        return []
    if not isinstance(tolerations, list):
        return [wrong_type(path, tolerations, "a list")]
    causes: list[Cause] = []
    for i, toleration in entries(tolerations):
        item_path = index(path, i)
        causes += check_types(toleration, item_path, _TOLERATION_TYPES)
        key, operator = text(toleration.get("key")), text(toleration.get("operator"))
        value, effect = text(toleration.get("value")), text(toleration.get("effect"))
        operator_path = child(item_path, "operator")
        if key:
            causes += each(child(item_path, "key"), names.qualified_name(key), key)
        if not key and operator != "Exists":
            detail = (
                'operator must be Exists when `key` is empty, which means "match all values '
                'and all keys"'
            )
            causes.append(invalid(operator_path, operator, detail))
        if is_int(toleration.get("tolerationSeconds")) and effect != "NoExecute":
            detail = "effect must be 'NoExecute' when `tolerationSeconds` is set"
            causes.append(invalid(child(item_path, "effect"), effect, detail))
        if operator in ("Equal", ""):
            problems = names.label_value(value)
            if problems:
                causes.append(invalid(operator_path, value, ";".join(problems)))
        elif operator == "Exists":
            if value:
                detail = "value must be empty when `operator` is 'Exists'"
                causes.append(invalid(operator_path, value, detail))
        else:
            causes.append(not_supported(operator_path, operator, ["Equal", "Exists"]))
        causes += _effect_causes(effect, child(item_path, "effect"), allow_empty=True)
    return causes


def validate_taints(taints: Any, path: str) -> list[Cause]:
    if taints is None:
        return []
    if not isinstance(taints, list):
        return [wrong_type(path, taints, "a list")]
    causes: list[Cause] = []
    seen: set[tuple[str, str]] = set()
    for i, taint in entries(taints):
        item_path = index(path, i)
        causes += check_types(
            taint, item_path, {"key": "string", "value": "string", "effect": "string"}
        )
        key, value, effect = (
            text(taint.get("key")),
            text(taint.get("value")),
            text(taint.get("effect")),
        )
        causes += each(child(item_path, "key"), names.qualified_name(key), key)
        problems = names.label_value(value)
        if problems:
            causes.append(invalid(child(item_path, "value"), value, ";".join(problems)))
        causes += _effect_causes(effect, child(item_path, "effect"), allow_empty=False)
        if (key, effect) in seen:
            message = (
                f"Duplicate value: {shown(taint)}: taints must be unique by key and effect pair"
            )
            causes.append(Cause(item_path, message, "FieldValueDuplicate"))
        seen.add((key, effect))
    return causes
