"""The REST contract every resource keeps, one suite filled per resource (``contract.py``).

Create, get, list, update, patch (each type), delete, deletecollection and watch, with the
status codes and ``Status`` bodies kube-apiserver answers, for pods, services, replication
controllers, endpoints, events, namespaces, nodes and leases. Requests go over HTTPS with the
standard library, as any client would send them.
"""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

import pytest

from tests.e2e.cluster import Api, sibling
from tests.e2e.contract import RESOURCES, Resource, dig, put

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.parametrize("resource", RESOURCES, ids=[r.id for r in RESOURCES]),
]

MERGE = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
STRATEGIC = "application/strategic-merge-patch+json"
CONFLICT = (
    "the object has been modified; please apply your changes to the latest version and try again"
)
# What kubectl delete sends by default (--cascade=background).
BACKGROUND = {"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": "Background"}


def _name(resource: Resource, namespace: str, suffix: str = "a") -> str:
    """A name of its own: namespaced objects live in the test's namespace; cluster-scoped
    ones carry the namespace's unique name (a DNS label, so valid for every kind)."""
    return suffix if resource.namespaced else sibling(namespace, suffix)


def _create(api: Api, resource: Resource, namespace: str, name: str, **labels: str) -> Any:
    return api.create(
        resource.collection(namespace),
        resource.manifest(name, namespace, **{"e2e-test": namespace, **labels}),
    )


def _failure(code: int, reason: str, message: str, details: dict[str, Any] | None) -> Any:
    status: dict[str, Any] = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }
    if details is not None:
        status["details"] = details
    return status


def _ours(namespace: str) -> str:
    return urllib.parse.urlencode({"labelSelector": f"e2e-test={namespace}"})


def test_create_answers_201_with_the_stored_object(
    api: Api, namespace: str, resource: Resource
) -> None:
    name = _name(resource, namespace)

    response = api.request(
        "POST", resource.collection(namespace), resource.manifest(name, namespace)
    )

    assert response.status == 201, response.text
    created = response.body
    assert (created["apiVersion"], created["kind"]) == (resource.api_version, resource.kind)
    meta = created["metadata"]
    assert meta["name"] == name
    assert meta.get("namespace") == (namespace if resource.namespaced else None)
    assert meta["uid"]
    assert meta["creationTimestamp"]
    assert int(meta["resourceVersion"]) > 0
    fetched = api.get(resource.object_path(namespace, name))
    assert (fetched.status, fetched.body) == (200, created)


def test_get_of_a_missing_object_is_404_not_found(
    api: Api, namespace: str, resource: Resource
) -> None:
    response = api.get(resource.object_path(namespace, "ghost"))

    assert (response.status, response.body) == (
        404,
        _failure(
            404,
            "NotFound",
            f'{resource.group_resource} "ghost" not found',
            resource.details("ghost"),
        ),
    )


def test_list_answers_the_list_kind_with_a_resource_version(
    api: Api, namespace: str, resource: Resource
) -> None:
    names = [_name(resource, namespace, s) for s in ("a", "b")]
    for name in names:
        _create(api, resource, namespace, name)

    response = api.get(f"{resource.collection(namespace)}?{_ours(namespace)}")

    assert response.status == 200
    listed = response.body
    assert (listed["apiVersion"], listed["kind"]) == (resource.api_version, f"{resource.kind}List")
    assert int(listed["metadata"]["resourceVersion"]) > 0
    assert [item["metadata"]["name"] for item in listed["items"]] == names


def test_update_replaces_the_object_and_advances_its_resource_version(
    api: Api, namespace: str, resource: Resource
) -> None:
    name = _name(resource, namespace)
    obj = _create(api, resource, namespace, name)
    path, value = resource.update
    put(obj, path, value)

    response = api.request("PUT", resource.object_path(namespace, name), obj)

    assert response.status == 200, response.text
    updated = response.body
    assert dig(updated, path) == value
    assert int(updated["metadata"]["resourceVersion"]) > int(obj["metadata"]["resourceVersion"])
    assert dig(api.get(resource.object_path(namespace, name)).body, path) == value


