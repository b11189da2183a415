"""Services, pods and pod states for the endpoints controller's tests.

The tests call ``EndpointsController.reconcile`` by hand, as a worker would, against the real
registry and store. Pods get their address and readiness the way a node agent reports them,
through ``pods/status``.
"""

from __future__ import annotations

from typing import Any

from cluster.controllers.endpoints import EndpointsController
from cluster.registry.catalog import RESOURCES
from cluster.registry.errors import NotFound
from cluster.registry.reconcile import DONE
from cluster.registry.registry import Registry
from cluster.registry.resources import Resource
from cluster.registry.vocabulary import Object


def resource(kind: str) -> Resource:
    found = RESOURCES.by_kind("", kind)
    assert found is not None
    return found


SERVICES, PODS, ENDPOINTS = resource("Service"), resource("Pod"), resource("Endpoints")
EVENTS = resource("Event")
CONTROLLER = EndpointsController()
NS = "default"
APP = {"app": "web"}


def create_service(
    registry: Registry,
    name: str = "web",
    *,
    selector: dict[str, str] | None = APP,
    ports: list[dict[str, Any]] | None = None,
    labels: dict[str, str] | None = None,
    **spec: Any,
) -> Object:
    body: dict[str, Any] = {"ports": [{"port": 80, "targetPort": 8080}] if ports is None else ports}
    if selector is not None:
        body["selector"] = selector
    body.update(spec)
    metadata: dict[str, Any] = {"name": name, "namespace": NS}
    if labels:
        metadata["labels"] = labels
    service = {"apiVersion": "v1", "kind": "Service", "metadata": metadata, "spec": body}
    return registry.create(SERVICES, NS, service).object


def create_pod(
    registry: Registry,
    name: str,
    *,
    ip: str | None = None,
    ready: bool = True,
    labels: dict[str, str] | None = APP,
    ports: list[dict[str, Any]] | None = None,
    node: str = "node-1",
    phase: str = "Running",
    **spec: Any,
) -> Object:
    """A pod bound to ``node``; with ``ip``, also Running (or ``phase``) and Ready or not."""
    container: dict[str, Any] = {"name": "web", "image": "nginx:1.27"}
    if ports:
        container["ports"] = ports
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": NS, "labels": dict(labels or {})},
        "spec": {"containers": [container], "nodeName": node, **spec},
    }
    created = registry.create(PODS, NS, pod).object
    if ip is None:
        return created
    return report(registry, name, ip=ip, ready=ready, phase=phase)


def report(
    registry: Registry, name: str, *, ip: str, ready: bool = True, phase: str = "Running"
) -> Object:
    """Write the pod's status as its node agent would: its IP, phase and Ready condition."""

    def write(pod: Object) -> Object:
        status = pod.setdefault("status", {})
        status.update(phase=phase, podIP=ip, podIPs=[{"ip": ip}])
        status["conditions"] = [
            {"type": "Ready", "status": "True" if ready else "False"},
            {"type": "PodScheduled", "status": "True"},
        ]
        return pod

    return registry.update(PODS, NS, name, write, subresource="status").object


def sync(registry: Registry, name: str = "web") -> None:
    assert CONTROLLER.reconcile(f"{NS}/{name}", registry) == DONE


def endpoints(registry: Registry, name: str = "web") -> Object | None:
    try:
        return registry.get(ENDPOINTS, NS, name)
    except NotFound:
        return None


def subsets(registry: Registry, name: str = "web") -> list[dict[str, Any]]:
    found = endpoints(registry, name)
    assert found is not None, f"no endpoints {name}"
    return list(found.get("subsets") or [])


def address(pod: Object, *, ip: str) -> dict[str, Any]:
    """The address kube writes for ``pod`` (bound to node-1 unless it says otherwise)."""
    meta = pod["metadata"]
    return {
        "ip": ip,
        "nodeName": pod["spec"]["nodeName"],
        "targetRef": {
            "kind": "Pod",
            "namespace": meta["namespace"],
            "name": meta["name"],
            "uid": meta["uid"],
        },
    }


def ips(entries: list[dict[str, Any]]) -> list[str]:
    return [e["ip"] for e in entries]
