"""Compaction: discarding old history, and the 410 Expired that tells clients to relist.

``compact(N)`` discards the history up to and including N, as etcd does: the state at N can
still be served (it is the current state minus the changes after N), anything older cannot.
"""

from __future__ import annotations

import contextlib
import time

import pytest

from cluster.store.errors import Expired, StoreError
from cluster.store.protocol import Store
from cluster.store.sql import SqlStore
from cluster.store.types import WatchEvent
from tests.conftest import STORE_DB
from tests.store.support import assert_quiet, names, pod, pod_key, rv, set_image, take, typed

pytestmark = STORE_DB


def write_five(store: Store) -> None:
    """Revisions 1-5: create a, b, c; update a; delete b."""
    for name in ("a", "b", "c"):
        store.create(pod_key(name), pod(name))
    store.guaranteed_update(pod_key("a"), set_image("two"))
    store.delete(pod_key("b"))


def first_event_from(store: Store, revision: int) -> WatchEvent:
    watch = store.watch("Pod", from_revision=revision)
    try:
        return take(watch, 1)[0]
    finally:
        watch.stop()


def test_compact_records_the_compacted_revision(store: Store) -> None:
    write_five(store)

    store.compact(3)

    assert store.compacted_revision() == 3
    assert store.current_revision() == 5


@pytest.mark.parametrize("from_revision", [0, 1, 2])
def test_a_watch_from_before_the_compacted_revision_gets_410_expired(
    store: Store, from_revision: int
) -> None:
    write_five(store)
    store.compact(3)

    event = first_event_from(store, from_revision)

    assert event["type"] == "ERROR"
    assert event["object"]["code"] == 410
    assert event["object"]["reason"] == "Expired"


@pytest.mark.parametrize("from_revision", [3, 4, 5])
def test_a_watch_from_the_compacted_revision_or_later_still_works(
    store: Store, from_revision: int
) -> None:
    write_five(store)
    store.compact(3)
    watch = store.watch("Pod", from_revision=from_revision)
    try:
        store.create(pod_key("d"), pod("d"))

        expected = [("MODIFIED", "a", 4), ("DELETED", "b", 5), ("ADDED", "d", 6)]
        assert typed(take(watch, 6 - from_revision)) == expected[from_revision - 3 :]
        assert_quiet(watch)
    finally:
        watch.stop()


def test_a_running_watch_is_not_disturbed_by_compaction(store: Store) -> None:
    watch = store.watch("Pod", from_revision=0)
    try:
        store.create(pod_key("a"), pod("a"))
        assert typed(take(watch, 1)) == [("ADDED", "a", 1)]

        store.create(pod_key("b"), pod("b"))
        assert typed(take(watch, 1)) == [("ADDED", "b", 2)]
        store.compact(store.current_revision())
        store.create(pod_key("c"), pod("c"))

        assert typed(take(watch, 1)) == [("ADDED", "c", 3)]
    finally:
        watch.stop()


def test_a_continue_token_from_before_the_compacted_revision_raises_expired(
    store: Store,
) -> None:
    write_five(store)
    first = store.list("Pod", "default", limit=1)
    store.create(pod_key("d"), pod("d"))
    store.create(pod_key("e"), pod("e"))

    store.compact(first.revision + 1)

    with pytest.raises(Expired) as excinfo:
        store.list("Pod", "default", limit=1, continue_token=first.continue_token)
    assert excinfo.value.code == 410


def test_a_continue_token_at_the_compacted_revision_still_reads_its_snapshot(
    store: Store,
) -> None:
    write_five(store)
    first = store.list("Pod", "default", limit=1)
    store.create(pod_key("b"), pod("b"))
    store.guaranteed_update(pod_key("c"), set_image("three"))

    store.compact(first.revision)

    rest = store.list("Pod", "default", limit=5, continue_token=first.continue_token)
    assert names(first.items) == ["a"]
    assert names(rest.items) == ["c"]
    assert rv(rest.items[0]) == 3
    assert rest.revision == first.revision == 5


def test_an_exact_list_before_the_compacted_revision_raises_expired(store: Store) -> None:
    write_five(store)
    store.compact(3)

    with pytest.raises(Expired):
        store.list("Pod", resource_version="2", resource_version_match="Exact")

    at_three = store.list("Pod", resource_version="3", resource_version_match="Exact")
    assert names(at_three.items) == ["a", "b", "c"]
    assert [rv(item) for item in at_three.items] == [1, 2, 3]


def test_compaction_keeps_every_current_object(store: Store) -> None:
    write_five(store)
    before = store.list("Pod")

    store.compact(store.current_revision())

    after = store.list("Pod")
    assert after.items == before.items
    assert names(after.items) == ["a", "c"]
    assert store.get(pod_key("a")) == before.items[0]
    assert store.current_revision() == 5


def test_compacting_to_an_older_revision_never_brings_history_back(store: Store) -> None:
    write_five(store)
    store.compact(4)

    with contextlib.suppress(StoreError):
        store.compact(2)

    assert store.compacted_revision() == 4
    assert first_event_from(store, 3)["type"] == "ERROR"


def test_compact_older_than_discards_old_history_and_keeps_recent_history(
    store: Store,
) -> None:
    store.create(pod_key("old1"), pod("old1"))
    old = store.create(pod_key("old2"), pod("old2"))
    time.sleep(0.8)
    store.create(pod_key("new1"), pod("new1"))
    store.create(pod_key("new2"), pod("new2"))

    compacted = store.compact_older_than(0.4)

    assert compacted == rv(old) == store.compacted_revision()
    assert first_event_from(store, rv(old) - 1)["type"] == "ERROR"
    watch = store.watch("Pod", from_revision=rv(old))
    try:
        assert typed(take(watch, 2)) == [("ADDED", "new1", 3), ("ADDED", "new2", 4)]
    finally:
        watch.stop()


def test_compact_older_than_a_long_window_keeps_everything(store: Store) -> None:
    write_five(store)

    assert store.compact_older_than(300.0) == 0

    assert store.compacted_revision() == 0
    assert typed([first_event_from(store, 0)]) == [("ADDED", "a", 1)]


def test_compact_older_than_never_lowers_the_compacted_revision(store: Store) -> None:
    write_five(store)
    store.compact(4)

    assert store.compact_older_than(300.0) == 4

    assert store.compacted_revision() == 4


def test_a_watch_from_the_compacted_revision_works_even_if_this_process_lags_behind(
    store_alias: str, store: Store
) -> None:
    # On SQLite this store polls the log slowly and hears nothing of writes made through
    # another store (another process), so its watch hub is still at revision 0 when the writes
    # and the compaction below happen. (PostgreSQL's NOTIFY wakes it at once.)
    slow = SqlStore(using=store_alias, poll_interval=1.0)
    early = slow.watch("Pod")
    try:
        write_five(store)
        store.compact(3)

        watch = slow.watch("Pod", from_revision=3)
        try:
            assert typed(take(watch, 2)) == [("MODIFIED", "a", 4), ("DELETED", "b", 5)]
        finally:
            watch.stop()
    finally:
        early.stop()
        slow.close()
