"""A pod that fits nowhere is told why, once, and is placed when room appears."""

from __future__ import annotations

import pytest

from cluster.registry.bootstrap import ensure_system_namespaces
from cluster.registry.reconcile import DONE
from cluster.registry.registry import Registry
from cluster.scheduling.reconciler import KEY, Scheduler
from tests.scheduling.schedulingkit import condition, create_node, create_pod, events, get_pod

pytestmark = pytest.mark.django_db(transaction=True)

SCHEDULER = Scheduler()
NO_CPU = "0/3 nodes are available: 1 node(s) were unschedulable, 2 Insufficient cpu."


@pytest.fixture(autouse=True)
def _namespaces(registry: Registry) -> None:
    ensure_system_namespaces(registry)


def three_nodes_too_small(registry: Registry) -> None:
    create_node(registry, "n1", cpu="1")
    create_node(registry, "n2", cpu="1")
    create_node(registry, "n3", unschedulable=True)


def unschedulable(message: str) -> dict[str, str]:
    return {
        "type": "PodScheduled",
        "status": "False",
        "reason": "Unschedulable",
        "message": message,
    }


def test_the_pod_gets_kubes_condition_and_a_warning_with_the_same_message(
    registry: Registry,
) -> None:
    three_nodes_too_small(registry)
    create_pod(registry, "big", cpu="2")

    assert SCHEDULER.reconcile(KEY, registry) == DONE

    stuck = get_pod(registry, "big")
    assert "nodeName" not in stuck["spec"]
    assert condition(stuck) == unschedulable(NO_CPU)
    (warning,) = events(registry, "FailedScheduling")
    assert (warning["type"], warning["message"]) == ("Warning", NO_CPU)
    assert warning["involvedObject"]["name"] == "big"


def test_a_pod_still_stuck_for_the_same_reason_costs_no_write(registry: Registry) -> None:
    three_nodes_too_small(registry)
    create_pod(registry, "big", cpu="2")
    SCHEDULER.reconcile(KEY, registry)
    version = get_pod(registry, "big")["metadata"]["resourceVersion"]

    SCHEDULER.reconcile(KEY, registry)

    assert get_pod(registry, "big")["metadata"]["resourceVersion"] == version
    assert [e["count"] for e in events(registry, "FailedScheduling")] == [1]


def test_the_message_follows_the_cluster(registry: Registry) -> None:
    three_nodes_too_small(registry)
    create_pod(registry, "big", cpu="2")
    SCHEDULER.reconcile(KEY, registry)

    create_node(registry, "n4", cpu="1", taints=[{"key": "gpu", "effect": "NoSchedule"}])
    SCHEDULER.reconcile(KEY, registry)

    moved_on = (
        "0/4 nodes are available: 1 node(s) had untolerated taint(s), "
        "1 node(s) were unschedulable, 2 Insufficient cpu."
    )
    assert condition(get_pod(registry, "big")) == unschedulable(moved_on)
    assert sorted(e["message"] for e in events(registry, "FailedScheduling")) == sorted(
        [NO_CPU, moved_on]
    )


def test_the_pod_is_placed_once_a_node_fits_it(registry: Registry) -> None:
    three_nodes_too_small(registry)
    create_pod(registry, "big", cpu="2")
    SCHEDULER.reconcile(KEY, registry)

    create_node(registry, "n4", cpu="4")
    SCHEDULER.reconcile(KEY, registry)

    placed = get_pod(registry, "big")
    assert placed["spec"]["nodeName"] == "n4"
    assert condition(placed) == {"type": "PodScheduled", "status": "True"}


def test_without_nodes_the_pod_is_told_there_are_none(registry: Registry) -> None:
    create_pod(registry, "lonely")

    SCHEDULER.reconcile(KEY, registry)

    assert condition(get_pod(registry, "lonely")) == unschedulable(
        "no nodes available to schedule pods"
    )


def test_a_node_that_is_not_ready_takes_no_pod(registry: Registry) -> None:
    create_node(registry, "n1", ready="Unknown")
    create_node(registry, "n2", ready=None)
    create_pod(registry, "web")

    SCHEDULER.reconcile(KEY, registry)

    assert condition(get_pod(registry, "web")) == unschedulable(
        "0/2 nodes are available: 2 node(s) were not ready."
    )
