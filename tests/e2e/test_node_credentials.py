"""Node credentials against the running server: a node touches its own Node, Lease and pods,
and is refused (403 Status) everyone else's, with nothing written.

Tokens come from ``manage.py createtoken --node`` as an operator issues them, and kubectl
with a node's kubeconfig shows the refusal as kube-apiserver's would be shown.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.e2e.cluster import Api, Cluster, Kubectl, sibling
from tests.serving import manage, server_env

LEASES = "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases"
MERGE = "application/merge-patch+json"


def _node_kubeconfig(cluster: Cluster, node: str, path: Path) -> Path:
    env = server_env(cluster.server.data_dir, database_url=cluster.database_url)
    manage(
        env,
        "createtoken",
        "--node",
        node,
        "--server",
        cluster.server.url,
        "--kubeconfig",
        str(path),
    )
    return path


def _token(kubeconfig: Path) -> str:
    token: str = yaml.safe_load(kubeconfig.read_text())["users"][0]["user"]["token"]
    return token


@pytest.fixture
def nodes(namespace: str) -> tuple[str, str]:
    return sibling(namespace, "a"), sibling(namespace, "b")


@pytest.fixture
def node_a(cluster: Cluster, nodes: tuple[str, str], tmp_path: Path) -> Api:
    kubeconfig = _node_kubeconfig(cluster, nodes[0], tmp_path / "node-a.kubeconfig")
    return replace(cluster.api, token=_token(kubeconfig))


def _node(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name}}


def _lease(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {"name": name, "namespace": "kube-node-lease"},
        "spec": {"holderIdentity": name},
    }


def _pod(name: str, node: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {"nodeName": node, "containers": [{"name": "main", "image": "busybox"}]},
    }


def _forbidden(response: Any) -> dict[str, Any]:
    assert response.status == 403, response.text
    body: dict[str, Any] = response.body
    assert (body["kind"], body["reason"], body["code"]) == ("Status", "Forbidden", 403)
    return body


def test_a_node_registers_and_reports_its_own_node_but_not_another(
    api: Api, node_a: Api, nodes: tuple[str, str]
) -> None:
    a, b = nodes
    api.create("/api/v1/nodes", _node(b))

    assert node_a.request("POST", "/api/v1/nodes", _node(a)).status == 201
    status = {"status": {"conditions": [{"type": "Ready", "status": "True"}]}}
    assert (
        node_a.request("PATCH", f"/api/v1/nodes/{a}/status", status, content_type=MERGE).status
        == 200
    )

    refused = _forbidden(
        node_a.request("PATCH", f"/api/v1/nodes/{b}/status", status, content_type=MERGE)
    )
    assert refused["message"] == (
        f'nodes "{b}" is forbidden: User "system:node:{a}" cannot patch resource "nodes/status" '
        f'in API group "" at the cluster scope: node "{a}" is not allowed to modify node "{b}"'
    )
    _forbidden(node_a.request("POST", "/api/v1/nodes", _node(sibling(b, "c"))))
    _forbidden(node_a.request("DELETE", f"/api/v1/nodes/{a}"))
    assert "conditions" not in api.get(f"/api/v1/nodes/{b}").body.get("status", {})


def test_a_node_holds_its_own_lease_but_not_another(
    api: Api, node_a: Api, nodes: tuple[str, str]
) -> None:
    a, b = nodes
    api.create(LEASES, _lease(b))

    assert node_a.request("POST", LEASES, _lease(a)).status == 201
    assert node_a.get(f"{LEASES}/{a}").status == 200

    _forbidden(node_a.request("POST", LEASES, _lease(sibling(b, "c"))))
    _forbidden(node_a.get(f"{LEASES}/{b}"))
    renew = {"spec": {"holderIdentity": a}}
    _forbidden(node_a.request("PATCH", f"{LEASES}/{b}", renew, content_type=MERGE))
    assert api.get(f"{LEASES}/{b}").body["spec"]["holderIdentity"] == b


def test_a_node_runs_its_own_pods_but_cannot_touch_another_nodes(
    api: Api, node_a: Api, nodes: tuple[str, str], namespace: str
) -> None:
    a, b = nodes
    pods = f"/api/v1/namespaces/{namespace}/pods"
    api.create(pods, _pod("mine", a))
    api.create(pods, _pod("theirs", b))

    assert node_a.get(f"{pods}?fieldSelector=spec.nodeName={a}").status == 200
    running = {"status": {"phase": "Running"}}
    assert node_a.request("PATCH", f"{pods}/mine/status", running, content_type=MERGE).status == 200

    refused = _forbidden(
        node_a.request("PATCH", f"{pods}/theirs/status", running, content_type=MERGE)
    )
    assert refused["message"].endswith(
        f'node "{a}" can only update pod status for pods with spec.nodeName set to itself'
    )
    _forbidden(node_a.request("DELETE", f"{pods}/theirs"))
    _forbidden(node_a.get(f"{pods}/mine/log"))
    _forbidden(node_a.request("POST", pods, _pod("new", a)))
    _forbidden(
        node_a.request(
            "PATCH", f"{pods}/mine", {"metadata": {"labels": {"x": "y"}}}, content_type=MERGE
        )
    )
    theirs = api.get(f"{pods}/theirs").body
    assert theirs.get("status", {}).get("phase") != "Running"
    assert "deletionTimestamp" not in theirs["metadata"]

    assert node_a.request("DELETE", f"{pods}/mine").status == 200


def test_kubectl_with_a_node_kubeconfig_shows_the_refusal(
    cluster: Cluster, nodes: tuple[str, str], namespace: str, tmp_path: Path
) -> None:
    a, _ = nodes
    kubeconfig = _node_kubeconfig(cluster, a, tmp_path / "node.kubeconfig")
    node = Kubectl(kubeconfig, cluster.home)

    rc, _, err = node("create", "namespace", sibling(namespace, "x"))

    assert rc == 1
    assert err == (
        f'Error from server (Forbidden): namespaces is forbidden: User "system:node:{a}" cannot '
        'create resource "namespaces" in API group "" at the cluster scope\n'
    )
    assert node("get", "pods", "-n", namespace).rc == 0
