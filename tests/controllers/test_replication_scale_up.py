"""Scaling up: the manager creates the missing pods from the template, and only those.

Each test runs the manager's reconcile by hand against the real registry, as a worker would.
"""

from __future__ import annotations

import pytest

from cluster.controllers import replication
from cluster.registry.bootstrap import ensure_system_namespaces
from cluster.registry.reconcile import DONE
from cluster.registry.registry import DeleteOptions, Registry
from cluster.registry.vocabulary import Object
from tests.controllers.replicationkit import (
    MANAGER,
    NS,
    PODS,
    controller_uid,
    create_rc,
    events,
    owned_by,
    pod,
    pods,
    resource_versions,
    set_replicas,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _namespaces(registry: Registry) -> None:
    ensure_system_namespaces(registry)


def test_it_creates_one_pod_per_missing_replica(registry: Registry) -> None:
    owner = create_rc(registry, replicas=3)

    assert MANAGER.reconcile("default/web", registry) == DONE

    created = pods(registry)
    assert len(created) == 3
    assert all(controller_uid(p) == owner["metadata"]["uid"] for p in created)


def test_a_new_pod_is_named_labelled_and_owned_as_kube_makes_it(registry: Registry) -> None:
    owner = create_rc(registry, replicas=1, labels={"app": "web", "tier": "front"})

    MANAGER.reconcile("default/web", registry)

    (made,) = pods(registry)
    meta = made["metadata"]
    assert meta["name"].startswith("web-")
    assert len(meta["name"]) == len("web-") + 5
    assert meta["labels"] == {"app": "web", "tier": "front"}
    assert meta["annotations"] == {"team": "blue"}
    assert meta["ownerReferences"] == [
        {
            "apiVersion": "v1",
            "kind": "ReplicationController",
            "name": "web",
            "uid": owner["metadata"]["uid"],
            "controller": True,
            "blockOwnerDeletion": True,
        }
    ]
    assert [c["image"] for c in made["spec"]["containers"]] == ["nginx:1.27"]


def test_each_creation_is_reported_as_an_event_on_the_rc(registry: Registry) -> None:
    create_rc(registry, replicas=2)

    MANAGER.reconcile("default/web", registry)

    messages = sorted(e["message"] for e in events(registry, "SuccessfulCreate"))
    names = sorted(f"Created pod: {p['metadata']['name']}" for p in pods(registry))
    assert messages == names
    assert {e["type"] for e in events(registry, "SuccessfulCreate")} == {"Normal"}
    assert {e["involvedObject"]["name"] for e in events(registry, "SuccessfulCreate")} == {"web"}


def test_a_second_reconcile_writes_nothing(registry: Registry) -> None:
    create_rc(registry, replicas=3)
    MANAGER.reconcile("default/web", registry)
    before = resource_versions(registry)

    assert MANAGER.reconcile("default/web", registry) == DONE

    assert resource_versions(registry) == before


def test_it_only_tops_up_what_is_missing(registry: Registry) -> None:
    owner = create_rc(registry, replicas=2)
    MANAGER.reconcile("default/web", registry)
    set_replicas(registry, 5)

    MANAGER.reconcile("default/web", registry)

    assert len(owned_by(registry, owner)) == 5
    assert len(events(registry, "SuccessfulCreate")) == 5


def test_pods_being_deleted_or_terminated_are_replaced(registry: Registry) -> None:
    owner = create_rc(registry, replicas=2)
    ref = {
        "apiVersion": "v1",
        "kind": "ReplicationController",
        "name": "web",
        "uid": owner["metadata"]["uid"],
        "controller": True,
    }
    registry.create(PODS, NS, pod("web-held", ownerReferences=[ref], finalizers=["x.io/hold"]))
    registry.create(PODS, NS, pod("web-done", ownerReferences=[ref]))
    registry.delete(PODS, NS, "web-held", DeleteOptions())

    def finish(obj: Object) -> Object:
        obj["status"]["phase"] = "Succeeded"
        return obj

    registry.update(PODS, NS, "web-done", finish, subresource="status")

    MANAGER.reconcile("default/web", registry)

    fresh = [p for p in owned_by(registry, owner) if p["status"]["phase"] == "Pending"]
    assert len(fresh) == 2
    assert {"web-held", "web-done"} <= {p["metadata"]["name"] for p in pods(registry)}


def test_a_burst_is_capped_and_the_rest_comes_on_the_next_look(
    registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(replication, "BURST_REPLICAS", 3)
    create_rc(registry, replicas=5)

    first = MANAGER.reconcile("default/web", registry)
    assert len(pods(registry)) == 3
    assert first.requeue_after == 0.0

    assert MANAGER.reconcile("default/web", registry) == DONE
    assert len(pods(registry)) == 5


def test_nothing_happens_for_an_rc_that_does_not_exist(registry: Registry) -> None:
    assert MANAGER.reconcile("default/missing", registry) == DONE
    assert pods(registry) == []
