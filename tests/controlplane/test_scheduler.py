"""The scheduler with real workers: pods created through the API and kubectl get their nodes.

The session's control plane runs the scheduler on two Celery workers behind the dispatcher;
the nodes are API objects a ``NodeKeeper`` keeps Ready. Pods never run (there is no node
agent yet): binding them is all the scheduler does.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.controlplane.cluster import ControlPlane, NodeKeeper, eventually
from tests.e2e.cluster import Api

pytestmark = pytest.mark.e2e

IMAGE = "pilothouse/busybox:test"


def pod_manifest(name: str, *, cpu: str = "100m", **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {
            "terminationGracePeriodSeconds": 0,
            "containers": [{"name": "c", "image": IMAGE, "resources": {"requests": {"cpu": cpu}}}],
            **spec,
        },
    }


def get_pod(api: Api, namespace: str, name: str) -> dict[str, Any]:
    response = api.get(f"/api/v1/namespaces/{namespace}/pods/{name}")
    assert response.status == 200, response.body
    body: dict[str, Any] = response.body
    return body


def scheduled_condition(pod: dict[str, Any]) -> dict[str, Any]:
    for condition in pod.get("status", {}).get("conditions") or []:
        if condition["type"] == "PodScheduled":
            return {k: v for k, v in condition.items() if not k.startswith("last")}
    return {}


def event_messages(api: Api, namespace: str, reason: str) -> list[str]:
    items = api.get(f"/api/v1/namespaces/{namespace}/events").body["items"]
    return [e["message"] for e in items if e["reason"] == reason]


def bound_to(api: Api, namespace: str, name: str) -> str:
    node = get_pod(api, namespace, name)["spec"].get("nodeName")
    assert node, f"pod {name} is not bound yet"
    return str(node)


def test_a_pod_that_fits_nowhere_is_told_why_and_placed_once_a_node_fits(
    control_plane: ControlPlane, namespace: str, nodes: NodeKeeper
) -> None:
    api = control_plane.api
    nodes.add(cpu="2")
    nodes.add(cpu="2")
    nodes.add(cpu="8", unschedulable=True)
    assert len(api.get("/api/v1/nodes").body["items"]) == 3, "another test's node is about"
    api.create(f"/api/v1/namespaces/{namespace}/pods", pod_manifest("big", cpu="3"))
    message = "0/3 nodes are available: 1 node(s) were unschedulable, 2 Insufficient cpu."

    def told() -> bool:
        assert scheduled_condition(get_pod(api, namespace, "big")) == {
            "type": "PodScheduled",
            "status": "False",
            "reason": "Unschedulable",
            "message": message,
        }
        assert event_messages(api, namespace, "FailedScheduling") == [message]
        return True

    eventually(told, timeout=15)
    roomy = nodes.add(cpu="4")

    assert eventually(lambda: bound_to(api, namespace, "big"), timeout=15) == roomy
    assert scheduled_condition(get_pod(api, namespace, "big")) == {
        "type": "PodScheduled",
        "status": "True",
    }
    assert eventually(lambda: event_messages(api, namespace, "Scheduled"), timeout=10) == [
        f"Successfully assigned {namespace}/big to {roomy}"
    ]


def test_a_pod_with_a_node_selector_lands_on_the_matching_node(
    control_plane: ControlPlane, namespace: str, nodes: NodeKeeper
) -> None:
    api = control_plane.api
    nodes.add()
    ssd = nodes.add(labels={"disk": "ssd"})
    nodes.add()

    api.create(
        f"/api/v1/namespaces/{namespace}/pods", pod_manifest("db", nodeSelector={"disk": "ssd"})
    )

    assert eventually(lambda: bound_to(api, namespace, "db"), timeout=15) == ssd


def test_an_rcs_pods_avoid_the_cordoned_node_and_spread_over_the_others(
    control_plane: ControlPlane, namespace: str, nodes: NodeKeeper
) -> None:
    api, kubectl = control_plane.api, control_plane.kubectl(namespace)
    cordoned = nodes.add(cpu="64", memory="256Gi", unschedulable=True)
    open_nodes = {nodes.add(), nodes.add()}
    labels = {"app": "web"}
    rc = {
        "apiVersion": "v1",
        "kind": "ReplicationController",
        "metadata": {"name": "web"},
        "spec": {
            "replicas": 4,
            "selector": labels,
            "template": {"metadata": {"labels": labels}, "spec": pod_manifest("")["spec"]},
        },
    }

    kubectl.ok("create", "-f", "-", input=json.dumps(rc))

    def placed() -> list[str]:
        pods = api.get(f"/api/v1/namespaces/{namespace}/pods").body["items"]
        assert len(pods) == 4, f"{len(pods)} pods so far"
        where = [p["spec"].get("nodeName") for p in pods]
        assert all(where), f"not all bound yet: {where}"
        return [str(node) for node in where]

    where = eventually(placed, timeout=20)
    assert cordoned not in where
    assert set(where) == open_nodes
    wide = kubectl.ok("get", "pods", "-o", "wide")
    assert all(node in wide for node in open_nodes)
