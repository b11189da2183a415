"""Foreground propagation: the owner stays, marked, until its blocking dependents are gone.

The owner is deleted as ``kubectl delete --cascade=foreground`` does (the registry marks it
with the ``foregroundDeletion`` finalizer), then the collector's reconcile runs by hand.
A pod bound to a node is deleted gracefully: it stays, marked, until its node confirms (here,
a delete with grace period 0), which is how a dependent keeps its owner waiting.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from cluster.registry.bootstrap import ensure_system_namespaces
from cluster.registry.registry import DeleteOptions, Registry
from cluster.registry.vocabulary import Object
from tests.controllers.garbagecollectorkit import (
    GC,
    PODS,
    RCS,
    create_pods,
    create_rc,
    finalizers,
    find,
    owner_ref,
    owner_uids,
    pod,
    pod_names,
    rc,
    snapshot,
    terminating,
)

pytestmark = pytest.mark.django_db(transaction=True)

FOREGROUND = DeleteOptions(propagation_policy="Foreground")
CONFIRMED = DeleteOptions(grace_period_seconds=0)
KEY = "ReplicationController/default/web"
MIDDLE = "ReplicationController/default/db"


@pytest.fixture(autouse=True)
def _namespaces(registry: Registry) -> None:
    ensure_system_namespaces(registry)


def test_the_pods_go_first_and_then_the_controller(registry: Registry) -> None:
    owner = create_rc(registry)
    create_pods(registry, owner, "web-a", "web-b")
    marked = registry.delete(RCS, "default", "web", FOREGROUND).object
    assert marked["metadata"]["finalizers"] == ["foregroundDeletion"]

    GC.reconcile(KEY, registry)

    assert (pod_names(registry), find(registry, RCS, "web")) == ([], None)


def test_the_owner_waits_while_a_blocking_dependent_is_being_deleted(registry: Registry) -> None:
    owner = create_rc(registry)
    create_pods(registry, owner, "web-a", node="node-1")
    registry.delete(RCS, "default", "web", FOREGROUND)

    GC.reconcile(KEY, registry)

    assert terminating(registry, PODS, "web-a")
    assert terminating(registry, RCS, "web")

    registry.delete(PODS, "default", "web-a", CONFIRMED)  # the node confirms
    GC.reconcile(KEY, registry)

    assert find(registry, RCS, "web") is None


def test_a_dependent_that_does_not_block_is_deleted_but_not_waited_for(
    registry: Registry,
) -> None:
    owner = create_rc(registry)
    create_pods(registry, owner, "web-a", block=False, node="node-1")
    registry.delete(RCS, "default", "web", FOREGROUND)

    GC.reconcile(KEY, registry)

    assert find(registry, RCS, "web") is None
    assert terminating(registry, PODS, "web-a")


def test_a_dependent_with_another_living_owner_is_released_not_deleted(
    registry: Registry,
) -> None:
    going, kept = create_rc(registry), create_rc(registry, "db")
    registry.create(
        PODS, "default", pod("shared", owner_ref(going), owner_ref(kept, controller=False))
    )
    registry.delete(RCS, "default", "web", FOREGROUND)

    GC.reconcile(KEY, registry)

    assert owner_uids(find(registry, PODS, "shared")) == [kept["metadata"]["uid"]]
    assert find(registry, RCS, "web") is None


def test_a_dependent_that_owns_others_is_deleted_in_the_foreground_too(
    registry: Registry,
) -> None:
    top = create_rc(registry)
    middle = registry.create(
        RCS,
        "default",
        {
            **rc("db"),
            "metadata": {"name": "db", "namespace": "default", "ownerReferences": [owner_ref(top)]},
        },
    ).object
    create_pods(registry, middle, "db-a", node="node-1")
    registry.delete(RCS, "default", "web", FOREGROUND)

    GC.reconcile(KEY, registry)

    assert finalizers(registry, RCS, "db") == ["foregroundDeletion"]
    assert terminating(registry, RCS, "web")

    GC.reconcile(MIDDLE, registry)
    assert terminating(registry, PODS, "db-a")
    registry.delete(PODS, "default", "db-a", CONFIRMED)
    GC.reconcile(MIDDLE, registry)
    GC.reconcile(KEY, registry)

    assert (find(registry, RCS, "db"), find(registry, RCS, "web")) == (None, None)


def test_owners_that_own_each_other_do_not_wait_for_each_other_forever(
    registry: Registry,
) -> None:
    first, second = create_rc(registry), create_rc(registry, "db")

    def owned_by(owner: Object) -> Callable[[Object], Object]:
        def change(obj: Object) -> Object:
            obj["metadata"]["ownerReferences"] = [owner_ref(owner)]
            return obj

        return change

    registry.update(RCS, "default", "web", owned_by(second))
    registry.update(RCS, "default", "db", owned_by(first))
    registry.delete(RCS, "default", "web", FOREGROUND)

    for key in (KEY, "ReplicationController/default/db", KEY):
        GC.reconcile(key, registry)

    assert (find(registry, RCS, "web"), find(registry, RCS, "db")) == (None, None)


def test_a_second_reconcile_of_a_waiting_owner_changes_nothing(registry: Registry) -> None:
    owner = create_rc(registry)
    create_pods(registry, owner, "web-a", node="node-1")
    registry.delete(RCS, "default", "web", FOREGROUND)
    GC.reconcile(KEY, registry)
    after_first = snapshot(registry)

    GC.reconcile(KEY, registry)

    assert snapshot(registry) == after_first
