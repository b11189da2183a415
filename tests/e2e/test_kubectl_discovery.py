"""kubectl's first contact: version, discovery, the namespaces every cluster starts with."""

from __future__ import annotations

import json

import pytest

from tests.e2e.cluster import AGE, Kubectl, sibling, table

pytestmark = pytest.mark.e2e


def test_version_shows_the_client_and_the_server(kubectl: Kubectl) -> None:
    assert kubectl.ok("version") == (
        "Client Version: v1.37.1\nKustomize Version: v5.8.1\nServer Version: v1.37.0-pilothouse\n"
    )


def test_version_as_json_carries_the_server_build(kubectl: Kubectl) -> None:
    server = json.loads(kubectl.ok("version", "-o", "json"))["serverVersion"]

    assert {k: server[k] for k in ("major", "minor", "gitVersion", "gitTreeState")} == {
        "major": "1",
        "minor": "37",
        "gitVersion": "v1.37.0-pilothouse",
        "gitTreeState": "clean",
    }
    assert server["platform"].startswith("linux/")


API_RESOURCES = [
    ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"],
    ["endpoints", "ep", "v1", "true", "Endpoints"],
    ["events", "ev", "v1", "true", "Event"],
    ["namespaces", "ns", "v1", "false", "Namespace"],
    ["nodes", "no", "v1", "false", "Node"],
    ["pods", "po", "v1", "true", "Pod"],
    ["replicationcontrollers", "rc", "v1", "true", "ReplicationController"],
    ["services", "svc", "v1", "true", "Service"],
    ["leases", "", "coordination.k8s.io/v1", "true", "Lease"],
    ["endpointslices", "", "discovery.k8s.io/v1", "true", "EndpointSlice"],
]


def test_api_resources_lists_names_short_names_scope_and_kinds(kubectl: Kubectl) -> None:
    out = kubectl.ok("api-resources")

    assert out == table(out, API_RESOURCES)


def test_api_resources_wide_shows_verbs_and_the_all_category(kubectl: Kubectl) -> None:
    out = kubectl.ok("api-resources", "-o", "wide")

    verbs = "create,delete,deletecollection,get,list,patch,update,watch"
    # kube serves no deletecollection on namespaces (kubectl deletes them one by one).
    namespace_verbs = "create,delete,get,list,patch,update,watch"
    in_all = {"pods", "replicationcontrollers", "services"}
    rows = [[*API_RESOURCES[0], "VERBS", "CATEGORIES"]] + [
        [
            *row,
            namespace_verbs if row[0] == "namespaces" else verbs,
            "all" if row[0] in in_all else "",
        ]
        for row in API_RESOURCES[1:]
    ]
    assert out == table(out, rows)


def test_api_resources_filters_by_scope_and_group(kubectl: Kubectl) -> None:
    assert kubectl.ok("api-resources", "--namespaced=false", "-o", "name") == "namespaces\nnodes\n"
    assert (
        kubectl.ok("api-resources", "--api-group=coordination.k8s.io", "-o", "name")
        == "leases.coordination.k8s.io\n"
    )


def test_short_names_resolve_to_their_resources(kubectl: Kubectl, namespace: str) -> None:
    for short in ("po", "svc", "rc", "ep", "ev"):
        rc, out, err = kubectl("get", short)
        assert (rc, out, err) == (0, "", f"No resources found in {namespace} namespace.\n")


def test_the_system_namespaces_exist_from_the_first_start(admin: Kubectl) -> None:
    names = admin.ok("get", "namespaces", "-o", "name").split()

    for system in ("default", "kube-node-lease", "kube-public", "kube-system"):
        assert f"namespace/{system}" in names


def test_create_namespace_makes_an_active_namespace(admin: Kubectl, namespace: str) -> None:
    name = sibling(namespace, "made")

    assert admin("create", "namespace", name) == (0, f"namespace/{name} created\n", "")

    out = admin.ok("get", "namespace", name)
    assert out == table(out, [["NAME", "STATUS", "AGE"], [name, "Active", AGE]])
    created = admin.json("namespace", name)
    assert created["metadata"]["labels"] == {"kubernetes.io/metadata.name": name}
    assert created["spec"] == {"finalizers": ["kubernetes"]}
    assert created["status"] == {"phase": "Active"}


def test_create_namespace_refuses_a_name_that_is_taken(admin: Kubectl, namespace: str) -> None:
    assert admin("create", "namespace", namespace) == (
        1,
        "",
        f'Error from server (AlreadyExists): namespaces "{namespace}" already exists\n',
    )
