"""What wakes the namespace controller: namespaces being deleted, and only those."""

from __future__ import annotations

import pytest

from cluster.controllers.namespace import NamespaceController
from cluster.registry.catalog import RESOURCES
from cluster.registry.reconcile import Change
from cluster.registry.registry import DeleteOptions, Registry
from cluster.registry.vocabulary import Object

CONTROLLER = NamespaceController()


def namespace(name: str, *, deleting: bool) -> Object:
    meta: dict[str, object] = {"name": name}
    if deleting:
        meta["deletionTimestamp"] = "2025-01-01T12:00:00Z"
    return {"kind": "Namespace", "metadata": meta}


def test_a_namespace_marked_for_deletion_concerns_its_key(registry: Registry) -> None:
    change = Change("MODIFIED", "Namespace", namespace("team-a", deleting=True))

    assert list(CONTROLLER.keys_for(change, registry)) == ["team-a"]


def test_an_active_or_vanished_namespace_concerns_nobody(registry: Registry) -> None:
    active = Change("ADDED", "Namespace", namespace("team-a", deleting=False))
    gone = Change("DELETED", "Namespace", namespace("team-a", deleting=True))

    assert list(CONTROLLER.keys_for(active, registry)) == []
    assert list(CONTROLLER.keys_for(gone, registry)) == []


@pytest.mark.django_db(transaction=True)
def test_the_periodic_look_covers_the_namespaces_being_deleted(registry: Registry) -> None:
    namespaces = RESOURCES.by_kind("", "Namespace")
    assert namespaces is not None
    for name in ("team-a", "team-b"):
        registry.create(namespaces, None, {"metadata": {"name": name}})
    registry.delete(namespaces, None, "team-b", DeleteOptions())

    assert list(CONTROLLER.resync_keys(registry)) == ["team-b"]
