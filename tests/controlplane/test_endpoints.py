"""Endpoints with real workers: a Service lists its pods' addresses as they become ready.

There is no node agent yet, so the test plays it: pods are created bound to a kept node and
their IP and readiness are written through ``pods/status``, as a kubelet reports them.
"""

from __future__ import annotations

import pytest

from tests.controlplane.backends import backend_pod, report_pod, service_manifest
from tests.controlplane.cluster import ControlPlane, NodeKeeper, eventually
from tests.e2e.cluster import Api

pytestmark = pytest.mark.e2e


def _addresses(api: Api, namespace: str, name: str) -> tuple[list[str], list[str], list[int]]:
    """(ready IPs, not-ready IPs, ports) of the Endpoints; AssertionError until it exists."""
    response = api.get(f"/api/v1/namespaces/{namespace}/endpoints/{name}")
    assert response.status == 200, response.text
    subsets = response.body.get("subsets") or []
    ready = sorted(a["ip"] for s in subsets for a in s.get("addresses") or [])
    not_ready = sorted(a["ip"] for s in subsets for a in s.get("notReadyAddresses") or [])
    ports = sorted({p["port"] for s in subsets for p in s.get("ports") or []})
    return ready, not_ready, ports


def test_a_service_lists_its_ready_pods_and_follows_them(
    control_plane: ControlPlane, namespace: str, nodes: NodeKeeper
) -> None:
    api = control_plane.api
    node = nodes.add()
    api.create(f"/api/v1/namespaces/{namespace}/services", service_manifest("web"))
    pods = f"/api/v1/namespaces/{namespace}/pods"
    for name in ("web-a", "web-b"):
        api.create(pods, backend_pod(name, "web", node))
    api.create(pods, backend_pod("other", "db", node))
    report_pod(api, namespace, "web-a", ip="10.244.7.10", ready=True)
    report_pod(api, namespace, "web-b", ip="10.244.7.11", ready=False)
    report_pod(api, namespace, "other", ip="10.244.7.12", ready=True)

    expected = (["10.244.7.10"], ["10.244.7.11"], [8080])
    eventually(lambda: _addresses(api, namespace, "web") == expected)

    report_pod(api, namespace, "web-b", ip="10.244.7.11", ready=True)
    eventually(
        lambda: _addresses(api, namespace, "web") == (expected[0] + ["10.244.7.11"], [], [8080])
    )

    assert api.request("DELETE", f"{pods}/web-a").status == 200
    eventually(lambda: _addresses(api, namespace, "web") == (["10.244.7.11"], [], [8080]))


def test_kubectl_shows_the_endpoints_of_aservice_manifest(
    control_plane: ControlPlane, namespace: str, nodes: NodeKeeper
) -> None:
    api, kubectl = control_plane.api, control_plane.kubectl(namespace)
    node = nodes.add()
    api.create(f"/api/v1/namespaces/{namespace}/services", service_manifest("front"))
    api.create(f"/api/v1/namespaces/{namespace}/pods", backend_pod("front-a", "front", node))
    report_pod(api, namespace, "front-a", ip="10.244.8.20", ready=True)

    def shown() -> bool:
        return "10.244.8.20:8080" in kubectl.ok("get", "endpoints", "front")

    eventually(shown)
    described = kubectl.ok("describe", "endpoints", "front")
    lines = [line.split() for line in described.splitlines()]
    assert ["Addresses:", "10.244.8.20"] in lines
    assert ["NotReadyAddresses:", "<none>"] in lines
    assert ["http", "8080", "TCP"] in lines


def test_deleting_a_service_deletes_its_endpoints(
    control_plane: ControlPlane, namespace: str, nodes: NodeKeeper
) -> None:
    api = control_plane.api
    node = nodes.add()
    api.create(f"/api/v1/namespaces/{namespace}/services", service_manifest("gone"))
    api.create(f"/api/v1/namespaces/{namespace}/pods", backend_pod("gone-a", "gone", node))
    report_pod(api, namespace, "gone-a", ip="10.244.9.30", ready=True)
    eventually(lambda: _addresses(api, namespace, "gone")[0] == ["10.244.9.30"])

    assert api.request("DELETE", f"/api/v1/namespaces/{namespace}/services/gone").status == 200
    path = f"/api/v1/namespaces/{namespace}/endpoints/gone"
    eventually(lambda: api.get(path).status == 404)
