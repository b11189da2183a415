"""EndpointSlices with real workers: ``kubectl describe svc`` lists a Service's endpoints.

kubectl reads a Service's endpoints from the EndpointSlices labelled with its name; the
EndpointSlice controller writes them as pods (played here through ``pods/status``) come and
become ready, and removes them with the Service.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.controlplane.backends import backend_pod, report_pod, service_manifest
from tests.controlplane.cluster import ControlPlane, NodeKeeper, eventually
from tests.e2e.cluster import Api, squeeze

pytestmark = pytest.mark.e2e


def _slices(api: Api, namespace: str, service: str) -> list[dict[str, Any]]:
    path = f"/apis/discovery.k8s.io/v1/namespaces/{namespace}/endpointslices"
    response = api.get(f"{path}?labelSelector=kubernetes.io/service-name%3D{service}")
    assert response.status == 200, response.text
    return list(response.body["items"])


def _endpoints_line(described: str) -> str:
    lines = [line for line in squeeze(described).splitlines() if line.startswith("Endpoints:")]
    assert len(lines) == 1, described
    return lines[0]


def test_describe_service_shows_the_endpoints_the_controller_sliced(
    control_plane: ControlPlane, namespace: str, nodes: NodeKeeper
) -> None:
    api, kubectl = control_plane.api, control_plane.kubectl(namespace)
    node = nodes.add()
    api.create(f"/api/v1/namespaces/{namespace}/services", service_manifest("web"))
    pods = f"/api/v1/namespaces/{namespace}/pods"
    for name in ("web-a", "web-b"):
        api.create(pods, backend_pod(name, "web", node))
    report_pod(api, namespace, "web-a", ip="10.244.7.10", ready=True)

    def shown(expected: str) -> bool:
        return _endpoints_line(kubectl.ok("describe", "svc", "web")) == expected

    eventually(lambda: shown("Endpoints:  10.244.7.10:8080"))

    report_pod(api, namespace, "web-b", ip="10.244.7.11", ready=True)
    eventually(lambda: shown("Endpoints:  10.244.7.10:8080,10.244.7.11:8080"))

    (only,) = _slices(api, namespace, "web")
    assert only["metadata"]["name"].startswith("web-")
    assert only["metadata"]["labels"]["endpointslice.kubernetes.io/managed-by"] == (
        "endpointslice-controller.k8s.io"
    )
    assert only["metadata"]["ownerReferences"][0]["kind"] == "Service"

    assert api.request("DELETE", f"/api/v1/namespaces/{namespace}/services/web").status == 200
    eventually(lambda: _slices(api, namespace, "web") == [])
