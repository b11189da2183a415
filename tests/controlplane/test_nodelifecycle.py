"""Node lifecycle with real workers: a node whose kubelet falls silent, and comes back.

Timings are the control plane's shortened ones (``CONTROL_PLANE_ENV``): a node is unreachable
6 s after its last renewal (checked every second) and pods tolerate that for 4 s. The pods
are bound to the node at creation, so no scheduler is involved.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.controlplane.cluster import ControlPlane, NodeKeeper, eventually
from tests.e2e.cluster import Api

pytestmark = pytest.mark.e2e

UNREACHABLE = "node.kubernetes.io/unreachable"


def _pod(name: str, node: str, tolerations: list[dict[str, Any]] | None = None) -> Any:
    spec: dict[str, Any] = {
        "nodeName": node,
        "containers": [{"name": "c", "image": "pilothouse/busybox:test"}],
    }
    if tolerations is not None:
        spec["tolerations"] = tolerations
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec}


def _node(api: Api, name: str) -> Any:
    return api.get(f"/api/v1/nodes/{name}").body


def _ready(node: Any) -> dict[str, Any]:
    return next(c for c in node["status"]["conditions"] if c["type"] == "Ready")


def _taint_keys(node: Any) -> list[str]:
    return [t["key"] for t in node["spec"].get("taints") or []]


def _pod_named(api: Api, namespace: str, name: str) -> Any:
    return api.get(f"/api/v1/namespaces/{namespace}/pods/{name}").body


def _events(api: Api, namespace: str, reason: str) -> list[Any]:
    items = api.get(f"/api/v1/namespaces/{namespace}/events").body["items"]
    return [e for e in items if e["reason"] == reason]


def test_a_silent_node_is_tainted_loses_its_pods_and_recovers_when_it_comes_back(
    control_plane: ControlPlane, namespace: str, nodes: NodeKeeper
) -> None:
    api = control_plane.api
    lost = nodes.add()
    pods = f"/api/v1/namespaces/{namespace}/pods"
    api.create(pods, _pod("web", lost))
    forever = [{"key": UNREACHABLE, "operator": "Exists", "effect": "NoExecute"}]
    api.create(pods, _pod("loyal", lost, forever))

    nodes.stop_renewing(lost)

    def unreachable() -> Any:
        node = _node(api, lost)
        return node if UNREACHABLE in _taint_keys(node) else None

    node = eventually(unreachable, timeout=15)
    ready = _ready(node)
    assert (ready["status"], ready["reason"], ready["message"]) == (
        "Unknown",
        "NodeStatusUnknown",
        "Kubelet stopped posting node status.",
    )
    [not_ready] = [
        e for e in _events(api, "default", "NodeNotReady") if e["involvedObject"]["name"] == lost
    ]
    assert not_ready["message"] == f"Node {lost} status is now: NodeNotReady"

    evicted = eventually(
        lambda: _pod_named(api, namespace, "web")["metadata"].get("deletionTimestamp"), timeout=10
    )
    assert evicted
    web = _pod_named(api, namespace, "web")
    assert "DisruptionTarget" in [c["type"] for c in web["status"]["conditions"]]
    [eviction] = _events(api, namespace, "TaintManagerEviction")
    assert eviction["message"] == f"Marking for deletion Pod {namespace}/web"
    assert not _pod_named(api, namespace, "loyal")["metadata"].get("deletionTimestamp")

    nodes.resume(lost)

    def untainted() -> Any:
        node = _node(api, lost)
        return node if not _taint_keys(node) else None

    back = eventually(untainted, timeout=10)
    assert _ready(back)["status"] == "True"