def test_update_from_a_stale_copy_is_409_conflict(
    api: Api, namespace: str, resource: Resource
) -> None:
    name = _name(resource, namespace)
    stale = _create(api, resource, namespace, name)
    object_path = resource.object_path(namespace, name)
    api.request("PATCH", object_path, {"metadata": {"labels": {"moved": "on"}}}, content_type=MERGE)
    path, value = resource.update
    put(stale, path, value)

    response = api.request("PUT", object_path, stale)

    assert (response.status, response.body) == (
        409,
        _failure(
            409,
            "Conflict",
            f'Operation cannot be fulfilled on {resource.group_resource} "{name}": {CONFLICT}',
            resource.details(name),
        ),
    )
    assert api.get(object_path).body["metadata"]["labels"]["moved"] == "on"


@pytest.mark.parametrize(
    ("content_type", "patch"),
    [
        (MERGE, {"metadata": {"labels": {"patched": "merge"}}}),
        (STRATEGIC, {"metadata": {"labels": {"patched": "strategic"}}}),
        (JSON_PATCH, [{"op": "add", "path": "/metadata/labels/patched", "value": "json"}]),
    ],
    ids=["merge", "strategic", "json"],
)
def test_patch_of_each_type_changes_the_labels(
    api: Api, namespace: str, resource: Resource, content_type: str, patch: Any
) -> None:
    name = _name(resource, namespace)
    created = _create(api, resource, namespace, name)

    response = api.request(
        "PATCH", resource.object_path(namespace, name), patch, content_type=content_type
    )

    assert response.status == 200, response.text
    labels = response.body["metadata"]["labels"]
    assert labels == {**created["metadata"]["labels"], "patched": labels.get("patched")}
    assert labels["patched"] in ("merge", "strategic", "json")


def test_patch_with_an_unknown_content_type_is_415(
    api: Api, namespace: str, resource: Resource
) -> None:
    name = _name(resource, namespace)
    _create(api, resource, namespace, name)

    response = api.request(
        "PATCH", resource.object_path(namespace, name), "{}", content_type="text/plain"
    )

    assert response.status == 415
    assert response.body["reason"] == "UnsupportedMediaType"


def test_patch_naming_a_stale_resource_version_is_409(
    api: Api, namespace: str, resource: Resource
) -> None:
    name = _name(resource, namespace)
    created = _create(api, resource, namespace, name)
    object_path = resource.object_path(namespace, name)
    api.request("PATCH", object_path, {"metadata": {"labels": {"moved": "on"}}}, content_type=MERGE)
    stale = {"metadata": {"resourceVersion": created["metadata"]["resourceVersion"]}}

    response = api.request("PATCH", object_path, stale, content_type=MERGE)

    assert response.status == 409
    assert response.body["reason"] == "Conflict"


def test_creating_a_taken_name_is_409_already_exists(
    api: Api, namespace: str, resource: Resource
) -> None:
    name = _name(resource, namespace)
    _create(api, resource, namespace, name)

    response = api.request(
        "POST", resource.collection(namespace), resource.manifest(name, namespace)
    )

    assert (response.status, response.body) == (
        409,
        _failure(
            409,
            "AlreadyExists",
            f'{resource.group_resource} "{name}" already exists',
            resource.details(name),
        ),
    )


def test_creating_an_invalid_object_is_422_with_its_causes(
    api: Api, namespace: str, resource: Resource
) -> None:
    manifest = resource.invalid(_name(resource, namespace, "bad"), namespace)
    name = manifest["metadata"]["name"]
    kind = f"{resource.kind}.{resource.group}" if resource.group else resource.kind

    response = api.request("POST", resource.collection(namespace), manifest)

    # kube's aggregate of field errors: the one error, or all of them in brackets.
    messages = [f"{c.field}: {c.message}" for c in resource.causes]
    summary = messages[0] if len(messages) == 1 else f"[{', '.join(messages)}]"
    details: dict[str, Any] = {"name": name, "kind": resource.kind}
    if resource.group:
        details["group"] = resource.group
    details["causes"] = [c.body() for c in resource.causes]
    assert (response.status, response.body) == (
        422,
        _failure(422, "Invalid", f'{kind} "{name}" is invalid: {summary}', details),
    )
    assert api.get(resource.object_path(namespace, name)).status == 404


