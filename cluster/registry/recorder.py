"""Events about objects, written the way kube's event recorder and correlator write them.

Controllers and the scheduler report what they did (``SuccessfulCreate``, ``Scheduled``,
``FailedScheduling``) as core/v1 Events in the involved object's namespace. Repeats of one
event (same object, type, reason, message and source) are folded into one Event whose
``count`` and ``lastTimestamp`` grow, as kube's correlator does; here the Event's name is
derived from those fields, so the folding holds across worker processes too. Recording is
best-effort: an event that cannot be written is logged, never allowed to fail the action it
reports.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime

from cluster.registry.catalog import RESOURCES
from cluster.registry.registry import Registry
from cluster.store.errors import AlreadyExists, StoreError
from cluster.store.types import Object

log = logging.getLogger(__name__)

NORMAL = "Normal"
WARNING = "Warning"


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def object_reference(obj: Object) -> Object:
    """An ObjectReference to ``obj`` (kind, namespace, name, uid, apiVersion, resourceVersion)."""
    meta = obj.get("metadata") or {}
    ref: Object = {"kind": obj.get("kind"), "name": meta.get("name")}
    for field, value in (
        ("namespace", meta.get("namespace")),
        ("uid", meta.get("uid")),
        ("apiVersion", obj.get("apiVersion")),
        ("resourceVersion", meta.get("resourceVersion")),
    ):
        if value:
            ref[field] = value
    return ref


class EventRecorder:
    """Writes Events on behalf of one component, such as ``default-scheduler``."""

    def __init__(self, registry: Registry, component: str) -> None:
        self.registry = registry
        self.events = RESOURCES.of_kind("Event")
        self.component = component

    def event(self, obj: Object, type_: str, reason: str, message: str) -> None:
        """Record (or count once more) an event about ``obj``."""
        involved = object_reference(obj)
        namespace = str(involved.get("namespace") or "default")
        digest = hashlib.sha256(
            "\x00".join(
                str(part) for part in (involved.get("uid"), type_, reason, message, self.component)
            ).encode()
        ).hexdigest()[:16]
        name = f"{involved['name']}.{digest}"
        now = _now()
        fresh: Object = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": name, "namespace": namespace},
            "involvedObject": involved,
            "reason": reason,
            "message": message,
            "type": type_,
            "source": {"component": self.component},
            "reportingComponent": self.component,
            "count": 1,
            "firstTimestamp": now,
            "lastTimestamp": now,
        }

        def again(event: Object) -> Object:
            event["count"] = int(event.get("count") or 1) + 1
            event["lastTimestamp"] = now
            event["involvedObject"] = involved
            return event

        try:
            # Most events happen once (one Scheduled per pod): try the single-write create
            # first, and count a repeat only when the name is taken.
            try:
                self.registry.create(self.events, namespace, fresh)
            except AlreadyExists:
                self.registry.update(self.events, namespace, name, again)
        except StoreError as exc:  # e.g. Forbidden in a namespace being deleted
            log.info("event %s/%s %s not recorded: %s", namespace, name, reason, exc)
        where = f"{namespace}/{involved['name']}" if involved.get("namespace") else involved["name"]
        log.info(
            "%s: %s %s %s %s: %s", self.component, type_, reason, involved["kind"], where, message
        )
