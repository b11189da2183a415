"""Subresources over REST: an RC's ``scale`` (autoscaling/v1 Scale), ``status``, pod binding."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e import manifests
from tests.e2e.cluster import Api

pytestmark = pytest.mark.e2e


@pytest.fixture
def rc_path(api: Api, namespace: str) -> str:
    collection = f"/api/v1/namespaces/{namespace}/replicationcontrollers"
    api.create(collection, manifests.replication_controller("front"))
    return f"{collection}/front"


@pytest.mark.parametrize(
    ("content_type", "patch"),
    [
        ("application/merge-patch+json", {"spec": {"replicas": 4}}),
        ("application/strategic-merge-patch+json", {"spec": {"replicas": 4}}),
        ("application/json-patch+json", [{"op": "replace", "path": "/spec/replicas", "value": 4}]),
    ],
    ids=["merge", "strategic", "json"],
)
def test_scale_can_be_patched_with_each_patch_type(
    api: Api, rc_path: str, content_type: str, patch: Any
) -> None:
    response = api.request("PATCH", f"{rc_path}/scale", patch, content_type=content_type)

    assert response.status == 200, response.text
    assert (response.body["kind"], response.body["spec"]) == ("Scale", {"replicas": 4})
    assert api.get(rc_path).body["spec"]["replicas"] == 4


def test_scale_can_be_replaced(api: Api, rc_path: str) -> None:
    scale = api.get(f"{rc_path}/scale").body
    scale["spec"]["replicas"] = 7

    response = api.request("PUT", f"{rc_path}/scale", scale)

    assert response.status == 200, response.text
    assert response.body["spec"] == {"replicas": 7}
    rc = api.get(rc_path).body
    assert (rc["spec"]["replicas"], rc["metadata"]["generation"]) == (7, 2)


def test_status_writes_change_only_the_status(api: Api, rc_path: str) -> None:
    rc = api.get(rc_path).body
    rc["status"] = {"replicas": 2, "readyReplicas": 1, "observedGeneration": 1}
    rc["spec"]["replicas"] = 9

    response = api.request("PUT", f"{rc_path}/status", rc)

    assert response.status == 200, response.text
    stored = api.get(rc_path).body
    assert stored["status"]["readyReplicas"] == 1
    assert stored["spec"]["replicas"] == 2


def test_the_main_resource_ignores_status_changes(api: Api, rc_path: str) -> None:
    response = api.request(
        "PATCH",
        rc_path,
        {"status": {"readyReplicas": 5}, "spec": {"replicas": 3}},
        content_type="application/merge-patch+json",
    )

    assert response.status == 200, response.text
    stored = api.get(rc_path).body
    assert stored["spec"]["replicas"] == 3
    assert stored["status"].get("readyReplicas") is None


def test_binding_a_pod_assigns_its_node(api: Api, namespace: str) -> None:
    pods = f"/api/v1/namespaces/{namespace}/pods"
    api.create(pods, manifests.pod("web"))
    binding = {
        "apiVersion": "v1",
        "kind": "Binding",
        "metadata": {"name": "web"},
        "target": {"apiVersion": "v1", "kind": "Node", "name": "worker-1"},
    }

    response = api.request("POST", f"{pods}/web/binding", binding)

    assert (response.status, response.body) == (
        201,
        {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201},
    )
    assert api.get(f"{pods}/web").body["spec"]["nodeName"] == "worker-1"
    again = api.request("POST", f"{pods}/web/binding", binding)
    assert again.status == 409
    assert again.body["reason"] == "Conflict"
