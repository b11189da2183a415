"""JSON patch (RFC 6902), as kube-apiserver applies it with evanphx/json-patch.

Expected results were checked against the same library (``kubectl patch --local --type=json``),
including its departures from the RFC that clients rely on.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from cluster.api.patching import (
    JSON_PATCH,
    PatchBadRequest,
    PatchInvalid,
    PatchTooLarge,
    apply_patch,
)

Obj = dict[str, Any]
REJECTED = "the server rejected our request due to an error in our request"


def live_pod() -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web"}},
        "spec": {
            "containers": [
                {"name": "app", "image": "nginx:1.28", "args": ["--port", "80"]},
                {"name": "metrics", "image": "prom/exporter:1"},
            ],
            "tolerations": [{"key": "a", "operator": "Exists"}],
        },
    }


def json_patch(original: Obj, *operations: Obj) -> Obj:
    return apply_patch(JSON_PATCH, original, json.dumps(list(operations)), kind="Pod")


def rejection(original: Obj, *operations: Obj) -> PatchInvalid:
    with pytest.raises(PatchInvalid) as failure:
        json_patch(original, *operations)
    return failure.value


def test_kubectl_patch_type_json_replaces_a_container_image() -> None:
    live = live_pod()
    body = '[{"op":"replace","path":"/spec/containers/0/image","value":"nginx:1.29"}]'

    result = apply_patch(JSON_PATCH, live, body, kind="Pod")

    expected = live_pod()
    expected["spec"]["containers"][0]["image"] = "nginx:1.29"
    assert result == expected


def test_add_sets_a_member_whose_name_needs_tilde_escapes() -> None:
    result = json_patch(
        live_pod(),
        {"op": "add", "path": "/metadata/labels/app.kubernetes.io~1name", "value": "web"},
        {"op": "add", "path": "/metadata/labels/odd~0key", "value": "x"},
    )

    assert result["metadata"]["labels"] == {
        "app": "web",
        "app.kubernetes.io/name": "web",
        "odd~key": "x",
    }


def test_an_unknown_tilde_escape_is_kept_literally() -> None:
    result = json_patch(live_pod(), {"op": "add", "path": "/metadata/labels/a~2", "value": "v"})

    assert result["metadata"]["labels"] == {"app": "web", "a~2": "v"}


def test_add_with_dash_appends_to_a_list() -> None:
    result = json_patch(
        live_pod(),
        {"op": "add", "path": "/spec/tolerations/-", "value": {"key": "b", "operator": "Exists"}},
    )

    assert result["spec"]["tolerations"] == [
        {"key": "a", "operator": "Exists"},
        {"key": "b", "operator": "Exists"},
    ]


@pytest.mark.parametrize(
    ("index", "args"),
    [
        ("0", ["-v", "--port", "80"]),
        ("1", ["--port", "-v", "80"]),
        ("2", ["--port", "80", "-v"]),
        ("01", ["--port", "-v", "80"]),
        ("-1", ["--port", "80", "-v"]),
        ("-3", ["-v", "--port", "80"]),
    ],
)
def test_add_inserts_at_an_index_and_negative_indexes_count_from_the_end(
    index: str, args: list[str]
) -> None:
    result = json_patch(
        live_pod(), {"op": "add", "path": f"/spec/containers/0/args/{index}", "value": "-v"}
    )

    assert result["spec"]["containers"][0]["args"] == args


def test_add_past_the_end_of_a_list_is_rejected() -> None:
    failure = rejection(
        live_pod(), {"op": "add", "path": "/spec/containers/0/args/3", "value": "-v"}
    )

    assert failure.detail == (
        "error in add for path: '/spec/containers/0/args/3': "
        "Unable to access invalid index: 3: invalid index referenced"
    )


def test_add_under_a_missing_parent_is_rejected_with_kubes_generic_status() -> None:
    failure = rejection(
        live_pod(), {"op": "add", "path": "/metadata/annotations/note", "value": "x"}
    )

    assert failure.status() == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": REJECTED,
        "reason": "Invalid",
        "details": {},
        "code": 422,
    }
    assert failure.detail == (
        'add operation does not apply: doc is missing path: "/metadata/annotations/note": '
        "missing value"
    )


def test_add_without_a_value_adds_null() -> None:
    result = json_patch(live_pod(), {"op": "add", "path": "/metadata/labels/tier"})

    assert result["metadata"]["labels"] == {"app": "web", "tier": None}


def test_remove_deletes_a_member_and_a_list_item() -> None:
    result = json_patch(
        live_pod(),
        {"op": "remove", "path": "/metadata/labels/app"},
        {"op": "remove", "path": "/spec/containers/1"},
    )

    assert result["metadata"]["labels"] == {}
    assert [c["name"] for c in result["spec"]["containers"]] == ["app"]


def test_remove_of_a_missing_member_is_rejected() -> None:
    failure = rejection(live_pod(), {"op": "remove", "path": "/metadata/labels/tier"})

    assert failure.detail == (
        "error in remove for path: '/metadata/labels/tier': "
        "Unable to remove nonexistent key: tier: missing value"
    )


def test_remove_with_dash_is_not_an_index() -> None:
    failure = rejection(live_pod(), {"op": "remove", "path": "/spec/tolerations/-"})

    assert failure.detail == (
        "error in remove for path: '/spec/tolerations/-': "
        'strconv.Atoi: parsing "-": invalid syntax'
    )


def test_replace_of_a_missing_member_adds_it_as_the_library_does() -> None:
    result = json_patch(
        live_pod(), {"op": "replace", "path": "/metadata/annotations", "value": {"a": "b"}}
    )

    assert result["metadata"]["annotations"] == {"a": "b"}


def test_replace_of_a_missing_list_index_is_rejected() -> None:
    failure = rejection(
        live_pod(), {"op": "replace", "path": "/spec/containers/5/image", "value": "x"}
    )

    assert failure.detail == (
        "replace operation does not apply: doc is missing path: /spec/containers/5/image: "
        "missing value"
    )


def test_replace_of_the_root_swaps_the_whole_object() -> None:
    replacement = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "other"}}

    result = json_patch(live_pod(), {"op": "replace", "path": "", "value": replacement})

    assert result == replacement


def test_replace_of_the_root_with_a_list_is_invalid_because_it_is_not_an_object() -> None:
    failure = rejection(live_pod(), {"op": "replace", "path": "", "value": [1]})

    assert failure.field == "patch"
    assert failure.status()["details"] == {
        "causes": [
            {
                "reason": "FieldValueInvalid",
                "message": 'Invalid value: "[1]": json: cannot unmarshal array into Go value '
                "of type v1.Pod",
                "field": "patch",
            }
        ]
    }


def test_move_renames_a_label() -> None:
    result = json_patch(
        live_pod(), {"op": "move", "from": "/metadata/labels/app", "path": "/metadata/labels/name"}
    )

    assert result["metadata"]["labels"] == {"name": "web"}


def test_move_into_its_own_child_is_rejected() -> None:
    failure = rejection(
        live_pod(), {"op": "move", "from": "/metadata/labels", "path": "/metadata/labels/x"}
    )

    assert failure.detail == (
        "move operation does not apply: doc is missing destination path: /metadata/labels/x: "
        "missing value"
    )


def test_copy_duplicates_a_container_without_sharing_it() -> None:
    result = json_patch(
        live_pod(),
        {"op": "copy", "from": "/spec/containers/0", "path": "/spec/containers/-"},
        {"op": "replace", "path": "/spec/containers/2/name", "value": "copy"},
    )

    names = [c["name"] for c in result["spec"]["containers"]]
    assert names == ["app", "metrics", "copy"]
    assert result["spec"]["containers"][2]["args"] == ["--port", "80"]


def test_copy_from_a_missing_member_copies_null() -> None:
    result = json_patch(
        live_pod(), {"op": "copy", "from": "/metadata/nope", "path": "/metadata/annotations"}
    )

    assert result["metadata"]["annotations"] is None


def test_a_passing_test_lets_the_following_operations_apply() -> None:
    result = json_patch(
        live_pod(),
        {"op": "test", "path": "/spec/containers/0/image", "value": "nginx:1.28"},
        {"op": "replace", "path": "/spec/containers/0/image", "value": "nginx:1.29"},
    )

    assert result["spec"]["containers"][0]["image"] == "nginx:1.29"


def test_a_failed_test_rejects_the_whole_patch_and_changes_nothing() -> None:
    live = live_pod()
    before = copy.deepcopy(live)

    failure = rejection(
        live,
        {"op": "replace", "path": "/metadata/labels/app", "value": "changed"},
        {"op": "test", "path": "/spec/containers/0/image", "value": "nginx:1.0"},
    )

    assert failure.status()["message"] == REJECTED
    assert failure.detail == "testing value /spec/containers/0/image failed: test failed"
    assert live == before


def test_test_of_an_object_needs_exactly_the_same_members() -> None:
    failure = rejection(
        live_pod(), {"op": "test", "path": "/metadata/labels", "value": {"app": "web", "x": "y"}}
    )

    assert failure.detail == "testing value /metadata/labels failed: test failed"


def test_test_of_a_list_and_of_the_root_compare_whole_values() -> None:
    live = live_pod()

    result = json_patch(
        live,
        {"op": "test", "path": "/spec/containers/0/args", "value": ["--port", "80"]},
        {"op": "test", "path": "", "value": live_pod()},
    )

    assert result == live


def test_test_of_a_missing_member_passes_for_null_or_no_value() -> None:
    live = live_pod()

    result = json_patch(
        live,
        {"op": "test", "path": "/metadata/annotations", "value": None},
        {"op": "test", "path": "/metadata/annotations"},
    )

    assert result == live


def test_test_tells_an_integer_from_a_float_and_a_string() -> None:
    live = live_pod()
    live["spec"]["terminationGracePeriodSeconds"] = 30

    for value in (30.0, "30"):
        failure = rejection(
            live, {"op": "test", "path": "/spec/terminationGracePeriodSeconds", "value": value}
        )
        assert (
            failure.detail
            == "testing value /spec/terminationGracePeriodSeconds failed: test failed"
        )


def test_a_path_without_the_leading_slash_resolves_from_the_root() -> None:
    result = json_patch(live_pod(), {"op": "add", "path": "metadata/generateName", "value": "w-"})

    assert result["generateName"] == "w-"


@pytest.mark.parametrize(
    ("operation", "detail"),
    [
        ({"op": "bogus", "path": "/x"}, "Unexpected kind: bogus"),
        ({"path": "/x"}, "Unexpected kind: unknown"),
        ({"op": "add", "value": 1}, "add operation failed to decode path: missing value"),
        (
            {"op": "replace", "path": 5, "value": 1},
            "replace operation failed to decode path: "
            "json: cannot unmarshal number into Go value of type string",
        ),
        (
            {"op": "move", "path": "/x"},
            "move operation failed to decode from: operation, missing from field: missing value",
        ),
    ],
)
def test_malformed_operations_are_rejected(operation: Obj, detail: str) -> None:
    assert rejection(live_pod(), operation).detail == detail


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('{"op":"add"}', "json: cannot unmarshal object into Go value of type jsonpatch.Patch"),
        ("[1]", "json: cannot unmarshal number into Go value of type jsonpatch.Operation"),
        ('[{"op":"add",}]', "invalid character '}' looking for beginning of object key string"),
        ("", "unexpected end of JSON input"),
        ("[] []", "invalid character '[' after top-level value"),
    ],
)
def test_a_body_that_is_not_a_list_of_operations_is_a_bad_request(body: str, message: str) -> None:
    with pytest.raises(PatchBadRequest) as failure:
        apply_patch(JSON_PATCH, live_pod(), body, kind="Pod")

    assert failure.value.status() == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": "BadRequest",
        "code": 400,
    }


def test_a_null_body_is_an_empty_patch() -> None:
    assert apply_patch(JSON_PATCH, live_pod(), b"null", kind="Pod") == live_pod()


def test_more_than_ten_thousand_operations_are_too_large() -> None:
    body = json.dumps([{"op": "test", "path": "/kind", "value": "Pod"}] * 10001)

    with pytest.raises(PatchTooLarge) as failure:
        apply_patch(JSON_PATCH, live_pod(), body, kind="Pod")

    assert failure.value.code == 413
    assert failure.value.message == (
        "Request entity too large: The allowed maximum operations in a JSON patch is 10000, "
        "got 10001"
    )


def test_ten_thousand_operations_are_accepted() -> None:
    body = json.dumps([{"op": "test", "path": "/kind", "value": "Pod"}] * 10000)

    assert apply_patch(JSON_PATCH, live_pod(), body, kind="Pod") == live_pod()
