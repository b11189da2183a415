"""When pod GC looks: its one key, on node deletion, pod termination and its own resync."""

from __future__ import annotations

import copy

import pytest

from cluster.controllers.podgc import KEY, PodGarbageCollector
from cluster.registry.reconcile import Change
from cluster.registry.registry import Registry
from cluster.registry.vocabulary import Object

pytestmark = pytest.mark.django_db(transaction=True)

COLLECTOR = PodGarbageCollector()


def pod(phase: str = "Running", **meta: object) -> Object:
    return {
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": "default", **meta},
        "spec": {"nodeName": "node-1"},
        "status": {"phase": phase},
    }


def keys(change: Change, registry: Registry) -> list[str]:
    return list(COLLECTOR.keys_for(change, registry))


def test_a_deleted_node_is_a_reason_to_look(registry: Registry) -> None:
    node: Object = {"kind": "Node", "metadata": {"name": "node-1"}}
    assert keys(Change("DELETED", "Node", node), registry) == [KEY]
    assert keys(Change("MODIFIED", "Node", node, node), registry) == []


def test_a_pod_that_terminates_is_a_reason_to_look(registry: Registry) -> None:
    assert keys(Change("MODIFIED", "Pod", pod("Succeeded"), pod("Running")), registry) == [KEY]
    assert keys(Change("ADDED", "Pod", pod("Failed")), registry) == [KEY]
    assert keys(Change("MODIFIED", "Pod", pod("Failed"), pod("Failed")), registry) == []
    assert keys(Change("MODIFIED", "Pod", pod("Running"), pod("Pending")), registry) == []
    assert keys(Change("DELETED", "Pod", pod("Failed"), pod("Failed")), registry) == []


def test_an_unscheduled_pod_being_deleted_is_a_reason_to_look(registry: Registry) -> None:
    deleting = pod("Pending", deletionTimestamp="2024-01-01T00:00:00Z")
    deleting["spec"] = {}
    assert keys(Change("MODIFIED", "Pod", deleting, pod("Pending")), registry) == [KEY]
    done = copy.deepcopy(deleting)
    done["metadata"]["deletionGracePeriodSeconds"] = 0
    done["status"]["phase"] = "Failed"
    assert keys(Change("MODIFIED", "Pod", done, deleting), registry) == [KEY]
    assert keys(Change("MODIFIED", "Pod", done, done), registry) == []


def test_it_resyncs_its_one_key_every_twenty_seconds(registry: Registry) -> None:
    assert list(COLLECTOR.resync_keys(registry)) == [KEY]
    assert COLLECTOR.resync_seconds == 20.0
