"""The periodic compactor keeps the configured window of history and drops what is older."""

from __future__ import annotations

import time

import pytest

from cluster.store.compactor import Compactor
from cluster.store.errors import Expired
from cluster.store.sql import SqlStore
from cluster.store.types import Key
from tests.conftest import STORE_DB

pytestmark = STORE_DB


def _pod(name: str) -> dict[str, object]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}}


def test_the_compactor_drops_history_older_than_its_window(store: SqlStore) -> None:
    store.create(Key("Pod", "default", "first"), _pod("first"))
    old = store.create(Key("Pod", "default", "old"), _pod("old"))
    time.sleep(1.2)
    recent = store.create(Key("Pod", "default", "recent"), _pod("recent"))

    compacted = Compactor(store, window=1.0).compact_once()

    assert compacted == int(old["metadata"]["resourceVersion"])
    assert store.compacted_revision() == compacted
    with pytest.raises(Expired):
        store.list("Pod", "default", resource_version="1", resource_version_match="Exact")
    kept = store.list(
        "Pod",
        "default",
        resource_version=recent["metadata"]["resourceVersion"],
        resource_version_match="Exact",
    )
    assert [p["metadata"]["name"] for p in kept.items] == ["first", "old", "recent"]


def test_the_compactor_thread_compacts_on_its_interval(store: SqlStore) -> None:
    store.create(Key("Pod", "default", "a"), _pod("a"))
    first = store.create(Key("Pod", "default", "b"), _pod("b"))

    compactor = Compactor(store, window=0.0, interval=0.1).start()
    try:
        deadline = time.monotonic() + 5
        while store.compacted_revision() == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        compactor.stop()

    assert store.compacted_revision() == int(first["metadata"]["resourceVersion"])
