"""Scaling down: the manager deletes surplus pods through the registry, least valuable first.

The pods' states are set as the scheduler (binding) and a node (status) would set them; the
order itself is tested as logic in ``test_replication_deletion_order``.
"""

from __future__ import annotations

import pytest

from cluster.registry.bootstrap import ensure_system_namespaces
from cluster.registry.reconcile import DONE
from cluster.registry.registry import Registry
from cluster.registry.vocabulary import Object
from tests.controllers.replicationkit import (
    MANAGER,
    active_pods,
    ago,
    bind,
    create_rc,
    events,
    get_rc,
    pods,
    report,
    resource_versions,
    set_replicas,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _namespaces(registry: Registry) -> None:
    ensure_system_namespaces(registry)


def names(objs: list[Object]) -> set[str]:
    return {o["metadata"]["name"] for o in objs}


def four_pods_in_four_states(registry: Registry) -> dict[str, str]:
    """An RC of four pods: unscheduled, scheduled Pending, Running not ready, Running ready."""
    create_rc(registry, replicas=4)
    MANAGER.reconcile("default/web", registry)
    unscheduled, pending, not_ready, ready = sorted(names(pods(registry)))
    for name in (pending, not_ready, ready):
        bind(registry, name)
    report(registry, not_ready, ready=False)
    report(registry, ready, ready=True, ready_since=ago(60))
    return {"unscheduled": unscheduled, "pending": pending, "not_ready": not_ready, "ready": ready}


def test_surplus_pods_go_unscheduled_then_pending_then_not_ready(registry: Registry) -> None:
    states = four_pods_in_four_states(registry)
    gone: list[str] = []
    for replicas in (3, 2, 1):
        before = names(active_pods(registry))
        set_replicas(registry, replicas)
        MANAGER.reconcile("default/web", registry)
        (deleted,) = before - names(active_pods(registry))
        gone.append(deleted)

    assert gone == [states["unscheduled"], states["pending"], states["not_ready"]]
    assert names(active_pods(registry)) == {states["ready"]}


def test_each_deletion_is_reported_as_an_event(registry: Registry) -> None:
    states = four_pods_in_four_states(registry)
    set_replicas(registry, 2)

    MANAGER.reconcile("default/web", registry)

    messages = sorted(e["message"] for e in events(registry, "SuccessfulDelete"))
    assert messages == sorted(f"Deleted pod: {states[s]}" for s in ("unscheduled", "pending"))


def test_a_bound_pod_is_deleted_gracefully_and_no_longer_counted(registry: Registry) -> None:
    states = four_pods_in_four_states(registry)
    set_replicas(registry, 2)

    MANAGER.reconcile("default/web", registry)

    # The unscheduled pod is gone at once; the bound one waits for its node, marked.
    assert states["unscheduled"] not in names(pods(registry))
    marked = {p["metadata"]["name"]: p for p in pods(registry)}[states["pending"]]
    assert marked["metadata"]["deletionTimestamp"]
    assert get_rc(registry)["status"]["replicas"] == 2


def test_a_second_reconcile_after_scaling_down_deletes_nothing_more(registry: Registry) -> None:
    four_pods_in_four_states(registry)
    set_replicas(registry, 2)
    MANAGER.reconcile("default/web", registry)
    before = resource_versions(registry)

    assert MANAGER.reconcile("default/web", registry) == DONE

    assert resource_versions(registry) == before
    assert len(active_pods(registry)) == 2


def test_scaling_to_zero_deletes_every_pod(registry: Registry) -> None:
    create_rc(registry, replicas=3)
    MANAGER.reconcile("default/web", registry)
    set_replicas(registry, 0)

    MANAGER.reconcile("default/web", registry)

    assert pods(registry) == []
    assert get_rc(registry)["status"]["replicas"] == 0
