"""Nodes, leases, pods and a settable clock for the node lifecycle controller's tests.

The tests call ``NodeLifecycleController.reconcile`` by hand, as a worker would, against the
real registry and store. Time is the controller's injected clock: ``Clock`` starts at the real
present (so stored creation times agree with it) and the test moves it forward, instead of
waiting for a grace period to pass. Heartbeats and lease renewals are written with times on
that clock, through the subresources a kubelet writes with.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from cluster.controllers.nodelifecycle import NodeLifecycleController
from cluster.registry.catalog import RESOURCES
from cluster.registry.errors import NotFound
from cluster.registry.registry import Registry
from cluster.registry.resources import Resource
from cluster.registry.subresources import bind_pod
from cluster.registry.vocabulary import Object


def resource(group: str, kind: str) -> Resource:
    found = RESOURCES.by_kind(group, kind)
    assert found is not None
    return found


NODES, PODS, EVENTS = resource("", "Node"), resource("", "Pod"), resource("", "Event")
LEASES = resource("coordination.k8s.io", "Lease")
NS = "default"
UNREACHABLE = "node.kubernetes.io/unreachable"
NOT_READY = "node.kubernetes.io/not-ready"


class Clock:
    """A clock that stands still at ``start + offset`` until the test moves it."""

    def __init__(self) -> None:
        self.start = datetime.now(UTC).replace(microsecond=0)
        self.offset = 0.0

    def __call__(self) -> datetime:
        return self.at(self.offset)

    def at(self, seconds: float) -> datetime:
        return self.start + timedelta(seconds=seconds)

    def move_to(self, seconds: float) -> None:
        self.offset = seconds


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def controller(clock: Clock) -> NodeLifecycleController:
    return NodeLifecycleController(clock=clock)


def condition(status: str, heartbeat: datetime, type_: str = "Ready") -> dict[str, Any]:
    return {
        "type": type_,
        "status": status,
        "reason": "KubeletReady" if status == "True" else "KubeletNotReady",
        "message": "kubelet is posting ready status",
        "lastHeartbeatTime": stamp(heartbeat),
        "lastTransitionTime": stamp(heartbeat),
    }


def create_node(
    registry: Registry,
    name: str,
    *,
    ready: str | None = "True",
    heartbeat: datetime | None = None,
    taints: list[dict[str, Any]] | None = None,
) -> Object:
    """A node as its agent registers it; ``ready=None`` for one that never posted status."""
    status: dict[str, Any] = {"capacity": {"cpu": "4", "memory": "8Gi", "pods": "110"}}
    if ready is not None:
        status["conditions"] = [
            condition(ready, heartbeat or datetime.now(UTC)),
            condition("False", heartbeat or datetime.now(UTC), "MemoryPressure"),
        ]
    spec: dict[str, Any] = {"taints": taints} if taints else {}
    node = {"metadata": {"name": name}, "spec": spec, "status": status}
    return registry.create(NODES, None, node).object


def renew_lease(registry: Registry, name: str, at: datetime) -> None:
    renew = at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    spec = {"holderIdentity": name, "leaseDurationSeconds": 40, "renewTime": renew}

    def renewed(lease: Object) -> Object:
        lease["spec"] = spec
        return lease

    try:
        registry.update(LEASES, "kube-node-lease", name, renewed)
    except NotFound:
        fresh = {"metadata": {"name": name, "namespace": "kube-node-lease"}, "spec": spec}
        registry.create(LEASES, "kube-node-lease", fresh)


def post_ready(registry: Registry, name: str, status: str, at: datetime) -> None:
    """The node's kubelet posts its Ready condition with a heartbeat at ``at``."""

    def post(node: Object) -> Object:
        others = [c for c in node["status"].get("conditions") or [] if c["type"] != "Ready"]
        node["status"]["conditions"] = [*others, condition(status, at)]
        return node

    registry.update(NODES, None, name, post, subresource="status")


def get_node(registry: Registry, name: str) -> Object:
    return registry.get(NODES, None, name)


def node_conditions(registry: Registry, name: str) -> dict[str, dict[str, Any]]:
    return {c["type"]: c for c in get_node(registry, name)["status"].get("conditions") or []}


def taints(registry: Registry, name: str) -> list[dict[str, Any]]:
    return list(get_node(registry, name)["spec"].get("taints") or [])


def create_pod(
    registry: Registry,
    name: str,
    node: str | None = None,
    *,
    tolerations: list[dict[str, Any]] | None = None,
    ready: bool = False,
) -> Object:
    """A pod, bound to ``node`` if given, Ready if asked (as its kubelet would report)."""
    spec: dict[str, Any] = {"containers": [{"name": "app", "image": "busybox"}]}
    if tolerations is not None:
        spec["tolerations"] = tolerations
    registry.create(PODS, NS, {"metadata": {"name": name, "namespace": NS}, "spec": spec})
    if node is not None:
        bind_pod(registry, NS, name, {"target": {"kind": "Node", "name": node}})
    if ready:

        def report(pod: Object) -> Object:
            pod["status"]["phase"] = "Running"
            pod["status"]["conditions"] = [{"type": "Ready", "status": "True"}]
            return pod

        registry.update(PODS, NS, name, report, subresource="status")
    return registry.get(PODS, NS, name)


def get_pod(registry: Registry, name: str) -> Object:
    return registry.get(PODS, NS, name)


def is_deleting(registry: Registry, name: str) -> bool:
    return bool(get_pod(registry, name)["metadata"].get("deletionTimestamp"))


def events(registry: Registry, reason: str) -> list[Object]:
    return [e for e in registry.list(EVENTS, NS).items if e["reason"] == reason]
