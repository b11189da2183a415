"""Which fields of each kind can be used in field selectors, and how to read them.

Every kind supports ``metadata.name`` and ``metadata.namespace``. A kind declares more by
dotted path (``spec.nodeName``); the store keeps their values in an indexed column so field
selectors run in SQL, and the watch hub uses "trigger" fields (such as a pod's node name) to
route an event only to the watchers that can want it, as kube-apiserver's watch cache does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from cluster.store.errors import BadRequest, Cause
from cluster.store.selectors import FieldSelector
from cluster.store.types import Object

ALWAYS = ("metadata.name", "metadata.namespace")

DEFAULT_FIELDS: Mapping[str, tuple[str, ...]] = {
    "Pod": (
        "spec.nodeName",
        "spec.restartPolicy",
        "spec.schedulerName",
        "spec.serviceAccountName",
        "spec.hostNetwork",
        "status.phase",
        "status.podIP",
        "status.nominatedNodeName",
    ),
    "Node": ("spec.unschedulable",),
    "Namespace": ("status.phase",),
    "ReplicationController": ("status.replicas",),
    "Event": (
        "involvedObject.kind",
        "involvedObject.namespace",
        "involvedObject.name",
        "involvedObject.uid",
        "involvedObject.apiVersion",
        "involvedObject.resourceVersion",
        "involvedObject.fieldPath",
        "reason",
        "reportingComponent",
        "source",
        "type",
    ),
    "Secret": ("type",),
}

DEFAULT_TRIGGERS: Mapping[str, str] = {"Pod": "spec.nodeName"}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        # ``source`` of an Event is an object; Kubernetes selects on its component.
        return str(value.get("component", ""))
    return str(value)


def _lookup(obj: Object, path: str) -> Any:
    node: Any = obj
    for part in path.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


class FieldIndex:
    """The field-selector vocabulary of each kind."""

    def __init__(
        self,
        declared: Mapping[str, Iterable[str]] | None = None,
        triggers: Mapping[str, str] | None = None,
    ) -> None:
        source = DEFAULT_FIELDS if declared is None else declared
        self._fields: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in source.items()}
        self._triggers: dict[str, str] = dict(DEFAULT_TRIGGERS if triggers is None else triggers)

    def declare(self, kind: str, *paths: str, trigger: str | None = None) -> None:
        """Add selectable fields to ``kind`` (objects written before keep their old values)."""
        known = self._fields.get(kind, ())
        self._fields[kind] = known + tuple(p for p in paths if p not in known)
        if trigger is not None:
            self._triggers[kind] = trigger

    def supported(self, kind: str) -> tuple[str, ...]:
        return ALWAYS + self._fields.get(kind, ())

    def trigger(self, kind: str) -> str | None:
        return self._triggers.get(kind)

    def extra_fields(self, kind: str, obj: Object) -> dict[str, str]:
        """The declared (non-metadata) field values of ``obj``, "" where absent."""
        return {path: _text(_lookup(obj, path)) for path in self._fields.get(kind, ())}

    def fields_of(self, kind: str, obj: Object) -> dict[str, str]:
        """Every selectable field value of ``obj``, metadata included."""
        meta = obj.get("metadata") or {}
        values = {
            "metadata.name": str(meta.get("name", "")),
            "metadata.namespace": str(meta.get("namespace", "")),
        }
        values.update(self.extra_fields(kind, obj))
        return values

    def check(self, kind: str, selector: FieldSelector | None) -> None:
        """Raise BadRequest naming each field the selector uses that ``kind`` does not support."""
        if not selector:
            return
        allowed = set(self.supported(kind))
        bad = sorted(selector.fields - allowed)
        if bad:
            raise BadRequest(
                f"field label not supported: {bad[0]}",
                [
                    Cause(field="fieldSelector", message=f"field label not supported: {b}")
                    for b in bad
                ],
            )
