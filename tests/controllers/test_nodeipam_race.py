"""Node IPAM under concurrency: workers allocating for different nodes at once never share
a range, and which nodes a change concerns."""

from __future__ import annotations

import threading

import pytest
from django.db import connections
from pytest_django.fixtures import Settings

from cluster.registry.reconcile import Change
from cluster.registry.registry import DeleteOptions, Registry
from tests.controllers.nodeipamkit import (
    CONTROLLER,
    NODES,
    create_node,
    holders,
    pod_cidr,
    sync,
)

pytestmark = pytest.mark.django_db(transaction=True)


def reconcile_at_once(registry: Registry, names: list[str]) -> list[BaseException]:
    """Reconcile every node on a thread of its own (its own connection), all at once."""
    start = threading.Barrier(len(names))
    failed: list[BaseException] = []

    def run(name: str) -> None:
        try:
            start.wait(timeout=30)
            CONTROLLER.reconcile(name, registry)
        except BaseException as exc:  # noqa: BLE001 - every failure is the test's evidence
            failed.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return failed


def test_nodes_reconciled_at_once_never_get_the_same_range(registry: Registry) -> None:
    names = [f"n{i}" for i in range(6)]
    for name in names:
        create_node(registry, name)
    assert reconcile_at_once(registry, names) == []
    given = [pod_cidr(registry, name) for name in names]
    assert None not in given
    assert len(set(given)) == len(names)
    assert holders(registry) == dict(zip(given, names, strict=True))


def test_a_race_for_the_last_ranges_gives_each_range_to_one_node(
    registry: Registry, settings: Settings
) -> None:
    settings.CLUSTER_CIDR = "10.9.0.0/22"  # four /24 ranges for six nodes
    names = [f"n{i}" for i in range(6)]
    for name in names:
        create_node(registry, name)
    assert reconcile_at_once(registry, names) == []
    given = {name: pod_cidr(registry, name) for name in names}
    taken = [cidr for cidr in given.values() if cidr is not None]
    assert sorted(taken) == ["10.9.0.0/24", "10.9.1.0/24", "10.9.2.0/24", "10.9.3.0/24"]
    assert holders(registry) == {cidr: name for name, cidr in given.items() if cidr}


def test_a_node_heartbeat_concerns_nobody_but_a_new_or_changed_range_does(
    registry: Registry,
) -> None:
    node = create_node(registry, "a")
    assert list(CONTROLLER.keys_for(Change("ADDED", "Node", node), registry)) == ["a"]
    sync(registry, "a")
    with_range = registry.get(NODES, None, "a")
    beat = {**with_range, "status": {"conditions": [{"type": "Ready", "status": "True"}]}}
    assert list(CONTROLLER.keys_for(Change("MODIFIED", "Node", beat, with_range), registry)) == []
    assert list(CONTROLLER.keys_for(Change("MODIFIED", "Node", with_range, node), registry)) == [
        "a"
    ]


def test_a_deleted_node_concerns_itself_and_the_nodes_waiting_for_a_range(
    registry: Registry,
) -> None:
    create_node(registry, "a")
    sync(registry, "a")
    create_node(registry, "waiting")
    gone = registry.delete(NODES, None, "a", DeleteOptions()).object
    assert list(CONTROLLER.keys_for(Change("DELETED", "Node", gone), registry)) == [
        "a",
        "waiting",
    ]


def test_resync_names_every_node_and_every_holder_of_a_range(registry: Registry) -> None:
    for name in ("a", "b"):
        create_node(registry, name)
        sync(registry, name)
    registry.delete(NODES, None, "a", DeleteOptions())  # a lost deletion message
    assert sorted(CONTROLLER.resync_keys(registry)) == ["a", "b"]