def test_unknown_fields_are_refused_with_strict_field_validation(
    api: Api, namespace: str, resource: Resource
) -> None:
    manifest = resource.manifest(_name(resource, namespace), namespace)
    manifest["bogus"] = True

    response = api.request(
        "POST", f"{resource.collection(namespace)}?fieldValidation=Strict", manifest
    )

    assert (response.status, response.body) == (
        400,
        _failure(
            400,
            "BadRequest",
            f'{resource.kind} in version "v1" cannot be handled as a {resource.kind}: '
            'strict decoding error: unknown field "bogus"',
            None,
        ),
    )


def test_unknown_fields_are_dropped_with_a_warning_under_warn(
    api: Api, namespace: str, resource: Resource
) -> None:
    manifest = resource.manifest(_name(resource, namespace), namespace)
    manifest["bogus"] = True

    response = api.request(
        "POST", f"{resource.collection(namespace)}?fieldValidation=Warn", manifest
    )

    assert response.status == 201, response.text
    assert response.headers.get("warning") == '299 - "unknown field \\"bogus\\""'
    assert "bogus" not in response.body


def test_server_dry_run_creates_nothing(api: Api, namespace: str, resource: Resource) -> None:
    name = _name(resource, namespace)

    response = api.request(
        "POST", f"{resource.collection(namespace)}?dryRun=All", resource.manifest(name, namespace)
    )

    assert response.status == 201, response.text
    assert response.body["metadata"]["name"] == name
    assert api.get(resource.object_path(namespace, name)).status == 404


def test_delete_answers_as_kube_does_for_the_kind(
    api: Api, namespace: str, resource: Resource
) -> None:
    name = _name(resource, namespace)
    created = _create(api, resource, namespace, name)
    object_path = resource.object_path(namespace, name)

    response = api.request("DELETE", object_path, BACKGROUND)

    assert response.status == 200, response.text
    body = response.body
    if resource.returns_deleted_object or not resource.deleted_at_once:
        assert (body["kind"], body["metadata"]["uid"]) == (
            resource.kind,
            created["metadata"]["uid"],
        )
    else:
        assert body == {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Success",
            "details": {**resource.details(name), "uid": created["metadata"]["uid"]},
        }
    after = api.get(object_path)
    if resource.deleted_at_once:
        assert after.status == 404
    else:
        assert after.body["metadata"]["deletionTimestamp"]


def test_delete_without_options_uses_the_kinds_default_propagation(
    api: Api, namespace: str, resource: Resource
) -> None:
    name = _name(resource, namespace)
    _create(api, resource, namespace, name)
    object_path = resource.object_path(namespace, name)

    response = api.request("DELETE", object_path)

    assert response.status == 200, response.text
    after = api.get(object_path)
    if resource.default_finalizers:
        assert response.body["metadata"]["finalizers"] == list(resource.default_finalizers)
        assert after.body["metadata"]["deletionTimestamp"]
        assert after.body["metadata"]["finalizers"] == list(resource.default_finalizers)
    elif resource.deleted_at_once:
        assert after.status == 404
    else:
        assert after.body["metadata"]["deletionTimestamp"]


def test_delete_of_a_missing_object_is_404(api: Api, namespace: str, resource: Resource) -> None:
    response = api.request("DELETE", resource.object_path(namespace, "ghost"))

    assert (response.status, response.body) == (
        404,
        _failure(
            404,
            "NotFound",
            f'{resource.group_resource} "ghost" not found',
            resource.details("ghost"),
        ),
    )


def test_delete_with_a_stale_precondition_is_409(
    api: Api, namespace: str, resource: Resource
) -> None:
    name = _name(resource, namespace)
    created = _create(api, resource, namespace, name)
    rv = created["metadata"]["resourceVersion"]
    object_path = resource.object_path(namespace, name)
    api.request("PATCH", object_path, {"metadata": {"labels": {"moved": "on"}}}, content_type=MERGE)
    options = {
        "kind": "DeleteOptions",
        "apiVersion": "v1",
        "preconditions": {"resourceVersion": rv},
    }

    response = api.request("DELETE", object_path, options)

    assert response.status == 409
    assert response.body["reason"] == "Conflict"
    assert api.get(object_path).status == 200


