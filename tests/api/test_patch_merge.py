"""JSON merge patch (RFC 7386), as kube-apiserver applies it with evanphx/json-patch.

``kubectl label`` and ``kubectl annotate`` send merge patches; the bodies below are the ones
kubectl 1.37.1 sent to a recording server on loopback. Expected results were checked against
the same library (``kubectl patch --local --type=merge``).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from cluster.api.patching import MERGE_PATCH, PatchBadRequest, PatchInvalid, apply_patch

Obj = dict[str, Any]


def live_pod() -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "web",
            "namespace": "default",
            "labels": {"app": "web"},
            "annotations": {"owner": "team-a"},
        },
        "spec": {
            "containers": [
                {"name": "app", "image": "nginx:1.28", "env": [{"name": "MODE", "value": "prod"}]},
                {"name": "metrics", "image": "prom/exporter:1"},
            ],
            "nodeSelector": {"disk": "ssd"},
        },
    }


def merge(original: Obj, body: str | bytes) -> Obj:
    return apply_patch(MERGE_PATCH, original, body, kind="Pod")


def test_kubectl_label_adds_a_label() -> None:
    result = merge(live_pod(), '{"metadata":{"labels":{"tier":"frontend"}}}')

    expected = live_pod()
    expected["metadata"]["labels"]["tier"] = "frontend"
    assert result == expected


def test_kubectl_label_overwrite_changes_a_label() -> None:
    live = live_pod()
    live["metadata"]["labels"]["tier"] = "frontend"

    result = merge(live, '{"metadata":{"labels":{"tier":"backend"}}}')

    assert result["metadata"]["labels"] == {"app": "web", "tier": "backend"}


def test_kubectl_label_with_a_dash_removes_the_label() -> None:
    live = live_pod()
    live["metadata"]["labels"]["tier"] = "backend"

    result = merge(live, '{"metadata":{"labels":{"tier":null}}}')

    assert result["metadata"]["labels"] == {"app": "web"}


def test_removing_the_last_label_leaves_an_empty_map() -> None:
    result = merge(live_pod(), '{"metadata":{"labels":{"app":null}}}')

    assert result["metadata"]["labels"] == {}


def test_kubectl_annotate_adds_overwrites_and_removes_an_annotation() -> None:
    added = merge(live_pod(), '{"metadata":{"annotations":{"note":"hello"}}}')
    overwritten = merge(added, '{"metadata":{"annotations":{"note":"bye"}}}')
    removed = merge(overwritten, '{"metadata":{"annotations":{"note":null}}}')

    assert added["metadata"]["annotations"] == {"owner": "team-a", "note": "hello"}
    assert overwritten["metadata"]["annotations"] == {"owner": "team-a", "note": "bye"}
    assert removed["metadata"]["annotations"] == {"owner": "team-a"}


def test_annotating_an_object_without_annotations_creates_the_map() -> None:
    live = live_pod()
    del live["metadata"]["annotations"]

    result = merge(live, '{"metadata":{"annotations":{"note":"hello"}}}')

    assert result["metadata"]["annotations"] == {"note": "hello"}


def test_kubectl_patch_type_merge_sets_a_spec_field() -> None:
    result = merge(live_pod(), '{"spec":{"activeDeadlineSeconds":600}}')

    expected = live_pod()
    expected["spec"]["activeDeadlineSeconds"] = 600
    assert result == expected


def test_a_list_in_the_patch_replaces_the_whole_list() -> None:
    result = merge(live_pod(), '{"spec":{"containers":[{"name":"app","image":"nginx:1.29"}]}}')

    assert result["spec"]["containers"] == [{"name": "app", "image": "nginx:1.29"}]


def test_null_removes_a_whole_subtree_and_a_missing_key_is_no_error() -> None:
    result = merge(live_pod(), '{"spec":{"nodeSelector":null,"hostNetwork":null}}')

    assert "nodeSelector" not in result["spec"]
    assert "hostNetwork" not in result["spec"]


def test_nulls_inside_a_new_value_are_dropped_but_null_list_items_stay() -> None:
    body = (
        '{"metadata":{"labels":{"x":null}},"spec":{"dnsConfig":'
        '{"options":[null,{"name":"ndots","value":null}],"searches":null}}}'
    )

    result = merge(live_pod(), body)

    assert result["metadata"]["labels"] == {"app": "web"}
    assert result["spec"]["dnsConfig"] == {"options": [None, {"name": "ndots"}]}


def test_an_object_over_a_scalar_replaces_it_without_its_nulls() -> None:
    result = merge(live_pod(), '{"metadata":{"name":{"first":"a","gone":null}}}')

    assert result["metadata"]["name"] == {"first": "a"}


def test_a_scalar_or_list_over_an_object_replaces_it_as_sent() -> None:
    result = merge(live_pod(), '{"metadata":{"labels":[{"x":null}],"annotations":"plain"}}')

    assert result["metadata"]["labels"] == [{"x": None}]
    assert result["metadata"]["annotations"] == "plain"


def test_an_empty_patch_changes_nothing() -> None:
    assert merge(live_pod(), b"{}") == live_pod()


def test_the_original_object_is_not_modified() -> None:
    live = live_pod()
    before = copy.deepcopy(live)

    merge(live, '{"metadata":{"labels":{"app":null,"tier":"x"}},"spec":{"nodeSelector":null}}')

    assert live == before


@pytest.mark.parametrize("body", ["null", '"text"', "5", "true", "not json", '{"a":'])
def test_a_body_that_is_not_an_object_or_list_is_an_invalid_json_patch(body: str) -> None:
    with pytest.raises(PatchBadRequest) as failure:
        merge(live_pod(), body)

    assert failure.value.status() == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": "Invalid JSON Patch",
        "reason": "BadRequest",
        "code": 400,
    }


def test_a_list_body_replaces_the_document_which_then_is_not_an_object() -> None:
    with pytest.raises(PatchInvalid) as failure:
        merge(live_pod(), "[1]")

    assert failure.value.code == 422
    assert failure.value.field == "patch"
    assert failure.value.message == (
        ' "" is invalid: patch: Invalid value: "[1]": '
        "json: cannot unmarshal array into Go value of type v1.Pod"
    )
