"""Which changes wake the scheduler: everything under its one key, ``pending``."""

from __future__ import annotations

from typing import Any

import pytest

from cluster.registry.reconcile import Change
from cluster.registry.registry import Registry
from cluster.scheduling.reconciler import KEY, Scheduler
from tests.scheduling.schedulingkit import node, pod

pytestmark = pytest.mark.django_db(transaction=True)

SCHEDULER = Scheduler()
Manifest = dict[str, Any]


def added(obj: Manifest) -> Change:
    return Change("ADDED", obj["kind"], obj)


def modified(obj: Manifest, *, old: Manifest) -> Change:
    return Change("MODIFIED", obj["kind"], obj, old)


def deleted(obj: Manifest) -> Change:
    return Change("DELETED", obj["kind"], obj, obj)


def keys(registry: Registry, change: Change) -> list[str]:
    return list(SCHEDULER.keys_for(change, registry))


def with_status(manifest: Manifest, **status: Any) -> Manifest:
    return {**manifest, "status": status}


def test_a_new_pending_pod_wakes_the_scheduler(registry: Registry) -> None:
    assert keys(registry, added(pod("p"))) == [KEY]


def test_a_change_to_a_pending_pods_spec_wakes_it_but_a_status_write_does_not(
    registry: Registry,
) -> None:
    before = pod("p")
    tolerating = pod("p", tolerations=[{"operator": "Exists"}])
    marked = with_status(before, conditions=[{"type": "PodScheduled", "status": "False"}])

    assert keys(registry, modified(tolerating, old=before)) == [KEY]
    assert keys(registry, modified(marked, old=before)) == []


def test_a_new_node_wakes_it(registry: Registry) -> None:
    assert keys(registry, added(node("n"))) == [KEY]


@pytest.mark.parametrize(
    "changed",
    [
        node("n", unschedulable=True),
        node("n", labels={"disk": "ssd"}),
        node("n", taints=[{"key": "gpu", "effect": "NoSchedule"}]),
        node("n", cpu="8"),
        node("n", ready="False"),
    ],
)
def test_a_node_change_the_filters_can_see_wakes_it(registry: Registry, changed: Manifest) -> None:
    assert keys(registry, modified(changed, old=node("n"))) == [KEY]


def test_a_node_heartbeat_or_removal_does_not(registry: Registry) -> None:
    heartbeat = node("n")
    heartbeat["status"]["conditions"][0]["lastHeartbeatTime"] = "2025-01-01T00:00:10Z"

    assert keys(registry, modified(heartbeat, old=node("n"))) == []
    assert keys(registry, deleted(node("n"))) == []


def test_a_bound_pod_that_goes_away_or_terminates_frees_room(registry: Registry) -> None:
    running = with_status(pod("p", node_name="n"), phase="Running")
    finished = with_status(pod("p", node_name="n"), phase="Succeeded")

    assert keys(registry, deleted(running)) == [KEY]
    assert keys(registry, modified(finished, old=running)) == [KEY]
    assert keys(registry, modified(finished, old=finished)) == []
    assert keys(registry, deleted(finished)) == []


def test_bound_pods_changing_and_pods_it_does_not_own_leave_it_asleep(registry: Registry) -> None:
    running = with_status(pod("p", node_name="n"), phase="Running")
    deleting = pod("d")
    deleting["metadata"]["deletionTimestamp"] = "2025-01-01T00:00:00Z"

    assert keys(registry, modified(running, old=pod("p", node_name="n"))) == []
    assert keys(registry, added(pod("o", schedulerName="other-scheduler"))) == []
    assert keys(registry, modified(deleting, old=pod("d"))) == []
    assert keys(registry, added(pod("g", schedulingGates=[{"name": "wait"}]))) == []
    assert keys(registry, deleted(pod("pending"))) == []


def test_the_resync_looks_at_the_one_key(registry: Registry) -> None:
    assert list(SCHEDULER.resync_keys(registry)) == [KEY]
