"""A scheduling pass binds every pending pod it can, against the real store.

Each test runs ``Scheduler.reconcile`` by hand, as a worker would.
"""

from __future__ import annotations

import pytest

from cluster.registry.bootstrap import ensure_system_namespaces
from cluster.registry.reconcile import DONE
from cluster.registry.registry import DeleteOptions, Registry
from cluster.registry.vocabulary import Object
from cluster.scheduling.reconciler import KEY, Scheduler
from tests.scheduling.schedulingkit import (
    NS,
    PODS,
    condition,
    create_node,
    create_pod,
    events,
    get_pod,
)

pytestmark = pytest.mark.django_db(transaction=True)

SCHEDULER = Scheduler()


@pytest.fixture(autouse=True)
def _namespaces(registry: Registry) -> None:
    ensure_system_namespaces(registry)


def node_of(registry: Registry, name: str) -> str | None:
    node = get_pod(registry, name)["spec"].get("nodeName")
    return str(node) if node else None


def test_a_pending_pod_is_bound_and_told_so(registry: Registry) -> None:
    create_node(registry, "n1")
    create_pod(registry, "web")

    assert SCHEDULER.reconcile(KEY, registry) == DONE

    bound = get_pod(registry, "web")
    assert bound["spec"]["nodeName"] == "n1"
    assert condition(bound) == {"type": "PodScheduled", "status": "True"}
    (scheduled,) = events(registry, "Scheduled")
    assert (scheduled["type"], scheduled["message"]) == (
        "Normal",
        "Successfully assigned default/web to n1",
    )
    assert scheduled["involvedObject"]["uid"] == bound["metadata"]["uid"]
    assert scheduled["source"] == {"component": "default-scheduler"}


def test_one_pass_binds_every_pending_pod_and_spreads_them(registry: Registry) -> None:
    for name in ("n1", "n2", "n3"):
        create_node(registry, name)
    for i in range(6):
        create_pod(registry, f"web-{i}", owner="web")

    SCHEDULER.reconcile(KEY, registry)

    placed = sorted(str(node_of(registry, f"web-{i}")) for i in range(6))
    assert placed == ["n1", "n1", "n2", "n2", "n3", "n3"]


def test_a_pod_with_a_node_selector_lands_on_the_matching_node(registry: Registry) -> None:
    create_node(registry, "n1", labels={"disk": "hdd"})
    create_node(registry, "n2", labels={"disk": "ssd"})
    create_node(registry, "n3", labels={"disk": "hdd"})

    create_pod(registry, "db", nodeSelector={"disk": "ssd"})
    SCHEDULER.reconcile(KEY, registry)

    assert node_of(registry, "db") == "n2"


def test_a_cordoned_node_is_avoided(registry: Registry) -> None:
    create_node(registry, "a-cordoned", unschedulable=True)
    create_node(registry, "b-open", cpu="1")  # smaller: the cordoned one would score higher

    create_pod(registry, "web")
    SCHEDULER.reconcile(KEY, registry)

    assert node_of(registry, "web") == "b-open"


def test_the_requests_of_pods_already_bound_are_taken_but_not_of_terminated_ones(
    registry: Registry,
) -> None:
    create_node(registry, "busy", cpu="2")
    create_node(registry, "idle", cpu="2")
    create_pod(registry, "running", cpu="1500m", node_name="busy")
    create_pod(registry, "finished", cpu="1900m", node_name="idle")

    def succeed(obj: Object) -> Object:
        obj["status"]["phase"] = "Succeeded"
        return obj

    registry.update(PODS, NS, "finished", succeed, subresource="status")
    create_pod(registry, "new", cpu="1")

    SCHEDULER.reconcile(KEY, registry)

    assert node_of(registry, "new") == "idle"


def test_pods_it_must_not_place_are_left_alone(registry: Registry) -> None:
    create_node(registry, "n1")
    create_pod(registry, "other", schedulerName="my-scheduler")
    create_pod(registry, "gated", schedulingGates=[{"name": "example.com/wait"}])
    create_pod(registry, "placed", node_name="n1")
    create_pod(registry, "leaving")
    registry.update(
        PODS,
        NS,
        "leaving",
        lambda p: {**p, "metadata": {**p["metadata"], "finalizers": ["example.com/hold"]}},
    )
    registry.delete(PODS, NS, "leaving", DeleteOptions())

    assert SCHEDULER.reconcile(KEY, registry) == DONE

    assert [node_of(registry, n) for n in ("other", "gated", "leaving")] == [None, None, None]
    assert events(registry, "Scheduled") == []
    assert events(registry, "FailedScheduling") == []


def test_higher_priority_pods_take_the_last_room_first(registry: Registry) -> None:
    create_node(registry, "n1", cpu="1")
    create_pod(registry, "a-low", cpu="1")
    create_pod(registry, "b-high", cpu="1", priorityClassName="system-cluster-critical")

    SCHEDULER.reconcile(KEY, registry)

    assert (node_of(registry, "a-low"), node_of(registry, "b-high")) == (None, "n1")
