"""The OpenAPI documents: kube-apiserver's shape, served as kube-openapi serves them, read by the
real kubectl for ``explain``, validation and ``apply``, and shown to people at ``/api/docs/``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from drf_spectacular.validation import validate_schema

from cluster.api.openapi.documents import REF_PREFIX, documents
from cluster.api.openapi.generator import generate
from cluster.api.openapi.operations import all_paths
from cluster.api.patching import SCHEMAS
from cluster.api.schema.kinds import serializer_for
from cluster.api.schema.naming import TYPES
from cluster.api.tokens import issue_token
from cluster.registry.catalog import RESOURCES
from cluster.registry.resources import Resource
from tests.kubectl import kubectl
from tests.serving import Server, current_database_url, running_api, server_env

GROUP_VERSIONS = {
    "api",
    "api/v1",
    "apis",
    "apis/coordination.k8s.io",
    "apis/coordination.k8s.io/v1",
    "apis/discovery.k8s.io",
    "apis/discovery.k8s.io/v1",
    "version",
}
METHODS = ("get", "put", "post", "delete", "patch")


@pytest.fixture
def token(db: None) -> str:
    return issue_token(User.objects.create_user("reader"), name="test")


def _get(client: Client, url: str, token: str, **headers: str) -> Any:
    return client.get(url, headers={"Authorization": f"Bearer {token}", **headers})


def _document(group_version: str) -> dict[str, Any]:
    encoded = documents().get(group_version)
    assert encoded is not None
    loaded: dict[str, Any] = json.loads(encoded.body)
    return loaded


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def _document_of(resource: Resource) -> dict[str, Any]:
    if resource.group:
        return _document(f"apis/{resource.group}/{resource.version}")
    return _document(f"api/{resource.version}")


def _property(document: dict[str, Any], component: str, field: str) -> dict[str, Any]:
    prop: dict[str, Any] = document["components"]["schemas"][component]["properties"][field]
    return prop


# -- serving --


def test_the_documents_need_credentials(client: Client, db: None) -> None:
    for url in ("/openapi/v3", "/openapi/v3/api/v1", "/api/docs/", "/api/docs/openapi.json"):
        response = client.get(url)
        assert response.status_code == 401, url
        assert response.json()["reason"] == "Unauthorized"


def test_the_index_names_each_group_version_document_by_the_hash_of_its_bytes(
    client: Client, token: str
) -> None:
    response = _get(client, "/openapi/v3", token)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    paths = response.json()["paths"]
    assert set(paths) == GROUP_VERSIONS
    for key, entry in paths.items():
        url = entry["serverRelativeURL"]
        path, _, query = url.partition("?")
        assert path == f"/openapi/v3/{key}"
        document = _get(client, url, token)
        assert document.status_code == 200
        assert query == "hash=" + hashlib.sha512(document.content).hexdigest().upper()
        assert document["Cache-Control"] == "public, immutable"
        assert document["ETag"] == f'"{query.removeprefix("hash=")}"'


def test_an_old_hash_is_redirected_to_the_current_document(client: Client, token: str) -> None:
    current = documents().get("api/v1")
    assert current is not None

    response = _get(client, "/openapi/v3/api/v1?hash=0123", token)

    assert response.status_code == 301
    assert response["Location"] == f"/openapi/v3/api/v1?hash={current.hash}"


def test_a_document_the_client_has_is_not_sent_again(client: Client, token: str) -> None:
    current = documents().get("apis/coordination.k8s.io/v1")
    assert current is not None
    url = "/openapi/v3/apis/coordination.k8s.io/v1"

    unhashed = _get(client, url, token)
    again = _get(client, url, token, **{"If-None-Match": f'"{current.hash}"'})

    assert unhashed.status_code == 200
    assert "Cache-Control" not in unhashed
    assert (again.status_code, again.content) == (304, b"")


def test_an_unknown_group_version_is_a_404_status(client: Client, token: str) -> None:
    response = _get(client, "/openapi/v3/apis/apps/v1", token)

    assert response.status_code == 404
    assert response.json()["reason"] == "NotFound"


# -- kube's shape --


def test_drf_spectacular_maps_every_serializer_and_operation_without_a_warning(
    capsys: pytest.CaptureFixture[str],
) -> None:
    document = generate(all_paths(RESOURCES))

    assert capsys.readouterr().err == ""
    assert "/api/v1/namespaces/{namespace}/pods/{name}" in document["paths"]


def test_kinds_carry_their_group_version_kind_as_kube_publishes_them() -> None:
    core = _document("api/v1")["components"]["schemas"]
    leases = _document("apis/coordination.k8s.io/v1")["components"]["schemas"]

    assert core["io.k8s.api.core.v1.Pod"]["x-kubernetes-group-version-kind"] == [
        {"group": "", "kind": "Pod", "version": "v1"}
    ]
    assert core["io.k8s.api.core.v1.PodList"]["x-kubernetes-group-version-kind"] == [
        {"group": "", "kind": "PodList", "version": "v1"}
    ]
    assert core["io.k8s.api.autoscaling.v1.Scale"]["x-kubernetes-group-version-kind"] == [
        {"group": "autoscaling", "kind": "Scale", "version": "v1"}
    ]
    assert leases["io.k8s.api.coordination.v1.Lease"]["x-kubernetes-group-version-kind"] == [
        {"group": "coordination.k8s.io", "kind": "Lease", "version": "v1"}
    ]
    assert "x-kubernetes-group-version-kind" not in core["io.k8s.api.core.v1.PodSpec"]


def test_pod_operations_have_kubes_operation_ids_actions_and_kinds() -> None:
    document = _document("api/v1")
    found = {
        op["operationId"]: (method, path, op["x-kubernetes-action"])
        for path, method, op in _operations(document)
        if op.get("x-kubernetes-group-version-kind", {}).get("kind") in ("Pod", "Binding")
    }
    pods, pod = "/api/v1/namespaces/{namespace}/pods", "/api/v1/namespaces/{namespace}/pods/{name}"

    assert found == {
        "listCoreV1NamespacedPod": ("get", pods, "list"),
        "createCoreV1NamespacedPod": ("post", pods, "post"),
        "deleteCoreV1CollectionNamespacedPod": ("delete", pods, "deletecollection"),
        "readCoreV1NamespacedPod": ("get", pod, "get"),
        "replaceCoreV1NamespacedPod": ("put", pod, "put"),
        "patchCoreV1NamespacedPod": ("patch", pod, "patch"),
        "deleteCoreV1NamespacedPod": ("delete", pod, "delete"),
        "readCoreV1NamespacedPodStatus": ("get", pod + "/status", "get"),
        "replaceCoreV1NamespacedPodStatus": ("put", pod + "/status", "put"),
        "patchCoreV1NamespacedPodStatus": ("patch", pod + "/status", "patch"),
        "createCoreV1NamespacedPodBinding": ("post", pod + "/binding", "post"),
        "listCoreV1PodForAllNamespaces": ("get", "/api/v1/pods", "list"),
    }


def test_cluster_scoped_and_grouped_operations_are_named_as_kube_names_them() -> None:
    core = {op["operationId"] for _, _, op in _operations(_document("api/v1"))}
    leases = {
        op["operationId"] for _, _, op in _operations(_document("apis/coordination.k8s.io/v1"))
    }

    assert {"listCoreV1Node", "patchCoreV1NodeStatus", "readCoreV1Namespace"} <= core
    assert {"patchCoreV1NamespacedReplicationControllerScale"} <= core
    assert "listCoreV1NodeForAllNamespaces" not in core
    assert {
        "createCoordinationV1NamespacedLease",
        "patchCoordinationV1NamespacedLease",
        "listCoordinationV1LeaseForAllNamespaces",
        "getCoordinationV1APIResources",
    } <= leases


@pytest.mark.parametrize("resource", RESOURCES.all, ids=lambda r: r.kind)
def test_every_patch_operation_takes_field_validation_and_the_patch_formats(
    resource: Resource,
) -> None:
    # kubectl decides that the server validates fields itself by finding fieldValidation
    # among the operation's own parameters on the PATCH operations of the kind.
    document = _document_of(resource)
    patches = [
        op
        for _, method, op in _operations(document)
        if method == "patch" and op["x-kubernetes-group-version-kind"]["kind"] == resource.kind
    ]

    assert patches
    for op in patches:
        names = {p["name"] for p in op["parameters"]}
        assert {"fieldValidation", "dryRun", "fieldManager"} <= names
        assert set(op["requestBody"]["content"]) == {
            "application/json-patch+json",
            "application/merge-patch+json",
            "application/strategic-merge-patch+json",
        }


@pytest.mark.parametrize("resource", RESOURCES.all, ids=lambda r: r.kind)
def test_every_served_resource_has_its_kind_and_verbs(resource: Resource) -> None:
    document = _document_of(resource)
    serializer = serializer_for(resource.kind)
    assert serializer is not None
    component = document["components"]["schemas"][TYPES[serializer].component]
    actions = {
        op["x-kubernetes-action"]
        for _, _, op in _operations(document)
        if op.get("x-kubernetes-group-version-kind", {}).get("kind") == resource.kind
    }

    assert component["x-kubernetes-group-version-kind"] == [
        {"group": resource.group, "kind": resource.kind, "version": resource.version}
    ]
    action_of = {"create": "post", "update": "put"}  # kube's x-kubernetes-action names
    assert actions == {action_of.get(verb, verb) for verb in resource.verbs if verb != "watch"}
    if resource.kind == "Namespace":  # kube's namespace storage has no collection delete
        assert "deletecollection" not in actions


def test_write_operations_take_dry_run_field_manager_and_field_validation() -> None:
    for _, method, op in _operations(_document("api/v1")):
        names = {p["name"] for p in op.get("parameters", [])}
        if method in ("post", "put", "patch"):
            assert {"dryRun", "fieldManager", "fieldValidation"} <= names, op["operationId"]
        if method == "delete":
            assert "dryRun" in names
            assert op["requestBody"]["content"]["application/json"]["schema"] == {
                "$ref": REF_PREFIX + "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions"
            }


def test_path_parameters_are_declared_on_the_path_as_kube_does() -> None:
    item = _document("api/v1")["paths"]["/api/v1/namespaces/{namespace}/pods/{name}"]

    assert [(p["name"], p["in"], p["required"]) for p in item["parameters"]] == [
        ("name", "path", True),
        ("namespace", "path", True),
    ]
    operations = [item[method] for method in METHODS if method in item]
    assert all(p["in"] == "query" for op in operations for p in op.get("parameters", []))


def test_list_fields_carry_kubes_patch_merge_keys_and_strategies() -> None:
    document = _document("api/v1")
    core = "io.k8s.api.core.v1."

    assert _property(document, core + "PodSpec", "containers")["x-kubernetes-patch-merge-key"] == (
        "name"
    )
    assert _property(document, core + "PodSpec", "containers")["x-kubernetes-patch-strategy"] == (
        "merge"
    )
    ports = _property(document, core + "Container", "ports")
    assert (ports["x-kubernetes-patch-merge-key"], ports["x-kubernetes-patch-strategy"]) == (
        "containerPort",
        "merge",
    )
    assert _property(document, core + "Container", "env")["x-kubernetes-patch-merge-key"] == "name"
    volumes = _property(document, core + "PodSpec", "volumes")
    assert volumes["x-kubernetes-patch-strategy"] == "merge,retainKeys"
    assert _property(document, core + "ServiceSpec", "ports")["x-kubernetes-patch-merge-key"] == (
        "port"
    )
    tolerations = _property(document, core + "PodSpec", "tolerations")
    assert "x-kubernetes-patch-strategy" not in tolerations
    finalizers = _property(
        document, "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta", "finalizers"
    )
    assert finalizers["x-kubernetes-patch-strategy"] == "merge"


def test_every_entry_of_the_patch_tables_is_published() -> None:
    # An entry naming a field the schema lacks would silently publish nothing.
    document = kube = _document("api/v1")
    other_groups = {
        "Lease": _document("apis/coordination.k8s.io/v1"),
        "EndpointSlice": _document("apis/discovery.k8s.io/v1"),
    }
    for kind, table in SCHEMAS.items():
        serializer = serializer_for(kind)
        assert serializer is not None
        kube = other_groups.get(kind, document)
        for path, meta in table:
            schema = _resolve_path(kube, TYPES[serializer].component, path)
            assert {k: v for k, v in schema.items() if k.startswith("x-kubernetes-patch")} == (
                meta.openapi_extensions()
            ), f"{kind} {path}"


def _resolve_path(document: dict[str, Any], component: str, path: str) -> dict[str, Any]:
    schemas = document["components"]["schemas"]
    schema: dict[str, Any] = {"$ref": REF_PREFIX + component}
    for step in path.split("."):
        field, is_item = step.removesuffix("[]"), step.endswith("[]")
        schema = _deref(schemas, schema)["properties"][field]
        if is_item:
            schema = schema["items"]
    return schema


def _deref(schemas: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while True:
        if "allOf" in schema:
            schema = schema["allOf"][0]
        elif "$ref" in schema:
            schema = schemas[schema["$ref"].removeprefix(REF_PREFIX)]
        else:
            return schema


def test_int_or_string_and_quantity_are_named_components_as_in_kube() -> None:
    document = _document("api/v1")
    schemas = document["components"]["schemas"]
    target_port = _property(document, "io.k8s.api.core.v1.ServicePort", "targetPort")
    limits = _property(document, "io.k8s.api.core.v1.ResourceRequirements", "limits")

    assert target_port["allOf"] == [
        {"$ref": REF_PREFIX + "io.k8s.apimachinery.pkg.util.intstr.IntOrString"}
    ]
    int_or_string = schemas["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]
    assert int_or_string["x-kubernetes-int-or-string"] is True
    assert int_or_string["format"] == "int-or-string"
    assert limits["additionalProperties"] == {
        "$ref": REF_PREFIX + "io.k8s.apimachinery.pkg.api.resource.Quantity"
    }
    assert "pattern" not in schemas["io.k8s.apimachinery.pkg.api.resource.Quantity"]
    assert _property(document, "io.k8s.api.core.v1.ContainerPort", "containerPort") == {
        "type": "integer",
        "format": "int32",
        "description": "The port the container listens on (1-65535).",
    }


@pytest.mark.parametrize("group_version", sorted(GROUP_VERSIONS))
def test_each_document_is_self_contained_openapi_3(group_version: str) -> None:
    document = _document(group_version)
    schemas = document["components"]["schemas"]
    refs = set()

    def collect(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("$ref"), str):
                refs.add(node["$ref"])
            for value in node.values():
                collect(value)
        elif isinstance(node, list):
            for value in node:
                collect(value)

    collect(document)

    # Against the OpenAPI 3.0 JSON schema that drf-spectacular ships.
    validate_schema(document)  # type: ignore[no-untyped-call]
    assert document["openapi"].startswith("3.0")
    assert refs == {REF_PREFIX + name for name in schemas}
    assert all(op.get("operationId") for _, _, op in _operations(document))
    assert "nullable" not in json.dumps(document)


def test_descriptions_come_from_the_serializers() -> None:
    document = _document("api/v1")
    pod = document["components"]["schemas"]["io.k8s.api.core.v1.Pod"]

    assert pod["description"].startswith("A group of containers that run together")
    assert _property(document, "io.k8s.api.core.v1.Container", "name") == {
        "type": "string",
        "description": "Name of the container, a DNS label unique within the pod. Cannot be "
        "updated.",
    }
    assert "name" in document["components"]["schemas"]["io.k8s.api.core.v1.Container"]["required"]


# -- people --


@pytest.fixture
def staff_client(client: Client, db: None) -> Client:
    client.force_login(User.objects.create_user("ops", is_staff=True))
    return client


def test_the_swagger_ui_works_offline_for_an_admin_session(staff_client: Client) -> None:
    page = staff_client.get("/api/docs/")

    assert page.status_code == 200
    html = page.content.decode()
    assert "/api/docs/openapi.json" in html
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "//cdn" not in html
    bundle = staff_client.get(
        "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js"
    )
    assert bundle.status_code == 200


def test_the_human_docs_show_the_same_schema_as_kubectl_reads(staff_client: Client) -> None:
    full = staff_client.get("/api/docs/openapi.json").json()

    for group_version in GROUP_VERSIONS:
        part = _document(group_version)
        assert set(part["paths"]) <= set(full["paths"])
        for name, schema in part["components"]["schemas"].items():
            assert full["components"]["schemas"][name] == schema


# -- the real kubectl --

POD_MANIFEST = """\
apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: openapi
  labels: {app: web}
