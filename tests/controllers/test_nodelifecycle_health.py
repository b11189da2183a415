"""Node health: a silent node goes Unknown and is tainted; a node that comes back is not.

Each test runs the controller's reconcile by hand against the real registry, with the clock
moved instead of waiting out the 40-second grace period.
"""

from __future__ import annotations

import pytest
from pytest_django.fixtures import Settings

from cluster.registry.bootstrap import ensure_system_namespaces
from cluster.registry.reconcile import DONE
from cluster.registry.registry import DeleteOptions, Registry
from tests.controllers.nodelifecyclekit import (
    NODES,
    NOT_READY,
    UNREACHABLE,
    Clock,
    controller,
    create_node,
    events,
    get_node,
    node_conditions,
    post_ready,
    renew_lease,
    stamp,
    taints,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _namespaces(registry: Registry) -> None:
    ensure_system_namespaces(registry)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_a_node_whose_lease_is_renewed_stays_ready_untainted_and_untouched(
    registry: Registry, clock: Clock
) -> None:
    create_node(registry, "node-a", heartbeat=clock.at(0))
    renew_lease(registry, "node-a", clock.at(80))
    clock.move_to(100)
    before = get_node(registry, "node-a")["metadata"]["resourceVersion"]

    assert controller(clock).reconcile("node-a", registry) == DONE

    assert get_node(registry, "node-a")["metadata"]["resourceVersion"] == before
    assert node_conditions(registry, "node-a")["Ready"]["status"] == "True"


def test_a_fresh_heartbeat_keeps_a_node_without_a_lease_alive(
    registry: Registry, clock: Clock
) -> None:
    create_node(registry, "node-a")
    post_ready(registry, "node-a", "True", clock.at(90))
    clock.move_to(100)

    controller(clock).reconcile("node-a", registry)

    assert node_conditions(registry, "node-a")["Ready"]["status"] == "True"
    assert taints(registry, "node-a") == []


def test_a_node_silent_past_the_grace_period_goes_unknown_and_gets_the_unreachable_taint(
    registry: Registry, clock: Clock
) -> None:
    create_node(registry, "node-a", heartbeat=clock.at(0))
    renew_lease(registry, "node-a", clock.at(10))
    clock.move_to(51)

    controller(clock).reconcile("node-a", registry)

    conditions = node_conditions(registry, "node-a")
    for type_ in ("Ready", "MemoryPressure"):
        assert conditions[type_]["status"] == "Unknown"
        assert conditions[type_]["reason"] == "NodeStatusUnknown"
        assert conditions[type_]["message"] == "Kubelet stopped posting node status."
        assert conditions[type_]["lastTransitionTime"] == stamp(clock.at(51))
    assert conditions["Ready"]["lastHeartbeatTime"] == stamp(clock.at(0))
    for type_ in ("DiskPressure", "PIDPressure"):
        assert conditions[type_]["status"] == "Unknown"
        assert conditions[type_]["reason"] == "NodeStatusNeverUpdated"
    assert taints(registry, "node-a") == [
        {"key": UNREACHABLE, "effect": "NoExecute", "timeAdded": stamp(clock.at(51))}
    ]
    [event] = events(registry, "NodeNotReady")
    assert event["message"] == "Node node-a status is now: NodeNotReady"
    assert event["involvedObject"]["kind"] == "Node"


def test_within_the_grace_period_a_node_is_left_alone(registry: Registry, clock: Clock) -> None:
    create_node(registry, "node-a", heartbeat=clock.at(0))
    renew_lease(registry, "node-a", clock.at(10))
    clock.move_to(45)

    controller(clock).reconcile("node-a", registry)

    assert node_conditions(registry, "node-a")["Ready"]["status"] == "True"
    assert taints(registry, "node-a") == []


def test_the_grace_period_comes_from_the_settings(
    registry: Registry, clock: Clock, settings: Settings
) -> None:
    settings.CLUSTER_NODE_MONITOR_GRACE_SECONDS = 5
    create_node(registry, "node-a", heartbeat=clock.at(0))
    renew_lease(registry, "node-a", clock.at(10))
    clock.move_to(20)

    controller(clock).reconcile("node-a", registry)

    assert node_conditions(registry, "node-a")["Ready"]["status"] == "Unknown"


def test_a_second_look_at_a_silent_node_changes_nothing(registry: Registry, clock: Clock) -> None:
    create_node(registry, "node-a", heartbeat=clock.at(0))
    clock.move_to(60)
    controller(clock).reconcile("node-a", registry)
    after_first = get_node(registry, "node-a")
    clock.move_to(70)

    controller(clock).reconcile("node-a", registry)

    assert get_node(registry, "node-a") == after_first
    [event] = events(registry, "NodeNotReady")
    assert event["count"] == 1


def test_a_node_that_never_posted_status_goes_unknown_without_a_not_ready_event(
    registry: Registry, clock: Clock
) -> None:
    create_node(registry, "node-a", ready=None)
    clock.move_to(60)

    controller(clock).reconcile("node-a", registry)

    ready = node_conditions(registry, "node-a")["Ready"]
    assert (ready["status"], ready["reason"], ready["message"]) == (
        "Unknown",
        "NodeStatusNeverUpdated",
        "Kubelet never posted node status.",
    )
    assert (
        ready["lastHeartbeatTime"] == get_node(registry, "node-a")["metadata"]["creationTimestamp"]
    )
    assert [t["key"] for t in taints(registry, "node-a")] == [UNREACHABLE]
    assert events(registry, "NodeNotReady") == []


def test_a_node_that_reports_not_ready_gets_the_not_ready_taint_instead(
    registry: Registry, clock: Clock
) -> None:
    create_node(registry, "node-a", heartbeat=clock.at(0))
    clock.move_to(60)
    controller(clock).reconcile("node-a", registry)
    post_ready(registry, "node-a", "False", clock.at(61))
    clock.move_to(62)

    controller(clock).reconcile("node-a", registry)

    assert node_conditions(registry, "node-a")["Ready"]["status"] == "False"
    assert taints(registry, "node-a") == [
        {"key": NOT_READY, "effect": "NoExecute", "timeAdded": stamp(clock.at(62))}
    ]


def test_a_node_that_comes_back_ready_loses_its_taint_and_keeps_the_others(
    registry: Registry, clock: Clock
) -> None:
    dedicated = {"key": "dedicated", "value": "db", "effect": "NoSchedule"}
    create_node(registry, "node-a", heartbeat=clock.at(0), taints=[dedicated])
    clock.move_to(60)
    controller(clock).reconcile("node-a", registry)
    assert len(taints(registry, "node-a")) == 2
    renew_lease(registry, "node-a", clock.at(90))
    post_ready(registry, "node-a", "True", clock.at(90))
    clock.move_to(91)

    controller(clock).reconcile("node-a", registry)

    assert node_conditions(registry, "node-a")["Ready"]["status"] == "True"
    assert taints(registry, "node-a") == [dedicated]


def test_a_fresh_lease_alone_does_not_make_an_unknown_node_ready(
    registry: Registry, clock: Clock
) -> None:
    create_node(registry, "node-a", heartbeat=clock.at(0))
    clock.move_to(60)
    controller(clock).reconcile("node-a", registry)
    renew_lease(registry, "node-a", clock.at(70))
    clock.move_to(71)

    controller(clock).reconcile("node-a", registry)

    assert node_conditions(registry, "node-a")["Ready"]["status"] == "Unknown"
    assert [t["key"] for t in taints(registry, "node-a")] == [UNREACHABLE]


def test_a_deleted_node_is_done(registry: Registry, clock: Clock) -> None:
    create_node(registry, "node-a", heartbeat=clock.at(0))
    registry.delete(NODES, None, "node-a", DeleteOptions())

    assert controller(clock).reconcile("node-a", registry) == DONE
