"""Namespaces: kube's ``pkg/registry/core/namespace``.

A namespace is born ``Active`` with the ``kubernetes`` finalizer in ``spec.finalizers`` and a
``kubernetes.io/metadata.name`` label equal to its name. Deleting it marks it ``Terminating``;
it stays until its contents are gone and the namespace controller empties ``spec.finalizers``
through the ``finalize`` subresource (and any ``metadata.finalizers`` are removed too).
``spec.finalizers`` changes only through ``finalize``; ``status`` only through ``status``.
"""

from __future__ import annotations

import copy
from typing import Any

from cluster.registry import names
from cluster.registry.errors import Cause, invalid
from cluster.registry.kinds.formats import each
from cluster.registry.kinds.shapes import check_list_of, child, index, mapping, sequence
from cluster.registry.strategy import StatusStrategy, Strategy
from cluster.store.types import Object

KUBERNETES_FINALIZER = "kubernetes"
NAME_LABEL = "kubernetes.io/metadata.name"
_STANDARD_FINALIZERS = {"kubernetes", "orphan", "foregroundDeletion"}


def _finalizers(obj: Object) -> list[Any]:
    return sequence(mapping(obj.get("spec")).get("finalizers"))


def _finalizer_causes(finalizer: str, path: str) -> list[Cause]:
    causes = each(path, names.qualified_name(finalizer), finalizer)
    if "/" not in finalizer and finalizer not in _STANDARD_FINALIZERS:
        detail = "name is neither a standard finalizer name nor is it fully qualified"
        causes.append(invalid(path, finalizer, detail))
    return causes


class NamespaceStrategy(Strategy):
    namespaced = False
    preserves_status = True
    name_rule = "label"
    generation_fields = ()

    def default(self, obj: Object) -> None:
        meta = obj.get("metadata")
        if isinstance(meta, dict) and isinstance(meta.get("name"), str) and meta["name"]:
            if not isinstance(meta.get("labels"), dict):
                meta["labels"] = {}
            meta["labels"][NAME_LABEL] = meta["name"]

    def initial_status(self, obj: Object) -> dict[str, Any]:
        return {"phase": "Active"}

    def prepare_for_create(self, obj: Object) -> None:
        super().prepare_for_create(obj)
        if not isinstance(obj.get("spec"), dict):
            obj["spec"] = {}
        finalizers = obj["spec"].get("finalizers")
        if not isinstance(finalizers, list):
            finalizers = obj["spec"]["finalizers"] = []
        if KUBERNETES_FINALIZER not in finalizers:
            finalizers.append(KUBERNETES_FINALIZER)

    def prepare_for_update(self, new: Object, old: Object) -> None:
        super().prepare_for_update(new, old)
        spec = new.get("spec")
        if not isinstance(spec, dict):
            spec = new["spec"] = {}
        old_spec = mapping(old.get("spec"))
        if "finalizers" in old_spec:
            spec["finalizers"] = copy.deepcopy(old_spec["finalizers"])
        else:
            spec.pop("finalizers", None)

    def validate(self, obj: Object) -> list[Cause]:
        causes = check_list_of(
            mapping(obj.get("spec")).get("finalizers"), "spec.finalizers", "string"
        )
        for finalizer in _finalizers(obj):
            if isinstance(finalizer, str):
                causes += _finalizer_causes(finalizer, "spec.finalizers")
        return causes

    def holds_deletion(self, obj: Object) -> bool:
        return bool(mapping(obj.get("metadata")).get("finalizers") or _finalizers(obj))

    def mark_deleted(self, obj: Object) -> None:
        if not isinstance(obj.get("status"), dict):
            obj["status"] = {}
        obj["status"]["phase"] = "Terminating"


class NamespaceStatusStrategy(StatusStrategy):
    """``namespaces/status``: the phase follows the deletion mark."""

    def validate_status(self, new: Object, old: Object) -> list[Cause]:
        phase = mapping(new.get("status")).get("phase")
        deleting = bool(mapping(new.get("metadata")).get("deletionTimestamp"))
        if not deleting and phase != "Active":
            detail = "may only be 'Active' if `deletionTimestamp` is empty"
            return [invalid("status.Phase", phase, detail)]
        if deleting and phase != "Terminating":
            detail = "may only be 'Terminating' if `deletionTimestamp` is not empty"
            return [invalid("status.Phase", phase, detail)]
        return []


class NamespaceFinalizeStrategy(StatusStrategy):
    """``namespaces/finalize``: only ``spec.finalizers`` changes; all else is the stored one."""

    def prepare_for_update(self, new: Object, old: Object) -> None:
        finalizers = mapping(new.get("spec")).get("finalizers")
        new.clear()
        new.update(copy.deepcopy(old))
        spec = new.get("spec")
        if not isinstance(spec, dict):
            spec = new["spec"] = {}
        if finalizers is None:
            spec.pop("finalizers", None)
        else:
            spec["finalizers"] = finalizers

    def validate_status(self, new: Object, old: Object) -> list[Cause]:
        path = child("spec", "finalizers")
        causes = check_list_of(mapping(new.get("spec")).get("finalizers"), path, "string")
        for i, finalizer in enumerate(_finalizers(new)):
            if isinstance(finalizer, str):
                causes += _finalizer_causes(finalizer, index(path, i))
        return causes
