"""Adoption and release: an RC claims matching orphans and lets go of pods that stop matching.

As kube's ControllerRefManager: a pod controlled by someone else is never touched, a pod being
deleted is not adopted, and an RC being deleted neither adopts nor releases.
"""

from __future__ import annotations

import pytest

from cluster.controllers.replication import ReplicaSync
from cluster.registry.bootstrap import ensure_system_namespaces
from cluster.registry.errors import Conflict
from cluster.registry.registry import DeleteOptions, Registry
from cluster.registry.vocabulary import Object
from tests.controllers.replicationkit import (
    MANAGER,
    NS,
    PODS,
    RCS,
    controller_uid,
    create_rc,
    get_rc,
    owned_by,
    pod,
    pods,
    set_replicas,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _namespaces(registry: Registry) -> None:
    ensure_system_namespaces(registry)


def get_pod(registry: Registry, name: str) -> Object:
    return registry.get(PODS, NS, name)


def relabel(registry: Registry, name: str, labels: dict[str, str]) -> None:
    def change(obj: Object) -> Object:
        obj["metadata"]["labels"] = labels
        return obj

    registry.update(PODS, NS, name, change)


def test_a_matching_orphan_is_adopted_and_counts_as_a_replica(registry: Registry) -> None:
    registry.create(PODS, NS, pod("stray"))
    owner = create_rc(registry, replicas=1)

    MANAGER.reconcile("default/web", registry)

    assert [p["metadata"]["name"] for p in pods(registry)] == ["stray"]
    refs = get_pod(registry, "stray")["metadata"]["ownerReferences"]
    assert refs == [
        {
            "apiVersion": "v1",
            "kind": "ReplicationController",
            "name": "web",
            "uid": owner["metadata"]["uid"],
            "controller": True,
            "blockOwnerDeletion": True,
        }
    ]


def test_an_orphans_other_owner_references_are_kept(registry: Registry) -> None:
    other = {"apiVersion": "v1", "kind": "ConfigMap", "name": "cfg", "uid": "cfg-uid"}
    registry.create(PODS, NS, pod("stray", ownerReferences=[other]))
    owner = create_rc(registry, replicas=1)

    MANAGER.reconcile("default/web", registry)

    refs = get_pod(registry, "stray")["metadata"]["ownerReferences"]
    assert [r["uid"] for r in refs] == ["cfg-uid", owner["metadata"]["uid"]]


def test_an_orphan_that_does_not_match_is_left_alone(registry: Registry) -> None:
    registry.create(PODS, NS, pod("other", labels={"app": "db"}))
    owner = create_rc(registry, replicas=1)

    MANAGER.reconcile("default/web", registry)

    assert controller_uid(get_pod(registry, "other")) is None
    assert len(owned_by(registry, owner)) == 1


def test_a_pod_of_another_controller_is_neither_adopted_nor_counted(registry: Registry) -> None:
    rival = create_rc(registry, "rival", replicas=0)
    ref = {
        "apiVersion": "v1",
        "kind": "ReplicationController",
        "name": "rival",
        "uid": rival["metadata"]["uid"],
        "controller": True,
    }
    registry.create(PODS, NS, pod("taken", ownerReferences=[ref]))
    owner = create_rc(registry, replicas=1)

    MANAGER.reconcile("default/web", registry)

    assert controller_uid(get_pod(registry, "taken")) == rival["metadata"]["uid"]
    assert len(owned_by(registry, owner)) == 1


def test_an_orphan_being_deleted_is_not_adopted(registry: Registry) -> None:
    registry.create(PODS, NS, pod("leaving", finalizers=["x.io/hold"]))
    registry.delete(PODS, NS, "leaving", DeleteOptions())
    owner = create_rc(registry, replicas=1)

    MANAGER.reconcile("default/web", registry)

    assert controller_uid(get_pod(registry, "leaving")) is None
    assert len(owned_by(registry, owner)) == 1


def test_a_pod_whose_labels_stop_matching_is_released_and_replaced(registry: Registry) -> None:
    owner = create_rc(registry, replicas=1)
    MANAGER.reconcile("default/web", registry)
    (mine,) = pods(registry)
    name = mine["metadata"]["name"]
    relabel(registry, name, {"app": "debugging"})

    MANAGER.reconcile("default/web", registry)

    assert "ownerReferences" not in get_pod(registry, name)["metadata"]
    (replacement,) = owned_by(registry, owner)
    assert replacement["metadata"]["name"] != name


def test_a_released_pod_that_matches_again_is_adopted_again(registry: Registry) -> None:
    owner = create_rc(registry, replicas=1)
    MANAGER.reconcile("default/web", registry)
    (mine,) = pods(registry)
    name = mine["metadata"]["name"]
    relabel(registry, name, {"app": "debugging"})
    MANAGER.reconcile("default/web", registry)
    relabel(registry, name, {"app": "web"})
    set_replicas(registry, 2)  # room for both, so that no deletion muddles the count

    MANAGER.reconcile("default/web", registry)

    assert controller_uid(get_pod(registry, name)) == owner["metadata"]["uid"]
    assert len(owned_by(registry, owner)) == 2
    assert len(pods(registry)) == 2


def test_an_rc_being_deleted_neither_adopts_nor_releases(registry: Registry) -> None:
    owner = create_rc(registry, replicas=1)
    MANAGER.reconcile("default/web", registry)
    (mine,) = pods(registry)
    relabel(registry, mine["metadata"]["name"], {"app": "debugging"})
    registry.create(PODS, NS, pod("stray"))
    registry.delete(RCS, NS, "web", DeleteOptions())  # orphan finalizer: it stays, marked
    assert get_rc(registry)["metadata"]["deletionTimestamp"]

    MANAGER.reconcile("default/web", registry)

    assert controller_uid(get_pod(registry, mine["metadata"]["name"])) == owner["metadata"]["uid"]
    assert controller_uid(get_pod(registry, "stray")) is None
    assert len(pods(registry)) == 2


def test_an_orphan_adopted_by_another_rc_meanwhile_is_not_taken_over(registry: Registry) -> None:
    registry.create(PODS, NS, pod("stray"))
    create_rc(registry, replicas=0)
    rival = create_rc(registry, "rival", replicas=1)
    stale = get_pod(registry, "stray")  # read as an orphan...
    MANAGER.reconcile("default/rival", registry)  # ...then adopted by the rival

    assert ReplicaSync(registry, get_rc(registry)).claim([stale]) == []

    assert controller_uid(get_pod(registry, "stray")) == rival["metadata"]["uid"]


def test_an_rc_deleted_since_it_was_read_adopts_nothing(registry: Registry) -> None:
    registry.create(PODS, NS, pod("stray"))
    stale = create_rc(registry, replicas=0)
    registry.delete(RCS, NS, "web", DeleteOptions())  # marked, after the read

    with pytest.raises(Conflict, match="has just been deleted"):
        ReplicaSync(registry, stale).claim([get_pod(registry, "stray")])

    assert controller_uid(get_pod(registry, "stray")) is None


def test_an_rc_replaced_since_it_was_read_adopts_nothing(registry: Registry) -> None:
    registry.create(PODS, NS, pod("stray"))
    stale = create_rc(registry, replicas=0)
    registry.delete(RCS, NS, "web", DeleteOptions(propagation_policy="Background"))
    create_rc(registry, replicas=0)

    with pytest.raises(Conflict, match="is gone"):
        ReplicaSync(registry, stale).claim([get_pod(registry, "stray")])

    assert controller_uid(get_pod(registry, "stray")) is None
