"""What wakes the node lifecycle controller: node changes it decides by, and its monitor period.

Renewals do not, neither a Lease's nor a heartbeat in the node's status: they would send one
message per node per renewal, and expiry is found by the periodic look at every node, every
``CLUSTER_NODE_MONITOR_PERIOD_SECONDS``.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from pytest_django.fixtures import Settings

from cluster.registry.reconcile import Change
from cluster.registry.registry import Registry
from cluster.registry.vocabulary import Object
from tests.controllers.nodelifecyclekit import Clock, condition, controller, create_node

START = Clock().start


def node(ready: str, *, heartbeat: float = 0, taints: list[dict[str, str]] | None = None) -> Object:
    status = {"conditions": [condition(ready, START + timedelta(seconds=heartbeat))]}
    return {
        "kind": "Node",
        "metadata": {"name": "node-a"},
        "spec": {"taints": taints or []},
        "status": status,
    }


def keys(registry: Registry, type_: str, new: Object, old: Object | None = None) -> list[str]:
    return list(controller(Clock()).keys_for(Change(type_, "Node", new, old), registry))


def test_a_new_or_deleted_node_concerns_that_node(registry: Registry) -> None:
    assert keys(registry, "ADDED", node("True")) == ["node-a"]
    assert keys(registry, "DELETED", node("True"), node("True")) == ["node-a"]
    assert keys(registry, "MODIFIED", node("True")) == ["node-a"]


def test_a_change_of_the_ready_status_or_of_the_taints_concerns_the_node(
    registry: Registry,
) -> None:
    assert keys(registry, "MODIFIED", node("True"), node("Unknown")) == ["node-a"]
    tainted = node("True", taints=[{"key": "dedicated", "effect": "NoExecute"}])
    assert keys(registry, "MODIFIED", tainted, node("True")) == ["node-a"]


def test_a_heartbeat_alone_concerns_nobody(registry: Registry) -> None:
    assert keys(registry, "MODIFIED", node("True", heartbeat=10), node("True", heartbeat=0)) == []


def test_leases_are_not_watched() -> None:
    assert controller(Clock()).kinds == ("Node",)


@pytest.mark.django_db(transaction=True)
def test_the_periodic_look_covers_every_node(registry: Registry) -> None:
    create_node(registry, "node-a")
    create_node(registry, "node-b")

    assert sorted(controller(Clock()).resync_keys(registry)) == ["node-a", "node-b"]


def test_the_periodic_look_comes_every_monitor_period(settings: Settings) -> None:
    settings.CLUSTER_NODE_MONITOR_PERIOD_SECONDS = 1.5

    assert controller(Clock()).resync_seconds == 1.5