spec:
  containers:
  - name: web
    image: nginx:1.27
    ports:
    - containerPort: 80
    env:
    - name: MODE
      value: production
"""
NAMESPACE_MANIFEST = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: openapi\n"


@pytest.fixture
def server(tmp_path: Path, transactional_db: None) -> Iterator[Server]:
    env = server_env(tmp_path / "data", database_url=current_database_url())
    with running_api(env, workers=1) as running:
        yield running


def _kubectl(server: Server, home: Path, *args: str) -> tuple[int, str, str]:
    home.mkdir(exist_ok=True)
    result = kubectl(server.kubeconfig, *args, home=home)
    return result.returncode, result.stdout, result.stderr


def _write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


@pytest.mark.slow
def test_kubectl_explains_creates_and_applies_with_validation_from_our_openapi(
    server: Server, tmp_path: Path
) -> None:
    home = tmp_path / "home"

    code, out, err = _kubectl(server, home, "explain", "pod.spec.containers")
    assert code == 0, err
    assert out.startswith("KIND:       Pod\nVERSION:    v1\n\nFIELD: containers <[]Container>")
    assert "  name\t<string> -required-\n    Name of the container, a DNS label" in out
    assert "  ports\t<[]ContainerPort>\n" in out
    assert "  resources\t<ResourceRequirements>\n" in out

    code, out, err = _kubectl(server, home, "explain", "leases.spec.renewTime")
    assert code == 0, err
    assert out.startswith("GROUP:      coordination.k8s.io\nKIND:       Lease\nVERSION:    v1\n")
    assert "FIELD: renewTime <string>" in out

    namespace = _write(tmp_path, "ns.yaml", NAMESPACE_MANIFEST)
    pod = _write(tmp_path, "pod.yaml", POD_MANIFEST)
    assert _kubectl(server, home, "create", "-f", namespace)[0] == 0

    # -v=6 logs every request: validation is left to the server, which kubectl decided from
    # our v3 document alone, without looking for the v2 one.
    code, out, err = _kubectl(server, home, "create", "-f", pod, "-v=6")
    assert code == 0, err
    assert out == "pod/web created\n"
    assert "/openapi/v3/api/v1?hash=" in err
    assert "fieldValidation=Strict" in err
    assert "/openapi/v2" not in err

    applied = _write(tmp_path, "applied.yaml", POD_MANIFEST.replace("name: web\n", "name: app\n"))
    code, out, err = _kubectl(server, home, "apply", "-f", applied)
    assert (code, out) == (0, "pod/app created\n"), err
    changed = _write(
        tmp_path,
        "changed.yaml",
        POD_MANIFEST.replace("name: web\n", "name: app\n").replace("nginx:1.27", "nginx:1.28"),
    )
    code, out, err = _kubectl(server, home, "apply", "-f", changed, "-v=6")
    assert (code, out) == (0, "pod/app configured\n"), err
    # The strategic merge patch was computed from our patch merge keys, not a fallback.
    assert "error calculating patch" not in err
    assert "/openapi/v2" not in err
    code, out, err = _kubectl(
        server,
        home,
        "get",
        "pod",
        "app",
        "-n",
        "openapi",
        "-o",
        "jsonpath={.spec.containers[0].image}",
    )
    assert (code, out) == (0, "nginx:1.28"), err


@pytest.mark.slow
def test_kubectl_create_refuses_an_unknown_field_with_kubes_strict_decoding_error(
    server: Server, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    namespace = _write(tmp_path, "ns.yaml", NAMESPACE_MANIFEST)
    typo = POD_MANIFEST.replace("    image: nginx:1.27\n", "    image: nginx:1.27\n    tyy: true\n")
    pod = _write(tmp_path, "typo.yaml", typo)
    assert _kubectl(server, home, "create", "-f", namespace)[0] == 0

    code, out, err = _kubectl(server, home, "create", "-f", pod)

    assert (code, out) == (1, "")
    assert err == (
        f'Error from server (BadRequest): error when creating "{pod}": Pod in version "v1" '
        "cannot be handled as a Pod: strict decoding error: "
        'unknown field "spec.containers[0].tyy"\n'
    )
