"""Pod GC: terminated pods beyond the threshold, pods of deleted nodes, and unscheduled pods
being deleted are removed, as kube's podgc controller removes them."""

from __future__ import annotations

import time

import pytest
from pytest_django.fixtures import Settings

from cluster.controllers.podgc import QUARANTINE_KIND, PodGarbageCollector, collection_order
from cluster.registry import records
from cluster.registry.bootstrap import ensure_system_namespaces
from cluster.registry.reconcile import DONE
from cluster.registry.registry import DeleteOptions, Registry
from cluster.registry.vocabulary import Object
from tests.controllers.podgckit import (
    HOLD,
    NODES,
    NS,
    PODS,
    Clock,
    collect,
    create_node,
    create_pod,
    get_pod,
    pod_names,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _namespaces(registry: Registry) -> None:
    ensure_system_namespaces(registry)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def collector(clock: Clock) -> PodGarbageCollector:
    return PodGarbageCollector(clock=clock)


# -- terminated pods --


def test_terminated_pods_beyond_the_threshold_go_oldest_first(
    registry: Registry, collector: PodGarbageCollector, settings: Settings
) -> None:
    settings.CLUSTER_TERMINATED_POD_GC_THRESHOLD = 2
    create_node(registry, "node-1")
    create_pod(registry, "z-oldest", node="node-1", phase="Succeeded")
    time.sleep(1.05)  # creation times have whole seconds
    create_pod(registry, "b-newer", node="node-1", phase="Failed")
    create_pod(registry, "c-newer", node="node-1", phase="Succeeded")
    create_pod(registry, "a-newer", node="node-1", phase="Succeeded")
    create_pod(registry, "running", node="node-1", phase="Running")
    create_pod(registry, "pending")

    assert collect(registry, collector) == DONE

    assert pod_names(registry) == ["b-newer", "c-newer", "pending", "running"]


def test_terminated_pods_within_the_threshold_stay(
    registry: Registry, collector: PodGarbageCollector, settings: Settings
) -> None:
    settings.CLUSTER_TERMINATED_POD_GC_THRESHOLD = 2
    create_node(registry, "node-1")
    create_pod(registry, "a", node="node-1", phase="Succeeded")
    create_pod(registry, "b", node="node-1", phase="Failed")
    collect(registry, collector)
    assert pod_names(registry) == ["a", "b"]


def test_a_threshold_of_zero_keeps_every_terminated_pod(
    registry: Registry, collector: PodGarbageCollector, settings: Settings
) -> None:
    settings.CLUSTER_TERMINATED_POD_GC_THRESHOLD = 0
    create_node(registry, "node-1")
    create_pod(registry, "a", node="node-1", phase="Succeeded")
    collect(registry, collector)
    assert pod_names(registry) == ["a"]


def test_evicted_pods_are_collected_before_older_ones() -> None:
    def pod(name: str, created: str, **status: str) -> Object:
        return {"metadata": {"name": name, "creationTimestamp": created}, "status": status}

    pods = [
        pod("old", "2024-01-01T00:00:00Z", phase="Succeeded"),
        pod("evicted", "2024-06-01T00:00:00Z", phase="Failed", reason="Evicted"),
        pod("b-tied", "2024-03-01T00:00:00Z", phase="Failed"),
        pod("a-tied", "2024-03-01T00:00:00Z", phase="Failed"),
    ]
    assert [p["metadata"]["name"] for p in sorted(pods, key=collection_order)] == [
        "evicted",
        "old",
        "a-tied",
        "b-tied",
    ]


# -- pods of deleted nodes --


def test_a_pod_of_a_deleted_node_goes_after_the_quarantine(
    registry: Registry, collector: PodGarbageCollector, clock: Clock, settings: Settings
) -> None:
    settings.CLUSTER_POD_GC_QUARANTINE_SECONDS = 40
    create_node(registry, "alive")
    create_pod(registry, "orphan", node="gone", phase="Running")
    create_pod(registry, "kept", node="alive", phase="Running")

    first = collect(registry, collector)
    assert first.requeue_after == pytest.approx(40, abs=0.01)
    clock.move_to(30)
    assert collect(registry, collector).requeue_after == pytest.approx(10, abs=0.01)
    assert pod_names(registry) == ["kept", "orphan"]

    clock.move_to(40)
    assert collect(registry, collector) == DONE
    assert pod_names(registry) == ["kept"]
    assert collect(registry, collector) == DONE
    assert records.all_of(registry, QUARANTINE_KIND) == []


def test_a_pod_of_a_deleted_node_is_marked_failed_by_pod_gc(
    registry: Registry, collector: PodGarbageCollector, settings: Settings
) -> None:
    settings.CLUSTER_POD_GC_QUARANTINE_SECONDS = 0
    create_pod(registry, "orphan", node="gone", phase="Running", finalizers=[HOLD])

    collect(registry, collector)

    pod = get_pod(registry, "orphan")
    assert pod is not None
    assert pod["metadata"]["deletionTimestamp"]
    assert pod["metadata"]["deletionGracePeriodSeconds"] == 0
    assert pod["status"]["phase"] == "Failed"
    [condition] = [c for c in pod["status"]["conditions"] if c["type"] == "DisruptionTarget"]
    assert (condition["status"], condition["reason"], condition["message"]) == (
        "True",
        "DeletionByPodGC",
        "PodGC: node no longer exists",
    )
    version = pod["metadata"]["resourceVersion"]
    collect(registry, collector)  # held by its finalizer: nothing more to do
    assert registry.get(PODS, NS, "orphan")["metadata"]["resourceVersion"] == version


def test_a_node_back_within_the_quarantine_keeps_its_pods(
    registry: Registry, collector: PodGarbageCollector, clock: Clock, settings: Settings
) -> None:
    settings.CLUSTER_POD_GC_QUARANTINE_SECONDS = 40
    create_pod(registry, "pod", node="flaky", phase="Running")
    collect(registry, collector)
    create_node(registry, "flaky")
    clock.move_to(60)
    assert collect(registry, collector) == DONE
    assert pod_names(registry) == ["pod"]
    assert records.all_of(registry, QUARANTINE_KIND) == []

    registry.delete(NODES, None, "flaky", DeleteOptions())  # gone again: a fresh quarantine
    assert collect(registry, collector).requeue_after == pytest.approx(40, abs=0.01)
    assert pod_names(registry) == ["pod"]


def test_the_quarantine_holds_across_collectors(
    registry: Registry, clock: Clock, settings: Settings
) -> None:
    settings.CLUSTER_POD_GC_QUARANTINE_SECONDS = 40
    create_pod(registry, "orphan", node="gone", phase="Running")
    collect(registry, PodGarbageCollector(clock=clock))
    clock.move_to(41)
    collect(registry, PodGarbageCollector(clock=clock))  # another worker, same store
    assert pod_names(registry) == []


# -- unscheduled pods being deleted --


def test_an_unscheduled_pod_being_deleted_is_failed_and_force_deleted(
    registry: Registry, collector: PodGarbageCollector
) -> None:
    create_pod(registry, "stuck", finalizers=[HOLD])
    registry.delete(PODS, NS, "stuck", DeleteOptions())
    assert registry.get(PODS, NS, "stuck")["status"]["phase"] == "Pending"

    collect(registry, collector)

    pod = get_pod(registry, "stuck")
    assert pod is not None
    assert (pod["status"]["phase"], pod["metadata"]["deletionGracePeriodSeconds"]) == ("Failed", 0)
    assert "DisruptionTarget" not in [c["type"] for c in pod["status"].get("conditions") or []]
