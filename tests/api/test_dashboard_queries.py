"""The dashboard's filters and label search give the same answers on both store backends.

The admin's own tests run on PostgreSQL (the test ``default`` database), but SQLite is the
embedded default, and the JSON lookups compile differently there. So the queries behind the
phase and node filters and the label search run here on each backend's store, and the label
search must select exactly what the store's own label selectors select.
"""

from __future__ import annotations

import pytest
from django.db.models import QuerySet

from cluster.api.dashboard.filters import field_values, with_field
from cluster.api.dashboard.search import is_label_selector, label_query
from cluster.api.models import KIND_MODELS
from cluster.store.models import StoredObject
from cluster.store.selectors import parse_label_selector
from cluster.store.sql import SqlStore
from cluster.store.types import Key, Object
from tests.conftest import STORE_DB

pytestmark = STORE_DB


def put(
    store: SqlStore, name: str, labels: dict[str, str], *, node: str = "", phase: str = ""
) -> None:
    pod: Object = {"metadata": {"name": name, "namespace": "default", "labels": labels}}
    pod["spec"] = {"nodeName": node} if node else {}
    pod["status"] = {"phase": phase} if phase else {}
    store.create(Key("Pod", "default", name), pod)


@pytest.fixture
def pods(store: SqlStore) -> QuerySet[StoredObject]:
    put(
        store,
        "web",
        {"app": "web", "app.kubernetes.io/name": "web"},
        node="node-1",
        phase="Running",
    )
    put(store, "db", {"app": "db", "tier__x": "back"}, node="node-2", phase="Running")
    put(store, "canary", {"app": "web", "canary": ""}, phase="Pending")
    put(store, "bare", {})
    store.create(Key("Service", "default", "web"), {"metadata": {"name": "web"}})
    return KIND_MODELS["Pod"].objects.using(store.using).order_by("name")


def names(queryset: QuerySet[StoredObject]) -> list[str]:
    return [obj.name for obj in queryset]


def test_a_field_filter_offers_each_value_once_in_order_with_unset_as_empty(
    pods: QuerySet[StoredObject],
) -> None:
    assert field_values(pods, "spec.nodeName") == ["", "node-1", "node-2"]
    assert field_values(pods, "status.phase") == ["", "Pending", "Running"]


def test_a_field_filter_selects_a_value_or_the_unset_ones(pods: QuerySet[StoredObject]) -> None:
    assert names(with_field(pods, "spec.nodeName", "node-1")) == ["web"]
    assert names(with_field(pods, "spec.nodeName", "")) == ["bare", "canary"]
    assert names(with_field(pods, "status.phase", "Running")) == ["db", "web"]


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("app=web", ["canary", "web"]),
        ("app==web,!canary", ["web"]),
        ("app!=web", ["bare", "db"]),
        ("app in (db,cache)", ["db"]),
        ("app notin (web)", ["bare", "db"]),
        ("canary", ["canary"]),
        ("canary=", ["canary"]),
        ("!app", ["bare"]),
        ("app.kubernetes.io/name=web", ["web"]),
        ("tier__x=back", ["db"]),
    ],
)
def test_a_label_selector_selects_what_the_store_selects(
    store: SqlStore, pods: QuerySet[StoredObject], selector: str, expected: list[str]
) -> None:
    parsed = parse_label_selector(selector)
    assert names(pods.filter(label_query(parsed))) == expected
    listed = store.list("Pod", "default", label_selector=parsed).items
    assert sorted(p["metadata"]["name"] for p in listed) == expected


def test_only_a_term_that_cannot_be_a_name_is_read_as_a_label_selector() -> None:
    assert [is_label_selector(t) for t in ("web", "web-1.a", "app=web", "!canary", "a in (b)")] == [
        False,
        False,
        True,
        True,
        True,
    ]
