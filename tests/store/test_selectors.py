"""Label and field selector parsing and in-memory matching, as Kubernetes defines them.

These are pure unit tests: the store evaluates the same selectors in SQL, and the list and
watch tests check that it agrees with the semantics pinned down here.
"""

from __future__ import annotations

import pytest

from cluster.store.errors import BadRequest
from cluster.store.fields import FieldIndex
from cluster.store.selectors import (
    FieldRequirement,
    LabelRequirement,
    parse_field_selector,
    parse_label_selector,
    selector_from_labels,
)

WEB_FRONT = {"app": "web", "tier": "front"}
DB_BACK = {"app": "db", "tier": "back"}
WEB_ONLY = {"app": "web"}
NO_LABELS: dict[str, str] = {}
EMPTY_TIER = {"app": "cache", "tier": ""}
LABEL_SETS = {
    "web-front": WEB_FRONT,
    "db-back": DB_BACK,
    "web-only": WEB_ONLY,
    "no-labels": NO_LABELS,
    "empty-tier": EMPTY_TIER,
}


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("app=web", {"web-front", "web-only"}),
        ("app==web", {"web-front", "web-only"}),
        ("app!=web", {"db-back", "no-labels", "empty-tier"}),
        ("app in (web,db)", {"web-front", "db-back", "web-only"}),
        ("app notin (web,db)", {"no-labels", "empty-tier"}),
        ("tier", {"web-front", "db-back", "empty-tier"}),
        ("!tier", {"web-only", "no-labels"}),
        ("tier=", {"empty-tier"}),
        ("tier notin (front)", {"db-back", "web-only", "no-labels", "empty-tier"}),
        ("app=web,tier", {"web-front"}),
        ("app=web,!tier", {"web-only"}),
        ("app in (web),tier notin (back)", {"web-front", "web-only"}),
        ("app in (nothing)", set()),
        ("", set(LABEL_SETS)),
    ],
)
def test_label_selector_matches_exactly_the_label_sets_kubernetes_would(
    selector: str, expected: set[str]
) -> None:
    parsed = parse_label_selector(selector)

    matched = {name for name, labels in LABEL_SETS.items() if parsed.matches(labels)}

    assert matched == expected


@pytest.mark.parametrize(
    ("text", "requirement"),
    [
        ("app=web", LabelRequirement("app", "=", ("web",))),
        ("app==web", LabelRequirement("app", "=", ("web",))),
        ("app!=web", LabelRequirement("app", "!=", ("web",))),
        ("app in (web,db)", LabelRequirement("app", "in", ("db", "web"))),
        ("app notin (web)", LabelRequirement("app", "notin", ("web",))),
        ("app", LabelRequirement("app", "exists")),
        ("!app", LabelRequirement("app", "!")),
        ("app=", LabelRequirement("app", "=", ("",))),
        ("app.kubernetes.io/name=web", LabelRequirement("app.kubernetes.io/name", "=", ("web",))),
    ],
)
def test_each_label_operator_parses_to_its_requirement(
    text: str, requirement: LabelRequirement
) -> None:
    assert parse_label_selector(text).requirements == (requirement,)


def test_label_selector_tolerates_whitespace_around_tokens() -> None:
    parsed = parse_label_selector("  app = web ,  tier in ( front , back ) , ! canary ")

    assert parsed.requirements == (
        LabelRequirement("app", "=", ("web",)),
        LabelRequirement("tier", "in", ("back", "front")),
        LabelRequirement("canary", "!"),
    )


def test_label_selector_prints_in_a_form_that_parses_back_to_itself() -> None:
    parsed = parse_label_selector("b notin (y,x),a,!c,d!=1,e=2,f in (z)")

    assert parse_label_selector(str(parsed)) == parsed


def test_empty_label_selector_is_falsy_and_matches_everything() -> None:
    parsed = parse_label_selector("")

    assert not parsed
    assert parsed.matches({})
    assert parsed.matches({"anything": "at-all"})


def test_selector_from_labels_matches_supersets_of_the_map() -> None:
    selector = selector_from_labels({"app": "web", "tier": "front"})

    assert selector.matches({"app": "web", "tier": "front", "extra": "x"})
    assert not selector.matches({"app": "web"})
    assert not selector.matches({"app": "web", "tier": "back"})


@pytest.mark.parametrize(
    "text",
    [
        "app=web,",
        ",app=web",
        "=web",
        "app web",
        "app=web=db",
        "app in web",
        "app in (web",
        "app in ()",
        "app notin",
        "app in (web db)",
        "!",
        "!app=web",
        "-app=web",
        "app=-web",
        "Prefix.Example/app=web",
        "/app=web",
        f"app={'v' * 64}",
        f"{'k' * 64}=v",
    ],
)
def test_malformed_label_selector_is_a_bad_request(text: str) -> None:
    with pytest.raises(BadRequest) as excinfo:
        parse_label_selector(text)

    assert excinfo.value.code == 400
    assert [cause.field for cause in excinfo.value.causes] == ["labelSelector"]


