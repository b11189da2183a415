"""Bookkeeping records: controller state kept in the store, beside the API objects.

A few controllers must remember something that many worker processes share and that exactly
one of them may take: the node IPAM controller hands each podCIDR to one node only, even when
two workers allocate for two new nodes at the same moment; pod GC remembers when it first saw
a node missing, whichever worker looks next. Kube-controller-manager keeps such state in the
memory of its one leader; Pilothouse has many workers and no leader, so, as
``kinds/allocators.py`` does for ClusterIPs, each such fact is an object in the store of an
internal kind that no API serves. Taking one is ``store.create``, which succeeds for exactly
one writer; giving it back is a delete conditional on its uid, so a record freed and taken
again by someone else is never removed by mistake.

Controllers may not reach the store (``.importlinter``); this module is their way to it for
these records, and for nothing else.
"""

from __future__ import annotations

from typing import Any

from cluster.registry.errors import AlreadyExists, Conflict, NotFound
from cluster.registry.registry import Registry
from cluster.store.types import Key, Object, Preconditions


def claim(registry: Registry, kind: str, name: str, spec: dict[str, Any]) -> Object | None:
    """Create record ``kind/name`` holding ``spec``; None if another writer holds it."""
    record: Object = {"kind": kind, "metadata": {"name": name}, "spec": spec}
    try:
        return registry.store.create(Key(kind, "", name), record)
    except AlreadyExists:
        return None


def get(registry: Registry, kind: str, name: str) -> Object | None:
    """Record ``kind/name``, or None."""
    try:
        return registry.store.get(Key(kind, "", name))
    except NotFound:
        return None


def all_of(registry: Registry, kind: str) -> list[Object]:
    """Every record of ``kind``, ordered by name."""
    return registry.store.list(kind).items


def release(registry: Registry, record: Object) -> bool:
    """Delete ``record`` if it is still the same record; whether this call deleted it."""
    meta = record["metadata"]
    try:
        registry.store.delete(
            Key(record["kind"], "", meta["name"]), preconditions=Preconditions(uid=meta["uid"])
        )
    except (NotFound, Conflict):
        return False  # already gone, or freed and taken again by someone else
    return True
