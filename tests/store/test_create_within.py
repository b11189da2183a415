"""``create(..., within=parent)`` and ``acreate``: a create that needs its namespace, decided in
the write itself, and the same create awaited from an event loop.

Namespace lifecycle admission used to be a read before the write; now the write reads the
parent in its own statement (PostgreSQL) or transaction (SQLite), so a refused create leaves
no trace: no object, no revision, no event.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from cluster.store.errors import AlreadyExists, ParentNotFound, ParentTerminating
from cluster.store.sql import SqlStore
from cluster.store.types import Key, Object
from tests.conftest import STORE_DB
from tests.store.support import EVENT_WAIT, pod, pod_key, rv

pytestmark = STORE_DB

NS = Key("Namespace", "", "default")


def namespace(name: str = "default", **extra: Any) -> Object:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}, **extra}


def deleted_at(timestamp: str) -> Callable[[Object], Object]:
    def update(obj: Object) -> Object:
        obj["metadata"]["deletionTimestamp"] = timestamp
        return obj

    return update


def acreate(store: SqlStore, key: Key, obj: Object, within: Key | None = None) -> Object:
    return asyncio.run(store.acreate(key, obj, within=within))


CREATES = {
    "create": lambda store, key, obj, within: store.create(key, obj, within=within),
    "acreate": acreate,
}


@pytest.fixture(params=sorted(CREATES))
def create(request: pytest.FixtureRequest) -> Callable[..., Object]:
    made: Callable[..., Object] = CREATES[request.param]
    return made


def test_a_create_within_a_live_namespace_is_stored(
    store: SqlStore, create: Callable[..., Object]
) -> None:
    store.create(NS, namespace())

    created = create(store, pod_key("web"), pod("web"), NS)

    assert store.get(pod_key("web")) == created
    assert store.current_revision() == rv(created)


def test_a_create_within_a_missing_namespace_is_refused_and_writes_nothing(
    store: SqlStore, create: Callable[..., Object]
) -> None:
    store.create(Key("Namespace", "", "other"), namespace("other"))
    before = store.current_revision()

    with pytest.raises(ParentNotFound) as refused:
        create(store, pod_key("web"), pod("web"), NS)

    assert refused.value.key == NS
    assert refused.value.code == 404
    assert store.list("Pod").items == []
    assert store.current_revision() == before


def test_a_create_within_a_namespace_being_deleted_is_refused(
    store: SqlStore, create: Callable[..., Object]
) -> None:
    store.create(NS, namespace())
    store.guaranteed_update(NS, deleted_at("2026-11-26T12:00:00Z"))
    before = store.current_revision()

    with pytest.raises(ParentTerminating) as refused:
        create(store, pod_key("web"), pod("web"), NS)

    assert refused.value.key == NS
    assert refused.value.code == 403
    assert store.list("Pod").items == []
    assert store.current_revision() == before


def test_a_namespace_whose_phase_is_terminating_refuses_new_content(
    store: SqlStore, create: Callable[..., Object]
) -> None:
    store.create(NS, namespace(status={"phase": "Terminating"}))

    with pytest.raises(ParentTerminating):
        create(store, pod_key("web"), pod("web"), NS)


def test_an_empty_deletion_timestamp_does_not_count_as_deleted(
    store: SqlStore, create: Callable[..., Object]
) -> None:
    store.create(NS, namespace(status={"phase": "Active"}))
    store.guaranteed_update(NS, deleted_at(""))

    assert create(store, pod_key("web"), pod("web"), NS)["metadata"]["name"] == "web"


def test_the_parent_is_checked_before_the_name(
    store: SqlStore, create: Callable[..., Object]
) -> None:
    store.create(NS, namespace())
    store.create(pod_key("web"), pod("web"))
    store.guaranteed_update(NS, deleted_at("2026-11-26T12:00:00Z"))

    with pytest.raises(ParentTerminating):
        create(store, pod_key("web"), pod("web"), NS)


def test_a_taken_name_in_a_live_namespace_is_already_exists(
    store: SqlStore, create: Callable[..., Object]
) -> None:
    store.create(NS, namespace())
    original = store.create(pod_key("web"), pod("web"))

    with pytest.raises(AlreadyExists):
        create(store, pod_key("web"), pod("web", image="other"), NS)

    assert store.get(pod_key("web")) == original
    assert store.current_revision() == rv(original)


def test_acreate_without_a_parent_is_create(store: SqlStore) -> None:
    created = acreate(store, pod_key("web"), pod("web"))

    assert store.get(pod_key("web")) == created
    with pytest.raises(AlreadyExists):
        acreate(store, pod_key("web"), pod("web"))


def test_what_acreate_writes_reaches_watchers_as_one_added_event(store: SqlStore) -> None:
    watch = store.watch("Pod", "default")
    try:
        created = acreate(store, pod_key("web"), pod("web"))

        event = watch.next_event(timeout=EVENT_WAIT)
        assert event is not None
        assert event["type"] == "ADDED"
        assert event["object"] == created
        assert watch.next_event(timeout=0.3) is None
    finally:
        watch.stop()