@pytest.mark.parametrize(
    ("text", "requirements"),
    [
        ("metadata.name=web", (FieldRequirement("metadata.name", "=", "web"),)),
        ("metadata.name==web", (FieldRequirement("metadata.name", "=", "web"),)),
        ("status.phase!=Running", (FieldRequirement("status.phase", "!=", "Running"),)),
        ("spec.nodeName=", (FieldRequirement("spec.nodeName", "=", ""),)),
        (
            "spec.nodeName=n1,status.phase!=Failed",
            (
                FieldRequirement("spec.nodeName", "=", "n1"),
                FieldRequirement("status.phase", "!=", "Failed"),
            ),
        ),
    ],
)
def test_each_field_operator_parses_to_its_requirement(
    text: str, requirements: tuple[FieldRequirement, ...]
) -> None:
    assert parse_field_selector(text).requirements == requirements


@pytest.mark.parametrize(
    ("text", "value"),
    [
        (r"metadata.name=a\,b", "a,b"),
        (r"metadata.name=a\=b", "a=b"),
        (r"metadata.name=a\\b", "a\\b"),
        (r"metadata.name=\\\,\=", "\\,="),
    ],
)
def test_field_selector_unescapes_backslash_comma_and_equals(text: str, value: str) -> None:
    parsed = parse_field_selector(text)

    assert parsed.requirements == (FieldRequirement("metadata.name", "=", value),)
    assert parsed.matches({"metadata.name": value})


def test_escaped_comma_does_not_split_field_requirements() -> None:
    parsed = parse_field_selector(r"metadata.name=a\,b,status.phase=Running")

    assert parsed.requirements == (
        FieldRequirement("metadata.name", "=", "a,b"),
        FieldRequirement("status.phase", "=", "Running"),
    )


@pytest.mark.parametrize(
    "text",
    [
        "metadata.name",
        "=web",
        "metadata.name=a=b",
        r"metadata.name=a\x",
        "metadata.name=a\\",
        "metadata.name=a,b",
    ],
)
def test_malformed_field_selector_is_a_bad_request(text: str) -> None:
    with pytest.raises(BadRequest) as excinfo:
        parse_field_selector(text)

    assert excinfo.value.code == 400
    assert [cause.field for cause in excinfo.value.causes] == ["fieldSelector"]


def test_field_selector_skips_empty_terms_as_kubernetes_does() -> None:
    parsed = parse_field_selector("metadata.name=web,,status.phase=Running,")

    assert parsed.requirements == (
        FieldRequirement("metadata.name", "=", "web"),
        FieldRequirement("status.phase", "=", "Running"),
    )


def test_exclamation_mark_is_an_ordinary_character_in_a_field_value() -> None:
    # Kubernetes escapes only backslash, comma and equals in field selector values.
    parsed = parse_field_selector("metadata.name=a!b")

    assert parsed.requirements == (FieldRequirement("metadata.name", "=", "a!b"),)


@pytest.mark.parametrize(
    ("selector", "fields", "expected"),
    [
        ("spec.nodeName=n1", {"spec.nodeName": "n1"}, True),
        ("spec.nodeName=n1", {"spec.nodeName": "n2"}, False),
        ("spec.nodeName=n1", {}, False),
        ("spec.nodeName=", {}, True),
        ("spec.nodeName=", {"spec.nodeName": "n1"}, False),
        ("spec.nodeName!=n1", {}, True),
        ("spec.nodeName!=n1", {"spec.nodeName": "n1"}, False),
        ("spec.nodeName!=", {"spec.nodeName": "n1"}, True),
        ("spec.nodeName=n1,status.phase=Running", {"spec.nodeName": "n1"}, False),
        (
            "spec.nodeName=n1,status.phase=Running",
            {"spec.nodeName": "n1", "status.phase": "Running"},
            True,
        ),
    ],
)
def test_field_selector_treats_a_missing_field_as_the_empty_string(
    selector: str, fields: dict[str, str], expected: bool
) -> None:
    assert parse_field_selector(selector).matches(fields) is expected


def test_empty_field_selector_is_falsy_and_matches_everything() -> None:
    parsed = parse_field_selector("")

    assert not parsed
    assert parsed.matches({"metadata.name": "anything"})


def test_field_index_reads_pod_fields_with_absent_ones_as_empty_strings() -> None:
    pod = {
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {"nodeName": "n1", "hostNetwork": True},
    }

    fields = FieldIndex().fields_of("Pod", pod)

    assert fields["metadata.name"] == "web"
    assert fields["metadata.namespace"] == "default"
    assert fields["spec.nodeName"] == "n1"
    assert fields["spec.hostNetwork"] == "true"
    assert fields["status.phase"] == ""


def test_field_index_rejects_fields_a_kind_does_not_declare() -> None:
    index = FieldIndex()
    index.check("Pod", parse_field_selector("spec.nodeName=n1,metadata.name=web"))

    with pytest.raises(BadRequest) as excinfo:
        index.check("ConfigMap", parse_field_selector("spec.nodeName=n1"))

    assert excinfo.value.causes[0].field == "fieldSelector"
    assert "spec.nodeName" in excinfo.value.causes[0].message


def test_field_index_accepts_fields_declared_later() -> None:
    index = FieldIndex()
    index.declare("Widget", "spec.color")

    index.check("Widget", parse_field_selector("spec.color=red"))

    assert index.fields_of("Widget", {"metadata": {"name": "w"}, "spec": {"color": "red"}}) == {
        "metadata.name": "w",
        "metadata.namespace": "",
        "spec.color": "red",
    }