def test_deletecollection_deletes_what_the_selector_matches(
    api: Api, namespace: str, resource: Resource
) -> None:
    doomed = [_name(resource, namespace, s) for s in ("a", "b")]
    kept = _name(resource, namespace, "c")
    for name in doomed:
        _create(api, resource, namespace, name, doomed="yes")
    _create(api, resource, namespace, kept)
    selector = urllib.parse.urlencode({"labelSelector": f"e2e-test={namespace},doomed=yes"})

    response = api.request("DELETE", f"{resource.collection(namespace)}?{selector}", BACKGROUND)

    if not resource.deletecollection:
        assert response.status == 405
        assert response.body["reason"] == "MethodNotAllowed"
        return
    assert response.status == 200, response.text
    assert response.body["kind"] == f"{resource.kind}List"
    assert sorted(item["metadata"]["name"] for item in response.body["items"]) == doomed
    remaining = api.get(f"{resource.collection(namespace)}?{_ours(namespace)}").body
    assert [item["metadata"]["name"] for item in remaining["items"]] == [kept]


def test_watch_streams_the_changes_after_a_resource_version(
    api: Api, namespace: str, resource: Resource
) -> None:
    collection = resource.collection(namespace)
    start = api.get(f"{collection}?{_ours(namespace)}").body["metadata"]["resourceVersion"]
    name = _name(resource, namespace)
    _create(api, resource, namespace, name)
    object_path = resource.object_path(namespace, name)
    api.request("PATCH", object_path, {"metadata": {"labels": {"x": "1"}}}, content_type=MERGE)
    api.request("DELETE", object_path, BACKGROUND)
    query = f"watch=1&resourceVersion={start}&timeoutSeconds=5&{_ours(namespace)}"

    events = api.watch(f"{collection}?{query}", until=lambda seen: len(seen) >= 3)

    last = "DELETED" if resource.deleted_at_once else "MODIFIED"
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [
        ("ADDED", name),
        ("MODIFIED", name),
        (last, name),
    ]
    assert all(e["object"]["kind"] == resource.kind for e in events)
    versions = [int(e["object"]["metadata"]["resourceVersion"]) for e in events]
    assert versions == sorted(versions)
    assert versions[0] > int(start)


def test_watch_of_one_object_by_field_selector(
    api: Api, namespace: str, resource: Resource
) -> None:
    collection = resource.collection(namespace)
    start = api.get(collection).body["metadata"]["resourceVersion"]
    mine, other = _name(resource, namespace, "a"), _name(resource, namespace, "b")
    _create(api, resource, namespace, mine)
    _create(api, resource, namespace, other)
    api.request(
        "PATCH",
        resource.object_path(namespace, mine),
        {"metadata": {"labels": {"x": "1"}}},
        content_type=MERGE,
    )
    query = urllib.parse.urlencode(
        {
            "watch": "1",
            "resourceVersion": start,
            "timeoutSeconds": "5",
            "fieldSelector": f"metadata.name={mine}",
        }
    )

    events = api.watch(f"{collection}?{query}", until=lambda seen: len(seen) >= 2)

    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [
        ("ADDED", mine),
        ("MODIFIED", mine),
    ]


def test_a_collection_answers_405_to_put_with_the_allowed_methods(
    api: Api, namespace: str, resource: Resource
) -> None:
    response = api.request("PUT", resource.collection(namespace), {})

    assert response.status == 405
    assert response.body["reason"] == "MethodNotAllowed"
    assert "GET" in response.headers["allow"]


def test_discovery_lists_the_resource_with_its_verbs(
    api: Api, namespace: str, resource: Resource
) -> None:
    prefix = f"/apis/{resource.group}/v1" if resource.group else "/api/v1"
    listed = {r["name"]: r for r in api.get(prefix).body["resources"]}

    entry = listed[resource.plural]
    assert (entry["kind"], entry["namespaced"]) == (resource.kind, resource.namespaced)
    verbs = ["create", "delete", "get", "list", "patch", "update", "watch"]
    if resource.deletecollection:
        verbs.append("deletecollection")
    assert sorted(entry["verbs"]) == sorted(verbs)
    for sub in resource.subresources:
        assert f"{resource.plural}/{sub}" in listed


def test_the_body_of_a_request_must_be_json_or_yaml(
    api: Api, namespace: str, resource: Resource
) -> None:
    manifest = resource.manifest(_name(resource, namespace), namespace)

    response = api.request(
        "POST", resource.collection(namespace), json.dumps(manifest), content_type="text/plain"
    )

    assert response.status == 415
    assert response.body["reason"] == "UnsupportedMediaType"
