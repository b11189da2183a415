"""``kubectl delete``: by name, by label, the cascade policies, grace periods.

No garbage collector runs yet, so for ``--cascade=foreground|orphan`` on a replication
controller the test checks what the server must do itself: keep the object, marked with a
deletionTimestamp and the policy's finalizer, for the collector to finish.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e import manifests
from tests.e2e.cluster import Api, Kubectl, sibling

pytestmark = pytest.mark.e2e


def _rc(api: Api, namespace: str, name: str) -> None:
    api.create(
        f"/api/v1/namespaces/{namespace}/replicationcontrollers",
        manifests.replication_controller(name),
    )


def _gone(kubectl: Kubectl, kind: str, name: str, plural: str) -> bool:
    return kubectl("get", kind, name) == (
        1,
        "",
        f'Error from server (NotFound): {plural} "{name}" not found\n',
    )


def test_delete_by_name(kubectl: Kubectl, api: Api, namespace: str) -> None:
    api.create(f"/api/v1/namespaces/{namespace}/pods", manifests.pod("web"))

    assert kubectl("delete", "pod", "web") == (
        0,
        f'pod "web" deleted from {namespace} namespace\n',
        "",
    )
    assert _gone(kubectl, "pod", "web", "pods")


def test_delete_by_label_selector(kubectl: Kubectl, api: Api, namespace: str) -> None:
    for name, tier in (("a", "front"), ("b", "back"), ("c", "front")):
        api.create(
            f"/api/v1/namespaces/{namespace}/pods", manifests.pod(name, labels={"tier": tier})
        )

    assert kubectl("delete", "pods", "-l", "tier=front") == (
        0,
        f'pod "a" deleted from {namespace} namespace\npod "c" deleted from {namespace} namespace\n',
        "",
    )
    assert kubectl.ok("get", "pods", "-o", "name") == "pod/b\n"


def test_delete_of_nothing_matching_says_so(kubectl: Kubectl) -> None:
    assert kubectl("delete", "pods", "-l", "tier=none") == (0, "No resources found\n", "")


def test_delete_several_kinds_from_a_file(kubectl: Kubectl, namespace: str, tmp_path: Path) -> None:
    path = manifests.write(tmp_path, "all.yaml", manifests.pod("web"), manifests.service("web"))
    kubectl.ok("create", "-f", path)

    assert kubectl("delete", "-f", path) == (
        0,
        f'pod "web" deleted from {namespace} namespace\n'
        f'service "web" deleted from {namespace} namespace\n',
        "",
    )
    assert kubectl.ok("get", "pods,services", "-o", "name") == ""


def test_delete_cascade_background_removes_the_rc_at_once(
    kubectl: Kubectl, api: Api, namespace: str
) -> None:
    _rc(api, namespace, "front")

    assert kubectl("delete", "rc", "front", "--cascade=background") == (
        0,
        f'replicationcontroller "front" deleted from {namespace} namespace\n',
        "",
    )
    assert _gone(kubectl, "rc", "front", "replicationcontrollers")


def test_delete_cascade_foreground_leaves_the_rc_for_the_collector(
    kubectl: Kubectl, api: Api, namespace: str
) -> None:
    _rc(api, namespace, "front")

    assert kubectl("delete", "rc", "front", "--cascade=foreground", "--wait=false") == (
        0,
        f'replicationcontroller "front" deleted from {namespace} namespace\n',
        "",
    )

    meta = kubectl.json("rc", "front")["metadata"]
    assert meta["finalizers"] == ["foregroundDeletion"]
    assert meta["deletionTimestamp"]
    assert meta["deletionGracePeriodSeconds"] == 0


def test_delete_cascade_orphan_leaves_the_rc_for_the_collector(
    kubectl: Kubectl, api: Api, namespace: str
) -> None:
    _rc(api, namespace, "front")

    assert kubectl("delete", "rc", "front", "--cascade=orphan", "--wait=false") == (
        0,
        f'replicationcontroller "front" deleted from {namespace} namespace\n',
        "",
    )

    meta = kubectl.json("rc", "front")["metadata"]
    assert meta["finalizers"] == ["orphan"]
    assert meta["deletionTimestamp"]
    assert meta["deletionGracePeriodSeconds"] == 0


def test_an_rc_marked_for_deletion_goes_when_its_finalizer_is_removed(
    kubectl: Kubectl, api: Api, namespace: str
) -> None:
    _rc(api, namespace, "front")
    kubectl.ok("delete", "rc", "front", "--cascade=orphan", "--wait=false")

    # What the garbage collector will do once it has orphaned the pods.
    kubectl.ok(
        "patch",
        "rc",
        "front",
        "--type=json",
        "-p",
        '[{"op":"remove","path":"/metadata/finalizers"}]',
    )

    assert _gone(kubectl, "rc", "front", "replicationcontrollers")


def test_delete_an_unbound_pod_with_a_grace_period_removes_it_at_once(
    kubectl: Kubectl, api: Api, namespace: str
) -> None:
    api.create(f"/api/v1/namespaces/{namespace}/pods", manifests.pod("web"))

    assert kubectl("delete", "pod", "web", "--grace-period=30") == (
        0,
        f'pod "web" deleted from {namespace} namespace\n',
        "",
    )
    assert _gone(kubectl, "pod", "web", "pods")


def test_delete_a_bound_pod_waits_for_its_node_for_the_grace_period(
    kubectl: Kubectl, api: Api, namespace: str
) -> None:
    api.create(f"/api/v1/namespaces/{namespace}/pods", manifests.pod("web", node_name="worker-1"))

    assert kubectl("delete", "pod", "web", "--grace-period=45", "--wait=false") == (
        0,
        f'pod "web" deleted from {namespace} namespace\n',
        "",
    )

    meta = kubectl.json("pod", "web")["metadata"]
    assert meta["deletionGracePeriodSeconds"] == 45
    assert meta["deletionTimestamp"]
    out = kubectl.ok("get", "pod", "web", "-o", "jsonpath={.metadata.name} {.status.phase}")
    assert out == "web Pending"
    assert "Terminating" in kubectl.ok("get", "pod", "web")


def test_force_delete_removes_a_bound_pod_at_once(
    kubectl: Kubectl, api: Api, namespace: str
) -> None:
    api.create(f"/api/v1/namespaces/{namespace}/pods", manifests.pod("web", node_name="worker-1"))

    assert kubectl("delete", "pod", "web", "--grace-period=0", "--force") == (
        0,
        f'pod "web" force deleted from {namespace} namespace\n',
        "Warning: Immediate deletion does not wait for confirmation that the running resource "
        "has been terminated. The resource may continue to run on the cluster indefinitely.\n",
    )
    assert _gone(kubectl, "pod", "web", "pods")


def test_delete_of_a_missing_object_is_not_found(kubectl: Kubectl) -> None:
    assert kubectl("delete", "pod", "ghost") == (
        1,
        "",
        'Error from server (NotFound): pods "ghost" not found\n',
    )


def test_delete_ignore_not_found_succeeds_quietly(kubectl: Kubectl) -> None:
    assert kubectl("delete", "pod", "ghost", "--ignore-not-found") == (0, "", "")


def test_delete_namespace_marks_it_terminating(admin: Kubectl, api: Api, namespace: str) -> None:
    doomed = sibling(namespace, "doomed")
    api.create("/api/v1/namespaces", manifests.namespace(doomed))

    assert admin("delete", "namespace", doomed, "--wait=false") == (
        0,
        f'namespace "{doomed}" deleted\n',
        "",
    )

    # The namespace controller (not yet running) empties it and removes it; until then it
    # stays, Terminating, and refuses new content.
    got = admin.json("namespace", doomed)
    assert got["status"]["phase"] == "Terminating"
    assert got["metadata"]["deletionTimestamp"]
    refused = api.request("POST", f"/api/v1/namespaces/{doomed}/pods", manifests.pod("late"))
    assert refused.status == 403
    assert refused.body["message"] == (
        f'pods "late" is forbidden: unable to create new content in namespace {doomed} '
        "because it is being terminated"
    )
