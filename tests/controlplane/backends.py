"""A Service and the pods behind it, for the endpoints and EndpointSlice tests.

There is no node agent in these tests, so they play it: pods are created bound to a kept node
and their IP and readiness are written through ``pods/status``, as a kubelet reports them.
"""

from __future__ import annotations

from typing import Any

from tests.controlplane.manifests import IMAGE
from tests.e2e.cluster import Api


def service_manifest(name: str) -> dict[str, Any]:
    """A Service selecting ``app=<name>`` on port 80, to the pods' port named http."""
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name},
        "spec": {
            "selector": {"app": name},
            "ports": [{"name": "http", "port": 80, "targetPort": "http"}],
        },
    }


def backend_pod(name: str, app: str, node: str) -> dict[str, Any]:
    """A pod labelled ``app=<app>`` on ``node``, serving the port named http (8080)."""
    container = {
        "name": "c",
        "image": IMAGE,
        "ports": [{"name": "http", "containerPort": 8080}],
    }
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"app": app}},
        "spec": {"nodeName": node, "terminationGracePeriodSeconds": 0, "containers": [container]},
    }


def report_pod(api: Api, namespace: str, name: str, *, ip: str, ready: bool) -> None:
    """Write the pod's IP and readiness through ``pods/status``, as its kubelet would."""
    path = f"/api/v1/namespaces/{namespace}/pods/{name}"
    pod = api.get(path).body
    pod["status"].update(phase="Running", podIP=ip, podIPs=[{"ip": ip}])
    pod["status"]["conditions"] = [
        {"type": "PodScheduled", "status": "True"},
        {"type": "Ready", "status": "True" if ready else "False"},
    ]
    response = api.request("PUT", f"{path}/status", pod)
    assert response.status == 200, response.text
