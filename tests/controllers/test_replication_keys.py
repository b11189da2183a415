"""Which RC keys a change concerns (``keys_for``), and which keys a resync sends.

An RC change concerns that RC. A pod change concerns the RC that controls the pod, before or
after the change; an orphan's change (new to the dispatcher, or its labels or controller
changed) concerns every RC of its namespace whose selector matches its new or old labels.
"""

from __future__ import annotations

from typing import Any

import pytest

from cluster.registry.bootstrap import ensure_system_namespaces
from cluster.registry.reconcile import Change
from cluster.registry.registry import Registry
from cluster.registry.vocabulary import Object
from tests.controllers.replicationkit import MANAGER, create_rc, pod, rc

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _namespaces(registry: Registry) -> None:
    ensure_system_namespaces(registry)


def controlled(name: str, owner: str, kind: str = "ReplicationController") -> Object:
    ref: dict[str, Any] = {"apiVersion": "v1", "kind": kind, "name": owner, "uid": "u"}
    return pod(name, ownerReferences=[{**ref, "controller": True}])


def keys(registry: Registry, change: Change) -> set[str]:
    return set(MANAGER.keys_for(change, registry))


def test_an_rc_change_concerns_that_rc(registry: Registry) -> None:
    change = Change("MODIFIED", "ReplicationController", rc("web"))

    assert keys(registry, change) == {"default/web"}


def test_a_controlled_pod_concerns_its_controller_only(registry: Registry) -> None:
    create_rc(registry, "other")  # matches the pod's labels, but does not control it
    change = Change("MODIFIED", "Pod", controlled("p", "web"), controlled("p", "web"))

    assert keys(registry, change) == {"default/web"}


def test_a_pod_that_changed_controller_concerns_both(registry: Registry) -> None:
    change = Change("MODIFIED", "Pod", controlled("p", "new"), controlled("p", "old"))

    assert keys(registry, change) == {"default/new", "default/old"}


def test_a_deleted_pod_concerns_its_controller(registry: Registry) -> None:
    change = Change("DELETED", "Pod", controlled("p", "web"), controlled("p", "web"))

    assert keys(registry, change) == {"default/web"}


def test_a_pod_controlled_by_another_kind_concerns_no_rc(registry: Registry) -> None:
    change = Change("ADDED", "Pod", controlled("p", "web", kind="ReplicaSet"))

    assert keys(registry, change) == set()


def test_a_new_orphan_concerns_the_rcs_that_select_it(registry: Registry) -> None:
    create_rc(registry, "web")
    create_rc(registry, "web-too")
    create_rc(registry, "db", labels={"app": "db"})

    assert keys(registry, Change("ADDED", "Pod", pod("p"))) == {"default/web", "default/web-too"}


def test_a_relabelled_orphan_concerns_the_rcs_of_its_new_and_old_labels(
    registry: Registry,
) -> None:
    create_rc(registry, "web")
    create_rc(registry, "db", labels={"app": "db"})
    create_rc(registry, "cache", labels={"app": "cache"})
    change = Change("MODIFIED", "Pod", pod("p", {"app": "db"}), pod("p", {"app": "web"}))

    assert keys(registry, change) == {"default/web", "default/db"}


def test_a_released_pod_concerns_its_old_controller_and_the_rcs_that_select_it(
    registry: Registry,
) -> None:
    create_rc(registry, "web")
    change = Change("MODIFIED", "Pod", pod("p"), controlled("p", "former"))

    assert keys(registry, change) == {"default/former", "default/web"}


def test_a_status_change_of_an_orphan_concerns_no_rc(registry: Registry) -> None:
    create_rc(registry, "web")
    running = pod("p")
    running["status"] = {"phase": "Running"}

    assert keys(registry, Change("MODIFIED", "Pod", running, pod("p"))) == set()


def test_an_orphan_in_another_namespace_concerns_no_rc_here(registry: Registry) -> None:
    create_rc(registry, "web")
    elsewhere = pod("p")
    elsewhere["metadata"]["namespace"] = "kube-system"

    assert keys(registry, Change("ADDED", "Pod", elsewhere)) == set()


def test_a_resync_sends_every_rc(registry: Registry) -> None:
    create_rc(registry, "web")
    create_rc(registry, "db", labels={"app": "db"})

    assert sorted(MANAGER.resync_keys(registry)) == ["default/db", "default/web"]
