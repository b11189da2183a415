"""Choosing the patch format by Content-Type, as kube-apiserver's patch handler does."""

from __future__ import annotations

import pytest

from cluster.api.patching import UnsupportedPatchType, apply_patch, patch_type

POD = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "labels": {"a": "1"}}}


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/json-patch+json", '[{"op":"add","path":"/metadata/labels/b","value":"2"}]'),
        ("application/merge-patch+json", '{"metadata":{"labels":{"b":"2"}}}'),
        ("application/strategic-merge-patch+json", '{"metadata":{"labels":{"b":"2"}}}'),
        ("application/merge-patch+json; charset=utf-8", '{"metadata":{"labels":{"b":"2"}}}'),
    ],
)
def test_each_patch_type_is_applied_by_its_content_type(content_type: str, body: str) -> None:
    result = apply_patch(content_type, POD, body.encode(), kind="Pod")

    assert result == {**POD, "metadata": {"name": "web", "labels": {"a": "1", "b": "2"}}}


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "application/apply-patch+yaml",
        "application/merge-patch+json ;charset=utf-8",
        "",
    ],
)
def test_any_other_content_type_is_unsupported_media_type(content_type: str) -> None:
    with pytest.raises(UnsupportedPatchType) as failure:
        apply_patch(content_type, POD, "{}", kind="Pod")

    assert failure.value.status() == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": "the body of the request was in an unknown format - accepted media types "
        "include: application/json-patch+json, application/merge-patch+json, "
        "application/strategic-merge-patch+json",
        "reason": "UnsupportedMediaType",
        "code": 415,
    }


def test_json_and_merge_patches_need_no_schema_for_the_kind() -> None:
    widget = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}

    result = apply_patch(
        "application/merge-patch+json", widget, '{"spec":{"size":1}}', kind="Widget"
    )

    assert result == {**widget, "spec": {"size": 1}}


def test_patch_type_drops_only_the_parameters_after_a_semicolon() -> None:
    assert patch_type("application/json-patch+json;charset=utf-8") == "application/json-patch+json"
    assert patch_type("application/json-patch+json") == "application/json-patch+json"
