"""core/v1 Events: kube's ``pkg/registry/core/event`` with its legacy validation.

An event reports something about an object (``involvedObject``) in the event's own namespace.
Old-style events (no ``eventTime``) need only agree on the namespace; new-style ones (with
``eventTime``) also name their reporting controller and instance, an action and a reason. An
update may create the event (``allow_create_on_update``), which is how recorders bump counts.

Pilothouse is stricter than kube in two harmless ways: ``involvedObject`` must name a kind and
a name, and ``type``, when set, is Normal or Warning.
"""

from __future__ import annotations

from typing import Any

from cluster.registry import names
from cluster.registry.errors import Cause, invalid, not_supported, required
from cluster.registry.kinds.formats import each
from cluster.registry.kinds.shapes import check_types, mapping, text, wrong_type
from cluster.registry.kinds.timestamps import (
    micro_time_causes,
    normalize_micro_time,
    normalize_time,
    time_causes,
)
from cluster.registry.strategy import Strategy
from cluster.store.types import Object

EVENT_TYPES = ["Normal", "Warning"]
_LIMITS = {"reportingInstance": 128, "action": 128, "reason": 128}
_TYPES = {
    "involvedObject": "object",
    "reason": "string",
    "message": "string",
    "source": "object",
    "count": "integer",
    "type": "string",
    "action": "string",
    "related": "object",
    "series": "object",
    "reportingComponent": "string",
    "reportingInstance": "string",
}
_NAMESPACE_MISMATCH = "does not match event.namespace"


class EventStrategy(Strategy):
    name_rule = "segment"
    allow_create_on_update = True
    generation_fields = ()

    def default(self, obj: Object) -> None:
        for field in ("firstTimestamp", "lastTimestamp"):
            if field in obj:
                obj[field] = normalize_time(obj[field])
        if "eventTime" in obj:
            obj["eventTime"] = normalize_micro_time(obj["eventTime"])
        series = obj.get("series")
        if isinstance(series, dict) and "lastObservedTime" in series:
            series["lastObservedTime"] = normalize_micro_time(series["lastObservedTime"])

    def validate(self, obj: Object) -> list[Cause]:
        causes = check_types(obj, "", _TYPES)
        causes += check_types(
            mapping(obj.get("source")), "source", {"component": "string", "host": "string"}
        )
        causes += _involved_object_causes(obj)
        causes += time_causes(obj.get("firstTimestamp"), "firstTimestamp")
        causes += time_causes(obj.get("lastTimestamp"), "lastTimestamp")
        causes += micro_time_causes(obj.get("eventTime"), "eventTime")
        series = mapping(obj.get("series"))
        causes += micro_time_causes(series.get("lastObservedTime"), "series.lastObservedTime")
        kind = obj.get("type")
        if isinstance(kind, str) and kind and kind not in EVENT_TYPES:
            causes.append(not_supported("type", kind, EVENT_TYPES))
        if obj.get("eventTime"):
            causes += _reporter_causes(obj)
        namespace = text(mapping(obj.get("metadata")).get("namespace"))
        return causes + each("namespace", names.dns1123_subdomain(namespace), namespace)


def _involved_object_causes(obj: Object) -> list[Cause]:
    involved = obj.get("involvedObject")
    if involved is None:
        return [required("involvedObject")]
    if not isinstance(involved, dict):
        return [wrong_type("involvedObject", involved, "an object")]
    causes = [required(f"involvedObject.{f}") for f in ("kind", "name") if not involved.get(f)]
    involved_namespace = text(involved.get("namespace"))
    namespace = text(mapping(obj.get("metadata")).get("namespace"))
    if obj.get("eventTime"):
        mismatch = not involved_namespace and namespace not in ("default", "kube-system")
    elif not involved_namespace:
        mismatch = namespace not in ("", "default")
    else:
        mismatch = namespace != involved_namespace
    if mismatch:
        causes.append(invalid("involvedObject.namespace", involved_namespace, _NAMESPACE_MISMATCH))
    return causes


def _reporter_causes(obj: Object) -> list[Cause]:
    """What a new-style event (one with eventTime) must also carry.

    Kube names the v1 field ``reportingComponent`` by its internal name in these causes.
    """
    controller = text(obj.get("reportingComponent"))
    causes: list[Cause] = []
    if not controller:
        causes.append(required("reportingController"))
    causes += each("reportingController", names.qualified_name(controller), controller)
    for field, limit in _LIMITS.items():
        value: Any = text(obj.get(field))
        if not value:
            causes.append(required(field))
        if len(value) > limit:
            causes.append(invalid(field, "", f"can have at most {limit} characters"))
    if len(text(obj.get("message"))) > 1024:
        causes.append(invalid("message", "", "can have at most 1024 characters"))
    return causes
