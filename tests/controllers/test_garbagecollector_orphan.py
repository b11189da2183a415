"""Orphan propagation: the dependents live on without their references to the owner.

``kubectl delete --cascade=orphan`` asks for it explicitly; a ReplicationController deleted
without a propagationPolicy gets it too (core/v1's default for it, which the registry
applies). The collector's reconcile runs by hand.
"""

from __future__ import annotations

import pytest

from cluster.registry.bootstrap import ensure_system_namespaces
from cluster.registry.registry import DeleteOptions, Registry
from tests.controllers.garbagecollectorkit import (
    GC,
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

KEY = "ReplicationController/default/web"


@pytest.fixture(autouse=True)
def _namespaces(registry: Registry) -> None:
    ensure_system_namespaces(registry)


@pytest.mark.parametrize("policy", ["Orphan", None])
def test_the_pods_stay_without_references_and_the_controller_goes(
    registry: Registry, policy: str | None
) -> None:
    owner = create_rc(registry)
    create_pods(registry, owner, "web-a", "web-b")
    marked = registry.delete(RCS, "default", "web", DeleteOptions(propagation_policy=policy))
    assert marked.object["metadata"]["finalizers"] == ["orphan"]

    GC.reconcile(KEY, registry)

    assert pod_names(registry) == ["web-a", "web-b"]
    assert [owner_uids(find(registry, PODS, n)) for n in ("web-a", "web-b")] == [[], []]
    assert find(registry, RCS, "web") is None


def test_references_to_other_owners_are_kept(registry: Registry) -> None:
    going, kept = create_rc(registry), create_rc(registry, "db")
    registry.create(
        PODS, "default", pod("shared", owner_ref(going), owner_ref(kept, controller=False))
    )
    registry.delete(RCS, "default", "web", DeleteOptions(propagation_policy="Orphan"))

    GC.reconcile(KEY, registry)

    assert owner_uids(find(registry, PODS, "shared")) == [kept["metadata"]["uid"]]


def test_a_second_reconcile_changes_nothing(registry: Registry) -> None:
    owner = create_rc(registry)
    create_pods(registry, owner, "web-a")
    registry.delete(RCS, "default", "web", DeleteOptions(propagation_policy="Orphan"))
    GC.reconcile(KEY, registry)
    after_first = snapshot(registry)

    GC.reconcile(KEY, registry)

    assert snapshot(registry) == after_first
    assert pod_names(registry) == ["web-a"]
