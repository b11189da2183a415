"""Namespace deletion with real workers: ``kubectl delete namespace`` empties it, then it goes.

The replication controller's pods are never scheduled here (no node), so they go at once; a
pod bound to a node waits for its kubelet's confirmation, which the test gives as a kubelet
would, with a zero-grace delete.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.controlplane.cluster import ControlPlane, NodeKeeper, eventually
from tests.controlplane.manifests import IMAGE, rc_manifest
from tests.e2e.cluster import Api

pytestmark = pytest.mark.e2e


def _service(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name},
        "spec": {"selector": {"app": name}, "ports": [{"port": 80}]},
    }


def _names(api: Api, namespace: str, plural: str) -> list[str]:
    items = api.get(f"/api/v1/namespaces/{namespace}/{plural}").body["items"]
    return sorted(item["metadata"]["name"] for item in items)


def test_kubectl_delete_namespace_removes_its_pods_services_and_rcs_then_the_namespace(
    control_plane: ControlPlane, namespace: str
) -> None:
    api = control_plane.api
    base = f"/api/v1/namespaces/{namespace}"
    api.create(f"{base}/replicationcontrollers", rc_manifest("web", 2))
    api.create(f"{base}/services", _service("web"))
    eventually(lambda: len(_names(api, namespace, "pods")) == 2)

    # kubectl waits (--wait defaults to true) until the namespace is gone.
    out = control_plane.admin.ok("delete", "namespace", namespace, "--timeout=20s")

    assert out == f'namespace "{namespace}" deleted\n'
    assert api.get(f"/api/v1/namespaces/{namespace}").status == 404
    for plural in ("pods", "services", "replicationcontrollers", "endpoints", "events"):
        assert _names(api, namespace, plural) == [], plural
    assert f"namespace {namespace}: empty; finalized" in control_plane.logs()


def test_a_pod_bound_to_a_node_holds_the_namespace_until_its_kubelet_confirms(
    control_plane: ControlPlane, namespace: str, nodes: NodeKeeper
) -> None:
    api = control_plane.api
    node = nodes.add()
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "web"},
        "spec": {"nodeName": node, "containers": [{"name": "c", "image": IMAGE}]},
    }
    api.create(f"/api/v1/namespaces/{namespace}/pods", pod)

    control_plane.admin.ok("delete", "namespace", namespace, "--wait=false")

    def content_remaining() -> Any:
        status = api.get(f"/api/v1/namespaces/{namespace}").body["status"]
        found = {c["type"]: c for c in status.get("conditions") or []}
        return found.get("NamespaceContentRemaining")

    remaining = eventually(content_remaining, timeout=10)
    assert (remaining["status"], remaining["message"]) == (
        "True",
        "Some resources are remaining: pods. has 1 resource instances",
    )
    assert api.get(f"/api/v1/namespaces/{namespace}").body["status"]["phase"] == "Terminating"

    confirmed = api.request(
        "DELETE", f"/api/v1/namespaces/{namespace}/pods/web", {"gracePeriodSeconds": 0}
    )
    assert confirmed.status == 200, confirmed.text

    eventually(lambda: api.get(f"/api/v1/namespaces/{namespace}").status == 404, timeout=10)
