"""The values that cross the store boundary: keys, objects, events, list results.

Objects are plain JSON-shaped dictionaries (what the API decodes and encodes). The store reads
only ``metadata`` (name, namespace, uid, labels, resourceVersion, creationTimestamp) and the
fields a kind declares for field selectors; everything else is opaque to it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple, NewType, TypedDict

Object = dict[str, Any]
"""A Kubernetes object as decoded JSON (``apiVersion``, ``kind``, ``metadata``, ...)."""

Revision = NewType("Revision", int)
"""A position in the store's one global history; ``metadata.resourceVersion`` in decimal."""

UpdateFunc = Callable[[Object], Object]
"""Given a private copy of the current object, return the object to store (or raise)."""

EventType = Literal["ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"]


class Key(NamedTuple):
    """Where an object lives: its kind, its namespace ("" when cluster-scoped) and its name."""

    kind: str
    namespace: str
    name: str

    def __str__(self) -> str:
        if self.namespace:
            return f"{self.kind} {self.namespace}/{self.name}"
        return f"{self.kind} {self.name}"


class WatchEvent(TypedDict):
    """One watch event as the Kubernetes watch protocol frames it."""

    type: EventType
    object: Object


@dataclass(frozen=True)
class Preconditions:
    """What must still hold for a delete or update to go ahead (a Conflict otherwise)."""

    uid: str | None = None
    resource_version: str | None = None


@dataclass(frozen=True)
class ListResult:
    """One page of a list, read at one revision.

    ``continue_token`` is empty on the last page; ``remaining_item_count`` is how many matching
    objects follow this page when the store can tell cheaply, else None.
    """

    items: list[Object]
    revision: int
    continue_token: str = ""
    remaining_item_count: int | None = None

    @property
    def resource_version(self) -> str:
        return str(self.revision)


ResourceVersionMatch = Literal["", "NotOlderThan", "Exact"]


@dataclass(frozen=True)
class Create:
    """A create in a batch (``Store.write_batch``): store ``obj`` under ``key``, as ``create``."""

    key: Key
    obj: Object


@dataclass(frozen=True)
class Update:
    """An update in a batch (``Store.write_batch``), with ``guaranteed_update``'s arguments."""

    key: Key
    try_update: UpdateFunc
    preconditions: Preconditions | None = None
    cached: Object | None = None


BatchWrite = Create | Update
