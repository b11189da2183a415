"""``kubectl logs`` against the running server where no agent is involved: a pod on no node
has no output yet, a node without a log server is a 503, an unknown pod is a 404. Node
credentials may not read logs (tests/e2e/test_node_credentials.py).
The logs themselves are tested with a real agent in tests/nodeagent/test_pods_logs.py.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from tests.e2e.cluster import Api, Kubectl, sibling


def _pod(name: str, node: str | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"containers": [{"name": "app", "image": "busybox"}]}
    if node is not None:
        spec["nodeName"] = node
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec}


def test_a_pod_on_no_node_has_no_output_yet(api: Api, kubectl: Kubectl, namespace: str) -> None:
    api.create(f"/api/v1/namespaces/{namespace}/pods", _pod("pending"))

    assert kubectl("logs", "pending") == (0, "", "")


def test_a_node_whose_agent_serves_no_logs_is_a_503(
    api: Api, kubectl: Kubectl, namespace: str
) -> None:
    node = sibling(namespace, "n")
    api.create("/api/v1/nodes", {"apiVersion": "v1", "kind": "Node", "metadata": {"name": node}})
    pod = api.create(f"/api/v1/namespaces/{namespace}/pods", _pod("bound", node))
    status = {
        "status": {
            "containerStatuses": [
                {
                    "name": "app",
                    "state": {"running": {}},
                    "containerID": "docker://abc",
                    "ready": True,
                    "restartCount": 0,
                    "image": "busybox",
                    "imageID": "",
                }
            ]
        }
    }
    patched = api.request(
        "PATCH",
        f"/api/v1/namespaces/{namespace}/pods/bound/status",
        status,
        content_type="application/merge-patch+json",
    )
    assert patched.status == 200, patched.text
    assert pod["spec"]["nodeName"] == node

    answer = api.get(f"/api/v1/namespaces/{namespace}/pods/bound/log")

    assert (answer.status, answer.body["reason"]) == (503, "ServiceUnavailable")
    assert answer.body["message"] == f'the node agent of node "{node}" serves no logs'


def test_logs_need_credentials_and_an_existing_pod(api: Api, namespace: str) -> None:
    api.create(f"/api/v1/namespaces/{namespace}/pods", _pod("p"))
    path = f"/api/v1/namespaces/{namespace}/pods/p/log"

    anonymous = replace(api, token="not-a-token").get(path)
    unknown = api.get(f"/api/v1/namespaces/{namespace}/pods/missing/log")

    assert anonymous.status == 401
    assert (unknown.status, unknown.body["message"]) == (404, 'pods "missing" not found')
