"""Which keys the collector's changes and resync produce: owner identities that outlive owners.

A key is ``Kind[.group]/namespace/name`` of an owner (namespace empty when cluster-scoped).
Changes of dependents look up their owners, so only those with work left get a key.
"""

from __future__ import annotations

import pytest

from cluster.registry.bootstrap import ensure_system_namespaces
from cluster.registry.reconcile import DONE, Change
from cluster.registry.registry import DeleteOptions, Registry
from tests.controllers.garbagecollectorkit import (
    GC,
    LEASES,
    NODES,
    PODS,
    RCS,
    create_pods,
    create_rc,
    find,
    owner_ref,
)

pytestmark = pytest.mark.django_db(transaction=True)

KEY = "ReplicationController/default/web"


@pytest.fixture(autouse=True)
def _namespaces(registry: Registry) -> None:
    ensure_system_namespaces(registry)


def test_it_watches_every_kind_but_events_and_leases() -> None:
    assert sorted(GC.kinds) == [
        "EndpointSlice",
        "Endpoints",
        "Namespace",
        "Node",
        "Pod",
        "ReplicationController",
        "Service",
    ]


def test_a_deleted_object_is_keyed_as_an_owner(registry: Registry) -> None:
    owner = create_rc(registry)
    node = registry.create(NODES, None, {"metadata": {"name": "n1"}}).object

    assert list(GC.keys_for(Change("DELETED", "ReplicationController", owner), registry)) == [KEY]
    assert list(GC.keys_for(Change("DELETED", "Node", node), registry)) == ["Node//n1"]


def test_an_owner_is_keyed_when_marked_for_the_collector_and_not_before(
    registry: Registry,
) -> None:
    owner = create_rc(registry)
    assert list(GC.keys_for(Change("ADDED", "ReplicationController", owner), registry)) == []

    marked = registry.delete(RCS, "default", "web", DeleteOptions(propagation_policy="Foreground"))
    change = Change("MODIFIED", "ReplicationController", marked.object, owner)

    assert list(GC.keys_for(change, registry)) == [KEY]


def test_a_new_dependent_is_keyed_to_its_owner_only_if_that_is_gone(registry: Registry) -> None:
    owner = create_rc(registry)
    (dependent,) = create_pods(registry, owner, "web-a")
    assert list(GC.keys_for(Change("ADDED", "Pod", dependent), registry)) == []

    registry.delete(RCS, "default", "web", DeleteOptions(propagation_policy="Background"))

    assert list(GC.keys_for(Change("ADDED", "Pod", dependent), registry)) == [KEY]


def test_a_change_that_keeps_the_references_is_not_keyed(registry: Registry) -> None:
    owner = create_rc(registry)
    (dependent,) = create_pods(registry, owner, "web-a")
    registry.delete(RCS, "default", "web", DeleteOptions(propagation_policy="Background"))
    relabelled = {**dependent, "metadata": {**dependent["metadata"], "labels": {"x": "y"}}}

    assert list(GC.keys_for(Change("MODIFIED", "Pod", relabelled, dependent), registry)) == []


@pytest.mark.parametrize(
    ("owner_deleted_with", "keyed_to_owner"),
    [(None, False), ("Background", False), ("Orphan", False), ("Foreground", True)],
)
def test_a_deleted_dependent_is_keyed_to_its_owner_only_if_that_waits_for_it(
    registry: Registry, owner_deleted_with: str | None, keyed_to_owner: bool
) -> None:
    owner = create_rc(registry)
    (dependent,) = create_pods(registry, owner, "web-a")
    if owner_deleted_with is not None:
        options = DeleteOptions(propagation_policy=owner_deleted_with)
        registry.delete(RCS, "default", "web", options)

    keys = list(GC.keys_for(Change("DELETED", "Pod", dependent), registry))

    itself = "Pod/default/web-a"  # as an owner in its own right
    assert keys == ([itself, KEY] if keyed_to_owner else [itself])


def test_resync_keys_owners_with_work_left_once_each(registry: Registry) -> None:
    living, gone = create_rc(registry), create_rc(registry, "gone")
    create_pods(registry, living, "web-a")
    create_pods(registry, gone, "gone-a", "gone-b")
    registry.delete(RCS, "default", "gone", DeleteOptions(propagation_policy="Background"))
    create_rc(registry, "held")
    registry.delete(RCS, "default", "held", DeleteOptions(propagation_policy="Orphan"))
    node = registry.create(NODES, None, {"metadata": {"name": "n1"}}).object
    lease = {
        "metadata": {
            "name": "n1",
            "namespace": "kube-node-lease",
            "ownerReferences": [owner_ref(node)],
        },
        "spec": {"holderIdentity": "n1"},
    }
    registry.create(LEASES, "kube-node-lease", lease)
    registry.delete(NODES, None, "n1", DeleteOptions())

    assert sorted(GC.resync_keys(registry)) == [
        "Node//n1",
        "ReplicationController/default/gone",
        "ReplicationController/default/held",
    ]


def test_a_key_naming_no_owner_is_dropped(registry: Registry) -> None:
    for key in ("Widget/default/x", "ReplicationController//web", "default/web"):
        assert GC.reconcile(key, registry) == DONE
    assert find(registry, RCS, "web") is None
    assert find(registry, PODS, "web") is None
