"""NodeRestriction: what a node's credentials may do, checked before any handler runs.

The rules are unit-tested on targets here; the pod rules read the stored pod, so those tests
store one. The last tests go through the API's dispatcher with real tokens and check the 403
Status a refused request gets and that nothing was written. tests/e2e/test_node_credentials.py
does the same against a running server.
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from django.test import Client

from cluster.api.authorization import authorize, request_verb
from cluster.api.target import Target, resolve
from cluster.api.tokens import ensure_admin_user, ensure_node_user, issue_token
from cluster.registry.bootstrap import ensure_system_namespaces
from cluster.registry.catalog import RESOURCES, default_registry
from cluster.registry.errors import Forbidden

NODE_A = "system:node:a"


def _target(path: str) -> Target:
    if path.startswith("/api/v1/"):
        return resolve(RESOURCES, "", "v1", path.removeprefix("/api/v1/"))
    group, version, rest = path.removeprefix("/apis/").split("/", 2)
    return resolve(RESOURCES, group, version, rest)


def _check(user: str, method: str, path: str, name: str | None = None) -> None:
    target = _target(path)
    authorize(user, target, request_verb(method, target), lambda: name)


def _refusal(user: str, method: str, path: str, name: str | None = None) -> Forbidden:
    with pytest.raises(Forbidden) as refused:
        _check(user, method, path, name)
    return refused.value


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/nodes",
        "/api/v1/nodes/b",
        "/api/v1/pods",
        "/api/v1/namespaces/x/pods/p",
        "/api/v1/services",
        "/api/v1/endpoints",
        "/api/v1/namespaces",
    ],
)
def test_a_node_reads_what_it_needs_to_run_pods(path: str) -> None:
    _check(NODE_A, "GET", path)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/v1/namespaces/x/events"),
        ("PATCH", "/api/v1/namespaces/x/events/e"),
        ("PATCH", "/api/v1/nodes/a"),
        ("PUT", "/api/v1/nodes/a/status"),
        ("PATCH", "/api/v1/nodes/a/status"),
        ("GET", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/a"),
        ("PUT", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/a"),
    ],
)
def test_a_node_writes_its_own_node_lease_and_events(method: str, path: str) -> None:
    _check(NODE_A, method, path)


def test_a_node_creates_its_own_node_and_lease_by_the_name_in_the_body() -> None:
    _check(NODE_A, "POST", "/api/v1/nodes", name="a")
    _check(NODE_A, "POST", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases", "a")


def test_it_refuses_a_node_patching_another_node_in_kubes_words() -> None:
    refused = _refusal(NODE_A, "PATCH", "/api/v1/nodes/b")

    assert refused.code == 403
    assert refused.message == (
        'nodes "b" is forbidden: User "system:node:a" cannot patch resource "nodes" in API '
        'group "" at the cluster scope: node "a" is not allowed to modify node "b"'
    )
    assert refused.details == {"name": "b", "group": "", "kind": "nodes"}


def test_it_refuses_a_node_creating_another_node() -> None:
    refused = _refusal(NODE_A, "POST", "/api/v1/nodes", name="b")

    assert refused.message.startswith('nodes "b" is forbidden: User "system:node:a" cannot create')


def test_it_refuses_a_node_the_status_of_another_node() -> None:
    refused = _refusal(NODE_A, "PUT", "/api/v1/nodes/b/status")

    assert 'cannot update resource "nodes/status"' in refused.message


@pytest.mark.parametrize(
    ("method", "path", "name"),
    [
        ("PUT", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/b", None),
        ("GET", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/b", None),
        ("PUT", "/apis/coordination.k8s.io/v1/namespaces/default/leases/a", None),
        ("POST", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases", "b"),
    ],
)
def test_it_refuses_a_node_any_lease_but_its_own(method: str, path: str, name: str | None) -> None:
    refused = _refusal(NODE_A, method, path, name)

    assert refused.message.endswith(
        ": can only access node lease with the same name as the requesting node"
    )


def test_a_refused_lease_is_named_with_its_group_and_namespace() -> None:
    refused = _refusal(NODE_A, "DELETE", "/apis/coordination.k8s.io/v1/namespaces/x/leases/a")

    assert refused.message == (
        'leases.coordination.k8s.io "a" is forbidden: User "system:node:a" cannot delete '
        'resource "leases" in API group "coordination.k8s.io" in the namespace "x"'
    )


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/v1/namespaces/x/pods"),
        ("PATCH", "/api/v1/namespaces/x/pods/p"),
        ("DELETE", "/api/v1/namespaces/x/pods"),
        ("POST", "/api/v1/namespaces/x/pods/p/binding"),
        ("GET", "/api/v1/namespaces/x/pods/p/log"),
        ("DELETE", "/api/v1/nodes/a"),
        ("POST", "/api/v1/namespaces/x/services"),
        ("PATCH", "/api/v1/namespaces/x/endpoints/e"),
        ("POST", "/api/v1/namespaces"),
        ("GET", "/api/v1/namespaces/x/replicationcontrollers"),
        ("DELETE", "/api/v1/namespaces/x/events/e"),
    ],
)
def test_everything_else_is_refused_to_a_node(method: str, path: str) -> None:
    _refusal(NODE_A, method, path, name="p")


def test_a_refused_list_names_no_object() -> None:
    refused = _refusal(NODE_A, "GET", "/api/v1/namespaces/x/replicationcontrollers")

    assert refused.message == (
        'replicationcontrollers is forbidden: User "system:node:a" cannot list resource '
        '"replicationcontrollers" in API group "" in the namespace "x"'
    )


@pytest.mark.parametrize("user", ["admin", "alice", "system:nodes", "system:nodex"])
def test_other_users_keep_full_access(user: str) -> None:
    _check(user, "PATCH", "/api/v1/nodes/b")
    _check(user, "DELETE", "/api/v1/namespaces/x/pods")


def test_request_verbs_are_kubes() -> None:
    pods, pod = _target("/api/v1/pods"), _target("/api/v1/namespaces/x/pods/p")

    assert request_verb("GET", pods) == "list"
    assert request_verb("GET", pods, watch=True) == "watch"
    assert request_verb("GET", pod) == "get"
    assert request_verb("POST", pods) == "create"
    assert request_verb("PUT", pod) == "update"
    assert request_verb("PATCH", pod) == "patch"
    assert request_verb("DELETE", pod) == "delete"
    assert request_verb("DELETE", pods) == "deletecollection"


# -- pods: bound to the node or not, as stored --


def _store_pod(name: str, node: str | None) -> None:
    ensure_system_namespaces(default_registry())
    pods = RESOURCES.get("", "pods")
    assert pods is not None
    spec: dict[str, Any] = {"containers": [{"name": "main", "image": "busybox"}]}
    if node is not None:
        spec["nodeName"] = node
    default_registry().create(pods, "default", {"metadata": {"name": name}, "spec": spec})


@pytest.mark.django_db
def test_a_node_writes_the_status_of_and_deletes_its_own_pods() -> None:
    _store_pod("mine", "a")

    _check(NODE_A, "PATCH", "/api/v1/namespaces/default/pods/mine/status")
    _check(NODE_A, "PUT", "/api/v1/namespaces/default/pods/mine/status")
    _check(NODE_A, "DELETE", "/api/v1/namespaces/default/pods/mine")


@pytest.mark.django_db
@pytest.mark.parametrize("node", ["b", None])
def test_it_refuses_a_node_the_pods_bound_elsewhere_or_nowhere(node: str | None) -> None:
    _store_pod("theirs", node)

    status = _refusal(NODE_A, "PATCH", "/api/v1/namespaces/default/pods/theirs/status")
    deletion = _refusal(NODE_A, "DELETE", "/api/v1/namespaces/default/pods/theirs")

    assert status.message == (
        'pods "theirs" is forbidden: User "system:node:a" cannot patch resource "pods/status" '
        'in API group "" in the namespace "default": node "a" can only update pod status for '
        "pods with spec.nodeName set to itself"
    )
    assert deletion.message.endswith(
        ': node "a" can only delete pods with spec.nodeName set to itself'
    )


# -- through the dispatcher, with real tokens --


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.django_db
def test_a_node_token_is_refused_another_pods_status_and_nothing_changes(client: Client) -> None:
    _store_pod("theirs", "b")
    token = issue_token(ensure_node_user("a")[0], name="node")
    path = "/api/v1/namespaces/default/pods/theirs/status"

    answer = client.patch(
        path,
        orjson.dumps({"status": {"phase": "Failed"}}),
        content_type="application/merge-patch+json",
        headers=_bearer(token),
    )

    assert answer.status_code == 403
    body = answer.json()
    assert (body["kind"], body["reason"], body["code"]) == ("Status", "Forbidden", 403)
    assert body["details"] == {"name": "theirs", "kind": "pods"}
    pods = RESOURCES.get("", "pods")
    assert pods is not None
    stored = default_registry().get(pods, "default", "theirs")
    assert (stored.get("status") or {}).get("phase") != "Failed"


@pytest.mark.django_db
def test_a_node_token_creates_its_own_node_but_not_another(client: Client) -> None:
    token = issue_token(ensure_node_user("a")[0], name="node")

    def create(name: str) -> int:
        body = orjson.dumps({"apiVersion": "v1", "kind": "Node", "metadata": {"name": name}})
        answer = client.post(
            "/api/v1/nodes",
            body,
            content_type="application/json",
            headers=_bearer(token),
        )
        return answer.status_code

    assert (create("b"), create("a")) == (403, 201)
    nodes = RESOURCES.get("", "nodes")
    assert nodes is not None
    assert [n["metadata"]["name"] for n in default_registry().list(nodes, None).items] == ["a"]


@pytest.mark.django_db
def test_an_admin_token_still_writes_any_pods_status(client: Client) -> None:
    _store_pod("theirs", "b")
    token = issue_token(ensure_admin_user(), name="admin")

    answer = client.patch(
        "/api/v1/namespaces/default/pods/theirs/status",
        orjson.dumps({"status": {"phase": "Running"}}),
        content_type="application/merge-patch+json",
        headers=_bearer(token),
    )

    assert answer.status_code == 200
