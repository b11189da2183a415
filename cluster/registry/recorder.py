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
from collections.abc import Sequence
from datetime import UTC, datetime

from cluster.registry.catalog import RESOURCES
from cluster.registry.errors import Forbidden, Invalid
from cluster.registry.registry import Registry
from cluster.store.errors import AlreadyExists, NotFound, StoreError
from cluster.store.types import Create, Key, Object

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


Occurrence = tuple[Object, str, str, str]
"""Something to record: the object it is about, the event's type, reason and message."""


class EventRecorder:
    """Writes Events on behalf of one component, such as ``default-scheduler``."""

    def __init__(self, registry: Registry, component: str) -> None:
        self.registry = registry
        self.events = RESOURCES.of_kind("Event")
        self.component = component

    def _fresh(self, obj: Object, type_: str, reason: str, message: str) -> Object:
        """A first occurrence of the event, named after what makes it the same event."""
        involved = object_reference(obj)
        namespace = str(involved.get("namespace") or "default")
        digest = hashlib.sha256(
            "\x00".join(
                str(part) for part in (involved.get("uid"), type_, reason, message, self.component)
            ).encode()
        ).hexdigest()[:16]
        now = _now()
        return {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": f"{involved['name']}.{digest}", "namespace": namespace},
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

    def event(self, obj: Object, type_: str, reason: str, message: str) -> None:
        """Record (or count once more) an event about ``obj``."""
        fresh = self._fresh(obj, type_, reason, message)
        namespace, name = fresh["metadata"]["namespace"], fresh["metadata"]["name"]
        involved, now = fresh["involvedObject"], fresh["lastTimestamp"]

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
        self._log(fresh)

    def record_all(self, occurrences: Sequence[Occurrence]) -> None:
        """Record several events, each as ``event`` would, their first occurrences in one
        store transaction (one commit for all); a repeat is counted on its own afterwards."""
        batch: dict[Key, tuple[Occurrence, Object]] = {}
        later: list[Occurrence] = []
        refusals: dict[str, StoreError | None] = {}
        for occurrence in occurrences:
            fresh = self._fresh(*occurrence)
            namespace = fresh["metadata"]["namespace"]
            key = Key("Event", namespace, fresh["metadata"]["name"])
            if key in batch:
                later.append(occurrence)  # a repeat within the batch: counted once it exists
                continue
            if namespace not in refusals:
                refusals[namespace] = self._refusal(fresh)
            problem = refusals[namespace] or self._invalid(fresh)
            if problem is not None:
                log.info("event %s %s not recorded: %s", key, occurrence[2], problem)
                self._log(fresh)
                continue
            batch[key] = (occurrence, fresh)
        results = self.registry.store.write_batch([Create(k, f) for k, (_, f) in batch.items()])
        for (occurrence, fresh), result in zip(batch.values(), results, strict=True):
            if isinstance(result, AlreadyExists):
                later.append(occurrence)
            elif isinstance(result, StoreError):
                log.info("event %s not recorded: %s", fresh["metadata"]["name"], result)
                self._log(fresh)
            else:
                self._log(fresh)
        for occurrence in later:
            self.event(*occurrence)

    def _invalid(self, fresh: Object) -> StoreError | None:
        """What ``Registry.create`` would refuse in ``fresh`` (which it prepares in place)."""
        try:
            self.registry.prepare_new(self.events, fresh)
        except Invalid as refused:
            return refused
        return None

    def _refusal(self, fresh: Object) -> StoreError | None:
        """Namespace lifecycle admission, as ``Registry.create`` applies it."""
        try:
            self.registry.check_namespace(
                self.events, fresh["metadata"]["namespace"], fresh["metadata"]["name"]
            )
        except (NotFound, Forbidden) as refused:
            return refused
        return None

    def _log(self, event: Object) -> None:
        involved = event["involvedObject"]
        where = f"{event['metadata']['namespace']}/{involved['name']}"
        where = where if involved.get("namespace") else involved["name"]
        log.info(
            "%s: %s %s %s %s: %s",
            self.component,
            event["type"],
            event["reason"],
            involved["kind"],
            where,
            event["message"],
        )
