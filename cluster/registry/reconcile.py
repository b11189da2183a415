"""What a reconciler is: the contract between the control plane's runtime and its controllers.

The scheduler (``cluster.scheduling``) and the controllers (``cluster.controllers``) are
level-triggered reconcilers, as in kube's sample-controller: a message only says "look at this
key"; the reconciler re-reads the current state through the registry, writes the difference
and says whether to look again later. The runtime (``cluster.controlplane``) turns store
changes into keys (``keys_for``), runs ``reconcile`` on Celery workers under a per-key lock,
retries on Conflict with back-off, and resyncs every key (``resync_keys``) on a schedule so a
lost message is repaired. This module sits in the registry because both upper packages speak
it and may not import each other.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from cluster.registry.registry import Registry
from cluster.store.types import Object


class Cache(Protocol):
    """The dispatcher's copy of the objects of the kinds it watches (an informer's indexer)."""

    def objects(self, kind: str, namespace: str) -> list[Object]:
        """The objects of ``kind`` in ``namespace`` ("" for cluster-scoped kinds), as last seen;
        read-only. Only kinds some reconciler lists in ``kinds`` are cached."""


@dataclass(frozen=True)
class Change:
    """One committed write, as the dispatcher saw it.

    ``old`` is the object as the dispatcher last saw it before this write (None when it is
    new to it), so a controller can tell, say, that a pod's labels stopped matching.
    ``cache`` lets ``keys_for`` find related objects (the services in a pod's namespace)
    without a query per change; it may lag the store by a moment, which a resync covers.
    """

    type: str  # ADDED, MODIFIED or DELETED
    kind: str
    object: Object
    old: Object | None = None
    cache: Cache | None = None

    @property
    def namespace(self) -> str:
        return str((self.object.get("metadata") or {}).get("namespace") or "")

    @property
    def name(self) -> str:
        return str((self.object.get("metadata") or {}).get("name") or "")


@dataclass(frozen=True)
class Outcome:
    """What a reconcile asks of the runtime: nothing, or another look after a delay."""

    requeue_after: float | None = None


DONE = Outcome()


class Reconciler(Protocol):
    """A controller keyed by strings (``namespace/name`` by convention)."""

    name: str
    """Unique, stable: it names the Celery work and the lock of each key."""

    kinds: tuple[str, ...]
    """The kinds whose changes can concern this reconciler."""

    def keys_for(self, change: Change, registry: Registry) -> Iterable[str]:
        """The keys a change concerns (may read through the registry; must not write)."""

    def resync_keys(self, registry: Registry) -> Iterable[str]:
        """Every key there is, for the periodic resync."""

    def reconcile(self, key: str, registry: Registry) -> Outcome:
        """Drive ``key`` towards its desired state; raise Conflict to be retried with back-off."""


def object_key(obj: Object) -> str:
    """``namespace/name`` of an object, or ``name`` when it is cluster-scoped."""
    meta = obj.get("metadata") or {}
    namespace = meta.get("namespace") or ""
    return f"{namespace}/{meta.get('name')}" if namespace else str(meta.get("name"))


def split_key(key: str) -> tuple[str, str]:
    """(namespace, name) of ``namespace/name``; ("", name) for a cluster-scoped key."""
    namespace, _, name = key.rpartition("/")
    return namespace, name
