"""Pod GC with real workers: a pod bound to a node that is deleted goes away.

The quarantine of a missing node is shortened to 2 s (``CONTROL_PLANE_ENV``).
"""

from __future__ import annotations

import pytest

from tests.controlplane.cluster import ControlPlane, NodeKeeper, eventually

pytestmark = pytest.mark.e2e


def test_a_pod_bound_to_a_deleted_node_is_removed(
    control_plane: ControlPlane, namespace: str, nodes: NodeKeeper
) -> None:
    api = control_plane.api
    doomed, kept = nodes.add(), nodes.add()
    pods = f"/api/v1/namespaces/{namespace}/pods"
    for name, node in (("stranded", doomed), ("safe", kept)):
        pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name},
            "spec": {
                "nodeName": node,
                "containers": [{"name": "c", "image": "pilothouse/busybox:test"}],
            },
        }
        api.create(pods, pod)

    nodes.stop_renewing(doomed)
    assert api.request("DELETE", f"/api/v1/nodes/{doomed}").status == 200

    eventually(lambda: api.get(f"{pods}/stranded").status == 404)
    assert api.get(f"{pods}/safe").status == 200
