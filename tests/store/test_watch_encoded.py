"""Watch events as JSON text, and decoded events shared, not cached.

The API's watch streams take events with ``anext_encoded_batch``: each object as the JSON text
the event log holds, so that a change fanned out to a thousand HTTP watchers is not decoded
and encoded a thousand times. In-process consumers still get dicts, decoded once for everyone
who holds the event at the same time, and the watch cache keeps none of them alive (a decoded
Pod is about ten times its text: bench/api.py's worker memory).
"""

from __future__ import annotations

import asyncio
import gc
import weakref

import orjson

from cluster.store.protocol import Store, Watch
from cluster.store.selectors import parse_label_selector
from cluster.store.types import Object
from tests.conftest import STORE_DB
from tests.store.support import EVENT_WAIT, pod, pod_key, rv, set_image, set_labels, take

pytestmark = STORE_DB


def take_encoded(watch: Watch, count: int) -> list[tuple[str, Object]]:
    """The next ``count`` events as (type, decoded object), each object decoded from the JSON
    text the watch handed out; fails if they do not come within EVENT_WAIT."""

    async def collect() -> list[tuple[str, bytes]]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + EVENT_WAIT
        found: list[tuple[str, bytes]] = []
        while len(found) < count and (remaining := deadline - loop.time()) > 0:
            found += await watch.anext_encoded_batch(timeout=remaining)
        return found

    found = asyncio.run(collect())
    assert len(found) == count, f"expected {count} events, got {found}"
    return [(event_type, orjson.loads(data)) for event_type, data in found]


def test_encoded_events_carry_each_object_as_the_write_stored_it(store: Store) -> None:
    watch = store.watch("Pod", from_revision=store.current_revision())
    try:
        created = store.create(pod_key("p"), pod("p"))
        updated = store.guaranteed_update(pod_key("p"), set_image("two"))
        deleted = store.delete(pod_key("p"))

        assert take_encoded(watch, 3) == [
            ("ADDED", created),
            ("MODIFIED", updated),
            ("DELETED", deleted),
        ]
    finally:
        watch.stop()


def test_an_object_leaving_a_selection_is_encoded_as_deleted_in_its_last_matching_state(
    store: Store,
) -> None:
    watch = store.watch(
        "Pod",
        from_revision=store.current_revision(),
        label_selector=parse_label_selector("app=web"),
    )
    try:
        store.create(pod_key("p"), pod("p", labels={"app": "db"}))
        entered = store.guaranteed_update(pod_key("p"), set_labels({"app": "web"}))
        left = store.guaranteed_update(pod_key("p"), set_labels({"app": "db"}))

        last_match = {
            **entered,
            "metadata": {**entered["metadata"], "resourceVersion": str(rv(left))},
        }
        assert take_encoded(watch, 2) == [("ADDED", entered), ("DELETED", last_match)]
    finally:
        watch.stop()


def test_initial_events_and_bookmarks_are_encoded_too(store: Store) -> None:
    created = store.create(pod_key("p"), pod("p"))
    watch = store.watch("Pod", send_initial_events=True, bookmarks=True)
    try:
        (added, (mark_type, mark)) = take_encoded(watch, 2)

        assert added == ("ADDED", created)
        assert mark_type == "BOOKMARK"
        assert mark["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}
    finally:
        watch.stop()


def test_watchers_holding_the_same_change_share_one_decoded_object(store: Store) -> None:
    start = store.current_revision()
    first, second = store.watch("Pod", from_revision=start), store.watch("Pod", from_revision=start)
    try:
        store.create(pod_key("p"), pod("p"))

        (a,), (b,) = take(first, 1), take(second, 1)

        assert a["object"] is b["object"]
    finally:
        first.stop()
        second.stop()


def test_the_watch_cache_keeps_no_decoded_object_once_its_consumers_let_go(store: Store) -> None:
    start = store.current_revision()
    watch = store.watch("Pod", from_revision=start)
    try:
        created = store.create(pod_key("p"), pod("p"))
        (event,) = take(watch, 1)
        decoded = weakref.ref(event)
        del event
        gc.collect()

        assert decoded() is None
    finally:
        watch.stop()
    # The change is still in the cache, as text: a later watcher from the same revision gets it.
    replay = store.watch("Pod", from_revision=start)
    try:
        assert [e["object"] for e in take(replay, 1)] == [created]
    finally:
        replay.stop()
