"""Taint eviction: pods on a node with NoExecute taints go when their tolerations run out.

Each test runs the controller's reconcile by hand against the real registry, with the clock
moved instead of waiting. Pods get the default tolerations of unreachable and not-ready nodes
at creation (``CLUSTER_DEFAULT_TOLERATION_SECONDS``, set here to 60 s); the monitor period,
within which the controller asks to come back, is 5 s.
"""

from __future__ import annotations

import pytest
from pytest_django.fixtures import Settings

from cluster.registry.bootstrap import ensure_system_namespaces
from cluster.registry.reconcile import DONE, Outcome
from cluster.registry.registry import DeleteOptions, Registry
from tests.controllers.nodelifecyclekit import (
    PODS,
    UNREACHABLE,
    Clock,
    controller,
    create_node,
    create_pod,
    events,
    get_pod,
    is_deleting,
    stamp,
    taints,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _setup(registry: Registry, settings: Settings) -> None:
    settings.CLUSTER_DEFAULT_TOLERATION_SECONDS = 60
    settings.CLUSTER_NODE_MONITOR_PERIOD_SECONDS = 5
    ensure_system_namespaces(registry)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def lose_node(registry: Registry, clock: Clock, name: str = "node-a") -> None:
    """A node that fell silent and was tainted unreachable at +50 s."""
    create_node(registry, name, heartbeat=clock.at(0))
    clock.move_to(50)
    controller(clock).reconcile(name, registry)
    assert taints(registry, name)[0]["timeAdded"] == stamp(clock.at(50))


def test_pods_stay_on_an_unreachable_node_while_their_toleration_lasts(
    registry: Registry, clock: Clock
) -> None:
    create_node(registry, "node-a", heartbeat=clock.at(0))
    create_pod(registry, "web", "node-a")
    clock.move_to(50)

    assert controller(clock).reconcile("node-a", registry) == DONE

    assert not is_deleting(registry, "web")


def test_the_controller_comes_back_when_a_toleration_runs_out_within_a_monitor_period(
    registry: Registry, clock: Clock
) -> None:
    lose_node(registry, clock)
    create_pod(registry, "web", "node-a")
    clock.move_to(107)

    assert controller(clock).reconcile("node-a", registry) == Outcome(requeue_after=3.0)

    assert not is_deleting(registry, "web")


def test_a_pod_whose_toleration_ran_out_is_marked_and_deleted_gracefully(
    registry: Registry, clock: Clock
) -> None:
    lose_node(registry, clock)
    create_pod(registry, "web", "node-a")
    clock.move_to(110)

    assert controller(clock).reconcile("node-a", registry) == DONE

    pod = get_pod(registry, "web")
    assert pod["metadata"]["deletionGracePeriodSeconds"] == 30
    [disruption] = [c for c in pod["status"]["conditions"] if c["type"] == "DisruptionTarget"]
    assert disruption == {
        "type": "DisruptionTarget",
        "status": "True",
        "reason": "DeletionByTaintManager",
        "message": "Taint manager: deleting due to NoExecute taint",
        "lastTransitionTime": stamp(clock.at(110)),
    }
    [event] = events(registry, "TaintManagerEviction")
    assert event["message"] == "Marking for deletion Pod default/web"
    assert event["involvedObject"]["name"] == "web"


def test_a_pod_being_deleted_already_is_left_to_its_node(registry: Registry, clock: Clock) -> None:
    lose_node(registry, clock)
    create_pod(registry, "web", "node-a")
    registry.delete(PODS, "default", "web", DeleteOptions())
    clock.move_to(110)

    controller(clock).reconcile("node-a", registry)

    conditions = get_pod(registry, "web")["status"].get("conditions") or []
    assert "DisruptionTarget" not in [c["type"] for c in conditions]
    assert events(registry, "TaintManagerEviction") == []


def test_a_pod_that_tolerates_the_taint_forever_stays(registry: Registry, clock: Clock) -> None:
    lose_node(registry, clock)
    forever = [{"key": UNREACHABLE, "operator": "Exists", "effect": "NoExecute"}]
    create_pod(registry, "web", "node-a", tolerations=forever)
    clock.move_to(10_000)

    assert controller(clock).reconcile("node-a", registry) == DONE

    assert not is_deleting(registry, "web")


def test_a_pod_that_does_not_tolerate_a_no_execute_taint_goes_at_once(
    registry: Registry, clock: Clock
) -> None:
    dedicated = {"key": "dedicated", "value": "db", "effect": "NoExecute"}
    create_node(registry, "node-a", taints=[dedicated])
    create_pod(registry, "web", "node-a")
    tolerant = [{"key": "dedicated", "operator": "Equal", "value": "db", "effect": "NoExecute"}]
    create_pod(registry, "db", "node-a", tolerations=tolerant)

    controller(clock).reconcile("node-a", registry)

    assert is_deleting(registry, "web")
    assert not is_deleting(registry, "db")
    assert taints(registry, "node-a") == [{**dedicated, "timeAdded": stamp(clock.at(0))}]


def test_only_pods_bound_to_the_tainted_node_are_evicted(registry: Registry, clock: Clock) -> None:
    create_node(registry, "node-b", heartbeat=clock.at(100))
    lose_node(registry, clock)
    create_pod(registry, "lost", "node-a")
    create_pod(registry, "elsewhere", "node-b")
    create_pod(registry, "pending")
    clock.move_to(110)

    controller(clock).reconcile("node-a", registry)
    controller(clock).reconcile("node-b", registry)

    assert is_deleting(registry, "lost")
    assert not is_deleting(registry, "elsewhere")
    assert not is_deleting(registry, "pending")


def test_pods_on_a_node_that_is_not_ready_are_marked_not_ready(
    registry: Registry, clock: Clock
) -> None:
    create_node(registry, "node-a", heartbeat=clock.at(0))
    create_pod(registry, "web", "node-a", ready=True)
    clock.move_to(50)

    controller(clock).reconcile("node-a", registry)

    [ready] = [c for c in get_pod(registry, "web")["status"]["conditions"] if c["type"] == "Ready"]
    assert ready["status"] == "False"
    assert ready["lastTransitionTime"] == stamp(clock.at(50))
