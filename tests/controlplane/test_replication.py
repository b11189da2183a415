"""The ReplicationController manager with real workers, driven through the API and kubectl.

The session's control plane runs two Celery workers (two processes each) and the dispatcher;
the tests create RCs and pods, change them the way a user would, and wait for the cluster to
converge. No node is added, so the pods stay unscheduled unless another test's node is about;
the template's zero grace period makes a deleted pod go at once either way.
"""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest

from tests.controlplane.cluster import ControlPlane, eventually
from tests.controlplane.manifests import rc_manifest
from tests.e2e.cluster import Api

pytestmark = pytest.mark.e2e

MERGE_PATCH = "application/merge-patch+json"


def active_pods(api: Api, namespace: str) -> list[dict[str, Any]]:
    items = api.get(f"/api/v1/namespaces/{namespace}/pods").body["items"]
    return [p for p in items if not p["metadata"].get("deletionTimestamp")]


def controlled_by(pod: dict[str, Any], owner: dict[str, Any]) -> bool:
    refs = pod["metadata"].get("ownerReferences") or []
    return any(r.get("controller") and r["uid"] == owner["metadata"]["uid"] for r in refs)


def rc_status(api: Api, namespace: str, name: str = "web") -> dict[str, Any]:
    path = f"/api/v1/namespaces/{namespace}/replicationcontrollers/{name}"
    status: dict[str, Any] = api.get(path).body["status"]
    return status


def event_messages(api: Api, namespace: str, reason: str) -> list[str]:
    items = api.get(f"/api/v1/namespaces/{namespace}/events").body["items"]
    return [e["message"] for e in items if e["reason"] == reason]


def converged(api: Api, namespace: str, owner: dict[str, Any], replicas: int) -> bool:
    """The RC controls exactly ``replicas`` active pods and its status says so."""
    owned = [p for p in active_pods(api, namespace) if controlled_by(p, owner)]
    assert len(owned) == replicas, f"{len(owned)} pods, want {replicas}"
    assert rc_status(api, namespace).get("replicas") == replicas
    return True


def test_an_rc_scales_up_and_down_with_kubectl_scale(
    control_plane: ControlPlane, namespace: str
) -> None:
    api, kubectl = control_plane.api, control_plane.kubectl(namespace)
    kubectl.ok("create", "-f", "-", input=json.dumps(rc_manifest("web", 3, grace_seconds=0)))
    owner = kubectl.json("rc", "web")

    eventually(lambda: converged(api, namespace, owner, 3), timeout=15)
    kubectl.ok("scale", "rc", "web", "--replicas=5")
    eventually(lambda: converged(api, namespace, owner, 5), timeout=15)
    kubectl.ok("scale", "rc", "web", "--replicas=1")
    eventually(lambda: converged(api, namespace, owner, 1), timeout=15)

    assert len(event_messages(api, namespace, "SuccessfulCreate")) == 5
    assert len(event_messages(api, namespace, "SuccessfulDelete")) == 4
    (pod,) = active_pods(api, namespace)
    assert pod["metadata"]["name"].startswith("web-")
    assert f"Created pod: {pod['metadata']['name']}" in event_messages(
        api, namespace, "SuccessfulCreate"
    )


def test_two_workers_and_a_burst_of_events_never_over_create(
    control_plane: ControlPlane, namespace: str
) -> None:
    assert len(control_plane.workers) >= 2
    api = control_plane.api
    path = f"/api/v1/namespaces/{namespace}/replicationcontrollers"
    owner = api.create(path, rc_manifest("web", 0, grace_seconds=0))
    most_seen = 0
    done = threading.Event()

    def watch_the_count() -> None:
        nonlocal most_seen
        for _ in range(400):  # bounded; about a reconcile's worth of polls each
            most_seen = max(most_seen, len(active_pods(api, namespace)))
            if done.wait(0.05):
                return

    watcher = threading.Thread(target=watch_the_count, daemon=True)
    watcher.start()
    try:
        # Each write is a message for the same key: replicas only ever grow, to 20, with
        # annotation-only changes in between, as fast as the API takes them.
        for step in range(40):
            body: dict[str, Any] = {"metadata": {"annotations": {"step": str(step)}}}
            if step % 2 == 0:
                body["spec"] = {"replicas": step // 2 + 1}
            response = api.request("PATCH", f"{path}/web", body, content_type=MERGE_PATCH)
            assert response.status == 200, response.text
        eventually(lambda: converged(api, namespace, owner, 20), timeout=20)
    finally:
        done.set()
        watcher.join(30)

    assert most_seen <= 20
    # Every pod ever created left one event; none was deleted to make up for an extra one.
    assert len(event_messages(api, namespace, "SuccessfulCreate")) == 20
    assert event_messages(api, namespace, "SuccessfulDelete") == []


def test_an_rc_adopts_a_matching_orphan_and_releases_a_relabelled_pod(
    control_plane: ControlPlane, namespace: str
) -> None:
    api, kubectl = control_plane.api, control_plane.kubectl(namespace)
    orphan = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "stray", "labels": {"app": "web"}},
        "spec": rc_manifest("web", 0, grace_seconds=0)["spec"]["template"]["spec"],
    }
    api.create(f"/api/v1/namespaces/{namespace}/pods", orphan)
    owner = api.create(
        f"/api/v1/namespaces/{namespace}/replicationcontrollers",
        rc_manifest("web", 2, grace_seconds=0),
    )

    eventually(lambda: converged(api, namespace, owner, 2), timeout=15)
    stray = kubectl.json("pod", "stray")
    assert controlled_by(stray, owner)
    assert len(event_messages(api, namespace, "SuccessfulCreate")) == 1

    kubectl.ok("label", "pod", "stray", "app=debugging", "--overwrite")

    def released() -> bool:
        assert "ownerReferences" not in kubectl.json("pod", "stray")["metadata"]
        return converged(api, namespace, owner, 2)

    eventually(released, timeout=15)
    assert len(event_messages(api, namespace, "SuccessfulCreate")) == 2
