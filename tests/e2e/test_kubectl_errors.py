"""Bad manifests and failed requests, each with the error kubectl prints against kube.

kubectl turns a 422 into ``The <Kind> "<name>" is invalid: ...`` from the Status's
``details.causes`` (one line per cause when there are several), and every other Status into
``Error from server (<reason>): <message>``; so these tests pin both the reason and the
wording of the server's messages.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e import manifests
from tests.e2e.cluster import Api, Kubectl

pytestmark = pytest.mark.e2e

DNS1123_SUBDOMAIN = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' "
    "or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex "
    r"used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)


def test_a_pod_without_an_image_is_invalid(kubectl: Kubectl, tmp_path: Path) -> None:
    manifest = manifests.pod("x")
    del manifest["spec"]["containers"][0]["image"]
    path = manifests.write(tmp_path, "pod.yaml", manifest)

    expected = (1, "", 'The Pod "x" is invalid: spec.containers[0].image: Required value\n')
    assert kubectl("create", "-f", path) == expected
    assert kubectl("apply", "-f", path) == expected
    assert kubectl("get", "pods", "-o", "name").out == ""


def test_several_problems_are_listed_one_per_line(kubectl: Kubectl, tmp_path: Path) -> None:
    manifest = manifests.pod("x")
    containers = manifest["spec"]["containers"]
    containers.append({"name": "sidecar", "image": ""})
    del containers[0]["image"]

    assert kubectl("create", "-f", manifests.write(tmp_path, "pod.yaml", manifest)) == (
        1,
        "",
        'The Pod "x" is invalid: \n'
        "* spec.containers[0].image: Required value\n"
        "* spec.containers[1].image: Required value\n",
    )


def test_a_bad_name_is_invalid(kubectl: Kubectl, tmp_path: Path) -> None:
    path = manifests.write(tmp_path, "pod.yaml", manifests.pod("Bad_Name"))

    assert kubectl("create", "-f", path) == (
        1,
        "",
        'The Pod "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": '
        f"{DNS1123_SUBDOMAIN}\n",
    )


def test_an_rc_whose_selector_misses_its_template_is_invalid(
    kubectl: Kubectl, tmp_path: Path
) -> None:
    manifest = manifests.replication_controller("front")
    manifest["spec"]["template"]["metadata"]["labels"] = {"app": "other"}

    assert kubectl("create", "-f", manifests.write(tmp_path, "rc.yaml", manifest)) == (
        1,
        "",
        'The ReplicationController "front" is invalid: spec.template.metadata.labels: '
        'Invalid value: {"app":"other"}: `selector` does not match template '
        "`labels`\n",
    )


def _with_unknown_fields(tmp_path: Path) -> str:
    manifest = manifests.pod("x")
    manifest["spec"]["bogus"] = 1
    manifest["spec"]["containers"][0]["imagee"] = "typo"
    return manifests.write(tmp_path, "pod.yaml", manifest)


def test_unknown_fields_are_a_strict_decoding_error(kubectl: Kubectl, tmp_path: Path) -> None:
    path = _with_unknown_fields(tmp_path)

    assert kubectl("create", "-f", path) == (
        1,
        "",
        f'Error from server (BadRequest): error when creating "{path}": Pod in version "v1" '
        'cannot be handled as a Pod: strict decoding error: unknown field "spec.bogus", '
        'unknown field "spec.containers[0].imagee"\n',
    )
    assert kubectl("get", "pod", "x").rc == 1


def test_unknown_fields_only_warn_with_validate_warn(kubectl: Kubectl, tmp_path: Path) -> None:
    path = _with_unknown_fields(tmp_path)

    assert kubectl("create", "-f", path, "--validate=warn") == (
        0,
        "pod/x created\n",
        'Warning: unknown field "spec.bogus"\nWarning: unknown field "spec.containers[0].imagee"\n',
    )
    stored = kubectl.json("pod", "x")
    assert "bogus" not in stored["spec"]
    assert "imagee" not in stored["spec"]["containers"][0]


def test_unknown_fields_are_dropped_silently_without_validation(
    kubectl: Kubectl, tmp_path: Path
) -> None:
    path = _with_unknown_fields(tmp_path)

    assert kubectl("create", "-f", path, "--validate=false") == (0, "pod/x created\n", "")

    stored = kubectl.json("pod", "x")
    assert "bogus" not in stored["spec"]
    assert "imagee" not in stored["spec"]["containers"][0]


def test_an_unknown_kind_is_not_mapped(kubectl: Kubectl, tmp_path: Path) -> None:
    manifest = manifests.pod("x")
    manifest["kind"] = "Pdo"
    path = manifests.write(tmp_path, "pod.yaml", manifest)

    assert kubectl("create", "-f", path) == (
        1,
        "",
        f'error: resource mapping not found for name: "x" namespace: "" from "{path}": '
        'no matches for kind "Pdo" in version "v1"\nensure CRDs are installed first\n',
    )


def test_an_unknown_api_version_is_not_mapped(kubectl: Kubectl, tmp_path: Path) -> None:
    manifest = manifests.pod("x")
    manifest["apiVersion"] = "v2"
    path = manifests.write(tmp_path, "pod.yaml", manifest)

    assert kubectl("apply", "-f", path) == (
        1,
        "",
        f'error: resource mapping not found for name: "x" namespace: "" from "{path}": '
        'no matches for kind "Pod" in version "v2"\nensure CRDs are installed first\n',
    )


def test_an_unknown_resource_type_is_reported(kubectl: Kubectl) -> None:
    assert kubectl("get", "widgets") == (
        1,
        "",
        'error: the server doesn\'t have a resource type "widgets"\n',
    )


def test_creating_an_existing_object_is_already_exists(
    kubectl: Kubectl, api: Api, namespace: str, tmp_path: Path
) -> None:
    api.create(f"/api/v1/namespaces/{namespace}/pods", manifests.pod("web"))
    path = manifests.write(tmp_path, "pod.yaml", manifests.pod("web"))

    assert kubectl("create", "-f", path) == (
        1,
        "",
        f'Error from server (AlreadyExists): error when creating "{path}": '
        'pods "web" already exists\n',
    )


def test_a_stale_replace_is_a_conflict(
    kubectl: Kubectl, api: Api, namespace: str, tmp_path: Path
) -> None:
    api.create(f"/api/v1/namespaces/{namespace}/pods", manifests.pod("web"))
    stale = manifests.write(tmp_path, "stale.yaml", kubectl.json("pod", "web"))
    kubectl.ok("label", "pod", "web", "moved=on")

    assert kubectl("replace", "-f", stale) == (
        1,
        "",
        f'Error from server (Conflict): error when replacing "{stale}": Operation cannot be '
        'fulfilled on pods "web": the object has been modified; please apply your changes to '
        "the latest version and try again\n",
    )
    assert kubectl.json("pod", "web")["metadata"]["labels"] == {"app": "web", "moved": "on"}


def test_reading_a_missing_object_is_not_found(kubectl: Kubectl, admin: Kubectl) -> None:
    assert kubectl("get", "pod", "ghost") == (
        1,
        "",
        'Error from server (NotFound): pods "ghost" not found\n',
    )
    assert kubectl("get", "rc", "ghost") == (
        1,
        "",
        'Error from server (NotFound): replicationcontrollers "ghost" not found\n',
    )
    assert kubectl("get", "lease", "ghost") == (
        1,
        "",
        'Error from server (NotFound): leases.coordination.k8s.io "ghost" not found\n',
    )
    assert admin("get", "node", "ghost") == (
        1,
        "",
        'Error from server (NotFound): nodes "ghost" not found\n',
    )


def test_creating_in_a_missing_namespace_is_not_found(kubectl: Kubectl, tmp_path: Path) -> None:
    path = manifests.write(tmp_path, "pod.yaml", manifests.pod("web"))

    assert kubectl("create", "-f", path, "-n", "ghost-ns") == (
        1,
        "",
        f'Error from server (NotFound): error when creating "{path}": '
        'namespaces "ghost-ns" not found\n',
    )


def test_changing_a_service_cluster_ip_is_invalid(
    kubectl: Kubectl, api: Api, namespace: str
) -> None:
    svc = api.create(f"/api/v1/namespaces/{namespace}/services", manifests.service("front"))
    other = "10.96.0.99" if svc["spec"]["clusterIP"] != "10.96.0.99" else "10.96.0.98"
    patch = {"spec": {"clusterIP": other, "clusterIPs": [other]}}

    rc, out, err = kubectl("patch", "service", "front", "-p", json.dumps(patch))

    assert (rc, out) == (1, "")
    assert err == (
        f'The Service "front" is invalid: spec.clusterIPs[0]: Invalid value: ["{other}"]: '
        "may not change once set\n"
    )


def test_a_namespaced_manifest_in_another_namespace_than_asked_is_refused(
    kubectl: Kubectl, namespace: str, tmp_path: Path
) -> None:
    manifest = manifests.pod("web")
    manifest["metadata"]["namespace"] = "elsewhere"
    path = manifests.write(tmp_path, "pod.yaml", manifest)

    assert kubectl("create", "-f", path, "-n", namespace) == (
        1,
        "",
        'error: the namespace from the provided object "elsewhere" does not match the '
        f"namespace \"{namespace}\". You must pass '--namespace=elsewhere' to perform this "
        "operation.\n",
    )
