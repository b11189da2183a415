"""Background propagation: once an owner is gone, the collector deletes its dependents.

Each test deletes the owner as ``kubectl delete --cascade=background`` does, then runs the
collector's reconcile for the owner's key by hand, as a worker would.
"""

from __future__ import annotations

import pytest

from cluster.registry.bootstrap import ensure_system_namespaces
from cluster.registry.reconcile import Change
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
    owner_uids,
    pod,
    pod_names,
    snapshot,
)

pytestmark = pytest.mark.django_db(transaction=True)

BACKGROUND = DeleteOptions(propagation_policy="Background")
KEY = "ReplicationController/default/web"


@pytest.fixture(autouse=True)
def _namespaces(registry: Registry) -> None:
    ensure_system_namespaces(registry)


def test_the_pods_of_a_deleted_controller_are_deleted(registry: Registry) -> None:
    owner = create_rc(registry)
    create_pods(registry, owner, "web-a", "web-b")
    registry.create(PODS, "default", pod("unowned"))
    assert registry.delete(RCS, "default", "web", BACKGROUND).deleted

    GC.reconcile(KEY, registry)

    assert pod_names(registry) == ["unowned"]


def test_nothing_is_deleted_while_the_owner_lives(registry: Registry) -> None:
    owner = create_rc(registry)
    create_pods(registry, owner, "web-a")
    before = snapshot(registry)

    GC.reconcile(KEY, registry)

    assert snapshot(registry) == before


def test_a_dependent_with_another_living_owner_only_loses_the_dangling_reference(
    registry: Registry,
) -> None:
    gone, kept = create_rc(registry), create_rc(registry, "db")
    shared = pod("shared", owner_ref(gone), owner_ref(kept, controller=False))
    registry.create(PODS, "default", shared)
    registry.delete(RCS, "default", "web", BACKGROUND)

    GC.reconcile(KEY, registry)

    assert owner_uids(find(registry, PODS, "shared")) == [kept["metadata"]["uid"]]


def test_a_namesake_with_another_uid_does_not_keep_the_dependents(registry: Registry) -> None:
    old = create_rc(registry)
    create_pods(registry, old, "web-old")
    registry.delete(RCS, "default", "web", BACKGROUND)
    new = create_rc(registry)
    create_pods(registry, new, "web-new")

    GC.reconcile(KEY, registry)

    assert pod_names(registry) == ["web-new"]
    assert find(registry, RCS, "web") == new


def test_a_dependent_created_after_its_owner_went_is_collected(registry: Registry) -> None:
    owner = create_rc(registry)
    registry.delete(RCS, "default", "web", BACKGROUND)
    GC.reconcile(KEY, registry)
    (late,) = create_pods(registry, owner, "web-late")
    keys = list(GC.keys_for(Change("ADDED", "Pod", late), registry))
    assert keys == [KEY]
    GC.reconcile(KEY, registry)

    assert pod_names(registry) == []


def test_the_lease_of_a_deleted_node_is_collected_across_namespaces(registry: Registry) -> None:
    node = registry.create(NODES, None, {"metadata": {"name": "n1"}}).object
    lease = {
        "metadata": {
            "name": "n1",
            "namespace": "kube-node-lease",
            "ownerReferences": [owner_ref(node, controller=False)],
        },
        "spec": {"holderIdentity": "n1"},
    }
    registry.create(LEASES, "kube-node-lease", lease)
    registry.delete(NODES, None, "n1", BACKGROUND)

    GC.reconcile("Node//n1", registry)

    assert find(registry, LEASES, "n1", "kube-node-lease") is None


def test_a_second_reconcile_changes_nothing(registry: Registry) -> None:
    gone, kept = create_rc(registry), create_rc(registry, "db")
    create_pods(registry, gone, "web-a")
    registry.create(
        PODS, "default", pod("shared", owner_ref(gone), owner_ref(kept, controller=False))
    )
    registry.delete(RCS, "default", "web", BACKGROUND)
    GC.reconcile(KEY, registry)
    after_first = snapshot(registry)

    GC.reconcile(KEY, registry)

    assert snapshot(registry) == after_first
    assert pod_names(registry) == ["shared"]
