"""``kubectl create -f``, ``apply -f`` step by step, ``replace``, and both dry-run modes.

kubectl runs with its defaults (client validation on), as a person runs it. After each step
the stored object is read back with ``get -o json``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.e2e import manifests
from tests.e2e.cluster import Api, Kubectl

pytestmark = pytest.mark.e2e

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def test_create_from_a_file_creates_every_document(
    kubectl: Kubectl, tmp_path: Path, namespace: str
) -> None:
    path = manifests.write(tmp_path, "web.yaml", manifests.pod("web"), manifests.service("web"))

    assert kubectl("create", "-f", path) == (0, "pod/web created\nservice/web created\n", "")

    pod = kubectl.json("pod", "web")
    assert pod["metadata"]["namespace"] == namespace
    assert pod["spec"]["containers"][0]["image"] == "nginx:1.25"
    assert LAST_APPLIED not in (pod["metadata"].get("annotations") or {})
    assert kubectl.json("service", "web")["spec"]["selector"] == {"app": "web"}


def test_create_from_stdin(kubectl: Kubectl) -> None:
    manifest = json.dumps(manifests.replication_controller("front"))

    assert kubectl("create", "-f", "-", input=manifest) == (
        0,
        "replicationcontroller/front created\n",
        "",
    )
    assert kubectl.json("rc", "front")["spec"]["replicas"] == 2


def _apply(kubectl: Kubectl, tmp_path: Path, manifest: dict[str, Any]) -> tuple[int, str, str]:
    return kubectl("apply", "-f", manifests.write(tmp_path, "rc.yaml", manifest))


def test_apply_creates_then_reports_unchanged_then_configures(
    kubectl: Kubectl, tmp_path: Path, namespace: str
) -> None:
    manifest = manifests.replication_controller("front")
    manifest["metadata"]["labels"]["tier"] = "web"
    manifest["spec"]["minReadySeconds"] = 5

    assert _apply(kubectl, tmp_path, manifest) == (
        0,
        "replicationcontroller/front created\n",
        "",
    )
    created = kubectl.json("rc", "front")
    assert json.loads(created["metadata"]["annotations"][LAST_APPLIED]) == {
        **manifest,
        "metadata": {**manifest["metadata"], "annotations": {}, "namespace": namespace},
    }
    assert created["metadata"]["generation"] == 1

    assert _apply(kubectl, tmp_path, manifest) == (
        0,
        "replicationcontroller/front unchanged\n",
        "",
    )
    assert (
        kubectl.json("rc", "front")["metadata"]["resourceVersion"]
        == (created["metadata"]["resourceVersion"])
    )

    manifest["spec"]["replicas"] = 3
    manifest["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.26"
    assert _apply(kubectl, tmp_path, manifest) == (
        0,
        "replicationcontroller/front configured\n",
        "",
    )
    modified = kubectl.json("rc", "front")
    assert modified["spec"]["replicas"] == 3
    assert modified["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.26"
    assert modified["metadata"]["generation"] == 2


def test_apply_removes_fields_dropped_from_the_manifest(kubectl: Kubectl, tmp_path: Path) -> None:
    manifest = manifests.replication_controller("front")
    manifest["metadata"]["labels"]["tier"] = "web"
    manifest["spec"]["minReadySeconds"] = 5
    _apply(kubectl, tmp_path, manifest)

    del manifest["metadata"]["labels"]["tier"]
    del manifest["spec"]["minReadySeconds"]
    assert _apply(kubectl, tmp_path, manifest) == (
        0,
        "replicationcontroller/front configured\n",
        "",
    )

    stored = kubectl.json("rc", "front")
    assert stored["metadata"]["labels"] == {"app": "front"}
    assert "minReadySeconds" not in stored["spec"]
    assert stored["metadata"]["generation"] == 2


def test_apply_keeps_fields_that_someone_else_set(kubectl: Kubectl, tmp_path: Path) -> None:
    manifest = manifests.replication_controller("front")
    _apply(kubectl, tmp_path, manifest)
    kubectl.ok("label", "rc", "front", "owner=ops")

    manifest["spec"]["replicas"] = 4
    _apply(kubectl, tmp_path, manifest)

    stored = kubectl.json("rc", "front")
    assert stored["metadata"]["labels"] == {"app": "front", "owner": "ops"}
    assert stored["spec"]["replicas"] == 4


def _container(kubectl: Kubectl) -> dict[str, Any]:
    container: dict[str, Any] = kubectl.json("rc", "front")["spec"]["template"]["spec"][
        "containers"
    ][0]
    return container


def test_apply_adds_and_removes_a_container_env_var(kubectl: Kubectl, tmp_path: Path) -> None:
    manifest = manifests.replication_controller("front")
    container = manifest["spec"]["template"]["spec"]["containers"][0]
    container["env"] = [{"name": "KEEP", "value": "1"}]
    _apply(kubectl, tmp_path, manifest)

    container["env"].append({"name": "MODE", "value": "fast"})
    assert _apply(kubectl, tmp_path, manifest)[:2] == (
        0,
        "replicationcontroller/front configured\n",
    )
    assert _container(kubectl)["env"] == [
        {"name": "KEEP", "value": "1"},
        {"name": "MODE", "value": "fast"},
    ]

    container["env"] = [{"name": "MODE", "value": "fast"}]
    assert _apply(kubectl, tmp_path, manifest)[:2] == (
        0,
        "replicationcontroller/front configured\n",
    )
    assert _container(kubectl)["env"] == [{"name": "MODE", "value": "fast"}]

    del container["env"]
    assert _apply(kubectl, tmp_path, manifest)[:2] == (
        0,
        "replicationcontroller/front configured\n",
    )
    assert "env" not in _container(kubectl)


def test_apply_changes_the_image_of_a_pod(kubectl: Kubectl, tmp_path: Path) -> None:
    manifest = manifests.pod("web")
    path = manifests.write(tmp_path, "pod.yaml", manifest)
    assert kubectl("apply", "-f", path) == (0, "pod/web created\n", "")

    manifest["spec"]["containers"][0]["image"] = "nginx:1.26"
    path = manifests.write(tmp_path, "pod.yaml", manifest)
    assert kubectl("apply", "-f", path) == (0, "pod/web configured\n", "")

    assert kubectl.json("pod", "web")["spec"]["containers"][0]["image"] == "nginx:1.26"


def test_replace_swaps_the_whole_object(
    kubectl: Kubectl, api: Api, namespace: str, tmp_path: Path
) -> None:
    api.create(
        f"/api/v1/namespaces/{namespace}/replicationcontrollers",
        manifests.replication_controller("front"),
    )
    manifest = manifests.replication_controller("front", replicas=5)
    manifest["metadata"]["labels"] = {"app": "front", "replaced": "yes"}

    path = manifests.write(tmp_path, "rc.yaml", manifest)
    assert kubectl("replace", "-f", path) == (0, "replicationcontroller/front replaced\n", "")

    stored = kubectl.json("rc", "front")
    assert stored["spec"]["replicas"] == 5
    assert stored["metadata"]["labels"] == {"app": "front", "replaced": "yes"}


def test_replace_of_a_missing_object_is_not_found(kubectl: Kubectl, tmp_path: Path) -> None:
    path = manifests.write(tmp_path, "rc.yaml", manifests.replication_controller("ghost"))

    assert kubectl("replace", "-f", path) == (
        1,
        "",
        f'Error from server (NotFound): error when replacing "{path}": '
        'replicationcontrollers "ghost" not found\n',
    )


def test_server_dry_run_validates_but_stores_nothing(kubectl: Kubectl, tmp_path: Path) -> None:
    path = manifests.write(tmp_path, "pod.yaml", manifests.pod("web"))

    assert kubectl("create", "-f", path, "--dry-run=server") == (
        0,
        "pod/web created (server dry run)\n",
        "",
    )
    assert kubectl("apply", "-f", path, "--dry-run=server") == (
        0,
        "pod/web created (server dry run)\n",
        "",
    )
    assert kubectl("get", "pod", "web") == (
        1,
        "",
        'Error from server (NotFound): pods "web" not found\n',
    )


def test_server_dry_run_reports_invalid_objects(kubectl: Kubectl, tmp_path: Path) -> None:
    manifest = manifests.pod("web")
    del manifest["spec"]["containers"][0]["image"]
    path = manifests.write(tmp_path, "pod.yaml", manifest)

    assert kubectl("create", "-f", path, "--dry-run=server") == (
        1,
        "",
        'The Pod "web" is invalid: spec.containers[0].image: Required value\n',
    )


def test_server_dry_run_of_changes_and_deletes_leaves_the_object(
    kubectl: Kubectl, api: Api, namespace: str
) -> None:
    created = api.create(f"/api/v1/namespaces/{namespace}/pods", manifests.pod("web"))

    assert kubectl("label", "pod", "web", "dry=run", "--dry-run=server") == (
        0,
        "pod/web labeled (server dry run)\n",
        "",
    )
    assert kubectl("delete", "pod", "web", "--dry-run=server") == (
        0,
        f'pod "web" deleted from {namespace} namespace (server dry run)\n',
        "",
    )

    stored = kubectl.json("pod", "web")
    assert stored["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]
    assert stored["metadata"]["labels"] == {"app": "web"}


def test_client_dry_run_prints_without_calling_the_server_to_write(
    kubectl: Kubectl, tmp_path: Path
) -> None:
    path = manifests.write(tmp_path, "pod.yaml", manifests.pod("web"))

    assert kubectl("create", "-f", path, "--dry-run=client") == (
        0,
        "pod/web created (dry run)\n",
        "",
    )
    printed = json.loads(kubectl.ok("apply", "-f", path, "--dry-run=client", "-o", "json"))

    assert printed["metadata"]["name"] == "web"
    assert "uid" not in printed["metadata"]
    assert kubectl("get", "pod", "web") == (
        1,
        "",
        'Error from server (NotFound): pods "web" not found\n',
    )
