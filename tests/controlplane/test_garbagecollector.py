"""Cascading deletion with real workers: ``kubectl delete rc --cascade=...`` and its pods.

The controller has ``replicas: 0`` and the test creates its "pods" itself, with
``ownerReferences`` to it (not as its controller, and with labels it does not select), so
only the garbage collector acts on them, whatever the replication controller does. The pods
have a zero grace period, so they go at once even if a node from another test got them bound.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.controlplane.cluster import ControlPlane, eventually
from tests.e2e.cluster import Api

pytestmark = pytest.mark.e2e

HOLD = "example.com/hold"


def _rc(name: str) -> dict[str, Any]:
    labels = {"app": name}
    return {
        "apiVersion": "v1",
        "kind": "ReplicationController",
        "metadata": {"name": name},
        "spec": {
            "replicas": 0,
            "selector": labels,
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "c", "image": "pilothouse/busybox:test"}]},
            },
        },
    }


def _pod(name: str, owner: dict[str, Any] | None, *, finalizers: tuple[str, ...] = ()) -> Any:
    meta: dict[str, Any] = {"name": name, "labels": {"app": "made-by-the-test"}}
    if owner is not None:
        meta["ownerReferences"] = [
            {
                "apiVersion": "v1",
                "kind": "ReplicationController",
                "name": owner["metadata"]["name"],
                "uid": owner["metadata"]["uid"],
                "blockOwnerDeletion": True,
            }
        ]
    if finalizers:
        meta["finalizers"] = list(finalizers)
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": meta,
        "spec": {
            "terminationGracePeriodSeconds": 0,
            "containers": [{"name": "c", "image": "pilothouse/busybox:test"}],
        },
    }


def _owner_with_pods(api: Api, namespace: str, *, held: bool = False) -> dict[str, Any]:
    """RC ``web`` with pods ``web-a`` and ``web-b`` (``web-b`` held by a finalizer if asked),
    and ``loner``, which nothing owns."""
    owner = api.create(f"/api/v1/namespaces/{namespace}/replicationcontrollers", _rc("web"))
    pods = f"/api/v1/namespaces/{namespace}/pods"
    api.create(pods, _pod("web-a", owner))
    api.create(pods, _pod("web-b", owner, finalizers=(HOLD,) if held else ()))
    api.create(pods, _pod("loner", None))
    return owner


def _pods(api: Api, namespace: str) -> dict[str, dict[str, Any]]:
    items = api.get(f"/api/v1/namespaces/{namespace}/pods").body["items"]
    return {p["metadata"]["name"]: p for p in items}


def _rc_status(api: Api, namespace: str) -> int:
    return api.get(f"/api/v1/namespaces/{namespace}/replicationcontrollers/web").status


def test_cascade_background_deletes_the_pods_after_the_controller(
    control_plane: ControlPlane, namespace: str
) -> None:
    api = control_plane.api
    _owner_with_pods(api, namespace)

    out = control_plane.kubectl(namespace).ok("delete", "rc", "web", "--cascade=background")

    assert out == f'replicationcontroller "web" deleted from {namespace} namespace\n'
    eventually(lambda: sorted(_pods(api, namespace)) == ["loner"])
    assert f"garbage-collector: deleting Pod {namespace}/web-a" in control_plane.logs()


def test_cascade_foreground_deletes_the_pods_before_the_controller(
    control_plane: ControlPlane, namespace: str
) -> None:
    api = control_plane.api
    _owner_with_pods(api, namespace, held=True)

    kubectl = control_plane.kubectl(namespace)
    kubectl.ok("delete", "rc", "web", "--cascade=foreground", "--wait=false")

    def pods_deleted_controller_waiting() -> bool:
        pods = _pods(api, namespace)
        held = pods.get("web-b", {}).get("metadata", {})
        return sorted(pods) == ["loner", "web-b"] and bool(held.get("deletionTimestamp"))

    eventually(pods_deleted_controller_waiting)
    waiting = api.get(f"/api/v1/namespaces/{namespace}/replicationcontrollers/web").body
    assert waiting["metadata"]["finalizers"] == ["foregroundDeletion"]

    release = {"metadata": {"finalizers": None}}
    api.request(
        "PATCH",
        f"/api/v1/namespaces/{namespace}/pods/web-b",
        release,
        content_type="application/merge-patch+json",
    )
    eventually(lambda: _rc_status(api, namespace) == 404)
    assert sorted(_pods(api, namespace)) == ["loner"]


def test_cascade_foreground_returns_once_the_controller_is_gone(
    control_plane: ControlPlane, namespace: str
) -> None:
    api = control_plane.api
    _owner_with_pods(api, namespace)

    # kubectl waits (--wait defaults to true) until the controller is gone.
    control_plane.kubectl(namespace).ok("delete", "rc", "web", "--cascade=foreground")

    assert (_rc_status(api, namespace), sorted(_pods(api, namespace))) == (404, ["loner"])


def test_cascade_orphan_keeps_the_pods_without_their_owner_reference(
    control_plane: ControlPlane, namespace: str
) -> None:
    api = control_plane.api
    _owner_with_pods(api, namespace)

    control_plane.kubectl(namespace).ok("delete", "rc", "web", "--cascade=orphan")

    pods = _pods(api, namespace)
    assert _rc_status(api, namespace) == 404
    assert sorted(pods) == ["loner", "web-a", "web-b"]
    assert [pods[n]["metadata"].get("ownerReferences") for n in ("web-a", "web-b")] == [None, None]
