"""Pods, nodes and a settable clock for the pod garbage collector's tests.

The tests call ``PodGarbageCollector.reconcile`` by hand, as a worker would, against the real
registry and store. The quarantine of a missing node is measured on the collector's injected
clock, which the test moves forward instead of waiting.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from cluster.controllers.podgc import KEY, PodGarbageCollector
from cluster.registry.catalog import RESOURCES
from cluster.registry.errors import NotFound
from cluster.registry.reconcile import Outcome
from cluster.registry.registry import Registry
from cluster.registry.resources import Resource
from cluster.registry.vocabulary import Object


def resource(kind: str) -> Resource:
    found = RESOURCES.by_kind("", kind)
    assert found is not None
    return found


PODS, NODES = resource("Pod"), resource("Node")
NS = "default"
HOLD = "example.com/hold"
"""A finalizer that keeps a deleted pod readable, so a test can see how it was deleted."""


class Clock:
    """A clock that stands still at ``start + offset`` until the test moves it."""

    def __init__(self) -> None:
        self.start = datetime.now(UTC)
        self.offset = 0.0

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=self.offset)

    def move_to(self, seconds: float) -> None:
        self.offset = seconds


def collect(registry: Registry, collector: PodGarbageCollector) -> Outcome:
    return collector.reconcile(KEY, registry)


def create_node(registry: Registry, name: str) -> Object:
    node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name}}
    return registry.create(NODES, None, node).object


def create_pod(
    registry: Registry,
    name: str,
    *,
    node: str | None = None,
    phase: str | None = None,
    reason: str | None = None,
    finalizers: list[str] | None = None,
) -> Object:
    spec: dict[str, Any] = {"containers": [{"name": "c", "image": "busybox"}]}
    if node:
        spec["nodeName"] = node
    meta: dict[str, Any] = {"name": name, "namespace": NS}
    if finalizers:
        meta["finalizers"] = finalizers
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}
    created = registry.create(PODS, NS, pod).object
    if phase is None:
        return created

    def report(current: Object) -> Object:
        current["status"]["phase"] = phase
        if reason:
            current["status"]["reason"] = reason
        return current

    return registry.update(PODS, NS, name, report, subresource="status").object


def pod_names(registry: Registry) -> list[str]:
    return sorted(p["metadata"]["name"] for p in registry.list(PODS, NS).items)


def get_pod(registry: Registry, name: str) -> Object | None:
    try:
        return registry.get(PODS, NS, name)
    except NotFound:
        return None
