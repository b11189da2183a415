"""watch: the event stream that informers, kubelet and ``kubectl get -w`` are built on.

Events come in revision order, each change exactly once; selectors turn objects entering and
leaving the selection into ADDED and DELETED; bookmarks carry progress; a stream that cannot
be served (compacted, or a consumer too slow) ends with one ERROR so the client relists.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from cluster.store.errors import BadRequest
from cluster.store.protocol import Store, Watch
from cluster.store.selectors import parse_field_selector, parse_label_selector
from cluster.store.sql import SqlStore
from cluster.store.types import Key, Object, WatchEvent
from tests.conftest import STORE_DB
from tests.store.support import (
    EVENT_WAIT,
    assert_quiet,
    bind_to,
    config_map,
    in_thread,
    names,
    pod,
    pod_key,
    rv,
    set_image,
    set_labels,
    take,
    take_changes,
    typed,
)

pytestmark = STORE_DB

INITIAL_EVENTS_END = "k8s.io/initial-events-end"


def assert_expired_error(event: WatchEvent) -> None:
    """The single ERROR a Kubernetes client expects when its revision is gone: 410 Expired."""
    assert event["type"] == "ERROR"
    status = event["object"]
    assert status["kind"] == "Status"
    assert status["apiVersion"] == "v1"
    assert status["status"] == "Failure"
    assert status["code"] == 410
    assert status["reason"] == "Expired"


def assert_ended(watch: Watch) -> None:
    assert watch.next_event(timeout=0.2) is None
    assert watch.stopped


def test_watch_from_a_revision_delivers_every_change_in_revision_order(store: Store) -> None:
    start = store.current_revision()
    store.create(pod_key("web"), pod("web"))
    store.guaranteed_update(pod_key("web"), set_image("two"))
    watch = store.watch("Pod", "default", from_revision=start)
    try:
        store.create(pod_key("api"), pod("api"))
        deleted = store.delete(pod_key("web"))
        store.create(pod_key("db"), pod("db"))

        events = take(watch, 5)

        assert typed(events) == [
            ("ADDED", "web", start + 1),
            ("MODIFIED", "web", start + 2),
            ("ADDED", "api", start + 3),
            ("DELETED", "web", start + 4),
            ("ADDED", "db", start + 5),
        ]
        assert events[1]["object"]["spec"]["containers"][0]["image"] == "two"
        assert events[3]["object"] == deleted
        assert events[4]["object"] == store.get(pod_key("db"))
        assert_quiet(watch)
    finally:
        watch.stop()


def test_watch_from_a_revision_starts_after_that_revision(store: Store) -> None:
    store.create(pod_key("a"), pod("a"))
    second = store.create(pod_key("b"), pod("b"))
    store.create(pod_key("c"), pod("c"))
    watch = store.watch("Pod", from_revision=rv(second))
    try:
        assert typed(take(watch, 1)) == [("ADDED", "c", rv(second) + 1)]
        assert_quiet(watch)
    finally:
        watch.stop()


def test_watch_without_a_revision_delivers_only_future_changes(store: Store) -> None:
    store.create(pod_key("old"), pod("old"))
    store.guaranteed_update(pod_key("old"), set_image("two"))
    watch = store.watch("Pod")
    try:
        assert_quiet(watch)

        new = store.create(pod_key("new"), pod("new"))

        assert typed(take(watch, 1)) == [("ADDED", "new", rv(new))]
        assert_quiet(watch)
    finally:
        watch.stop()


def test_watch_without_a_revision_skips_writes_this_process_has_not_read_yet(
    store_alias: str, store: Store
) -> None:
    # On SQLite this store polls slowly and hears nothing of writes made through another
    # store (another process): its hub is behind the database when the second watch starts.
    slow = SqlStore(using=store_alias, poll_interval=1.0)
    early = slow.watch("Pod")
    try:
        store.create(pod_key("before"), pod("before"))
        watch = slow.watch("Pod")
        try:
            after = store.create(pod_key("after"), pod("after"))

            assert typed(take(watch, 1)) == [("ADDED", "after", rv(after))]
            assert_quiet(watch)
        finally:
            watch.stop()
    finally:
        early.stop()
        slow.close()


def test_watch_delivers_only_its_kind(store: Store) -> None:
    watch = store.watch("Pod", from_revision=store.current_revision())
    try:
        store.create(Key("ConfigMap", "default", "cfg"), config_map("cfg"))
        created = store.create(pod_key("web"), pod("web"))

        assert typed(take(watch, 1)) == [("ADDED", "web", rv(created))]
        assert_quiet(watch)
    finally:
        watch.stop()


def test_watch_in_a_namespace_delivers_only_that_namespaces_changes(store: Store) -> None:
    start = store.current_revision()
    in_a = store.watch("Pod", "a", from_revision=start)
    everywhere = store.watch("Pod", None, from_revision=start)
    try:
        store.create(pod_key("x", "b"), pod("x", "b"))
        store.create(pod_key("y", "a"), pod("y", "a"))
        store.create(pod_key("z", "ab"), pod("z", "ab"))
        store.delete(pod_key("x", "b"))

        assert typed(take(in_a, 1)) == [("ADDED", "y", start + 2)]
        assert typed(take(everywhere, 4)) == [
            ("ADDED", "x", start + 1),
            ("ADDED", "y", start + 2),
            ("ADDED", "z", start + 3),
            ("DELETED", "x", start + 4),
        ]
        assert_quiet(in_a)
    finally:
        in_a.stop()
        everywhere.stop()


def test_send_initial_events_replays_the_objects_then_marks_the_end_with_a_bookmark(
    store: Store,
) -> None:
    store.create(pod_key("p1"), pod("p1", image="one"))
    store.create(pod_key("p2"), pod("p2"))
    store.create(pod_key("p3", "other"), pod("p3", "other"))
    store.delete(pod_key("p2"))
    store.create(pod_key("p4"), pod("p4"))
    p1 = store.guaranteed_update(pod_key("p1"), set_image("two"))
    at = store.current_revision()
    watch = store.watch("Pod", "default", send_initial_events=True, bookmarks=True)
    try:
        initial = take(watch, 2)
        end = take(watch, 1)[0]
        later = store.create(pod_key("p5"), pod("p5"))
        live = take_changes(watch, 1)

        assert sorted(typed(initial)) == [("ADDED", "p1", rv(p1)), ("ADDED", "p4", 5)]
        assert [e["object"] for e in initial if e["object"]["metadata"]["name"] == "p1"] == [p1]
        assert end["type"] == "BOOKMARK"
        assert end["object"]["metadata"]["resourceVersion"] == str(at)
        assert end["object"]["metadata"]["annotations"] == {INITIAL_EVENTS_END: "true"}
        assert typed(live) == [("ADDED", "p5", rv(later))]
    finally:
        watch.stop()


def test_send_initial_events_without_bookmarks_sends_no_bookmark(store: Store) -> None:
    store.create(pod_key("p1"), pod("p1"))
    store.create(pod_key("p2"), pod("p2"))
    watch = store.watch("Pod", send_initial_events=True)
    try:
        initial = take(watch, 2)

        assert sorted(typed(initial)) == [("ADDED", "p1", 1), ("ADDED", "p2", 2)]
        assert_quiet(watch, seconds=0.6)
    finally:
        watch.stop()


def test_send_initial_events_from_a_revision_replays_the_state_at_that_revision(
    store: Store,
) -> None:
    p1 = store.create(pod_key("p1"), pod("p1", image="one"))
    p2 = store.create(pod_key("p2"), pod("p2"))
    store.guaranteed_update(pod_key("p1"), set_image("two"))
    store.delete(pod_key("p2"))
    watch = store.watch("Pod", from_revision=rv(p2), send_initial_events=True, bookmarks=True)
    try:
        initial = take(watch, 2)
        end = take(watch, 1)[0]
        changes = take_changes(watch, 2)

        assert sorted(typed(initial)) == [("ADDED", "p1", 1), ("ADDED", "p2", 2)]
        assert sorted((e["object"] for e in initial), key=rv) == [p1, p2]
        assert end["type"] == "BOOKMARK"
        assert end["object"]["metadata"]["resourceVersion"] == str(rv(p2))
        assert end["object"]["metadata"]["annotations"] == {INITIAL_EVENTS_END: "true"}
        assert typed(changes) == [("MODIFIED", "p1", 3), ("DELETED", "p2", 4)]
    finally:
        watch.stop()


def test_send_initial_events_applies_the_selectors(store: Store) -> None:
    store.create(pod_key("web"), pod("web", labels={"app": "web"}, node="n1"))
    store.create(pod_key("db"), pod("db", labels={"app": "db"}, node="n1"))
    store.create(pod_key("far"), pod("far", labels={"app": "web"}, node="n2"))
    watch = store.watch(
        "Pod",
        label_selector=parse_label_selector("app=web"),
        field_selector=parse_field_selector("spec.nodeName=n1"),
        send_initial_events=True,
    )
    try:
        assert typed(take(watch, 1)) == [("ADDED", "web", 1)]
        assert_quiet(watch)
    finally:
        watch.stop()


def test_an_object_entering_and_leaving_a_label_selection_is_added_and_deleted(
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
        changed = store.guaranteed_update(pod_key("p"), set_image("two"))
        left = store.guaranteed_update(pod_key("p"), set_labels({"app": "db"}))
        store.delete(pod_key("p"))
        again = store.create(pod_key("q"), pod("q", labels={"app": "web"}))

        events = take(watch, 4)

        assert typed(events) == [
            ("ADDED", "p", rv(entered)),
            ("MODIFIED", "p", rv(changed)),
            ("DELETED", "p", rv(left)),
            ("ADDED", "q", rv(again)),
        ]
        assert events[0]["object"] == entered
        assert events[1]["object"] == changed
        assert_quiet(watch)
    finally:
        watch.stop()


def test_a_pod_bound_to_a_node_reaches_that_nodes_field_selected_watch(store: Store) -> None:
    watch = store.watch(
        "Pod",
        from_revision=store.current_revision(),
        field_selector=parse_field_selector("spec.nodeName=n1"),
    )
    try:
        store.create(pod_key("p"), pod("p"))
        store.create(pod_key("elsewhere"), pod("elsewhere", node="n2"))
        bound = store.guaranteed_update(pod_key("p"), bind_to("n1"))
        running = store.guaranteed_update(pod_key("p"), bind_to("n1", "Running"))
        store.guaranteed_update(pod_key("elsewhere"), bind_to("n2", "Running"))
        moved = store.guaranteed_update(pod_key("p"), bind_to("n2"))
        back = store.guaranteed_update(pod_key("p"), bind_to("n1"))
        deleted = store.delete(pod_key("p"))

        assert typed(take(watch, 5)) == [
            ("ADDED", "p", rv(bound)),
            ("MODIFIED", "p", rv(running)),
            ("DELETED", "p", rv(moved)),
            ("ADDED", "p", rv(back)),
            ("DELETED", "p", rv(deleted)),
        ]
        assert_quiet(watch)
    finally:
        watch.stop()


def test_periodic_bookmarks_carry_the_latest_revision(store: Store) -> None:
    watch = store.watch("Pod", bookmarks=True)
    try:
        created = store.create(pod_key("web"), pod("web"))
        assert typed(take_changes(watch, 1)) == [("ADDED", "web", rv(created))]
        other = store.create(Key("ConfigMap", "default", "cfg"), config_map("cfg"))

        deadline = time.monotonic() + EVENT_WAIT
        bookmarks: list[WatchEvent] = []
        while time.monotonic() < deadline:
            event = watch.next_event(timeout=0.5)
            if event is not None:
                assert event["type"] == "BOOKMARK", f"unexpected {event['type']}"
                bookmarks.append(event)
                if rv(event["object"]) == rv(other):
                    break

        assert bookmarks, "no BOOKMARK within the deadline"
        assert rv(bookmarks[-1]["object"]) == rv(other)
        assert [rv(b["object"]) for b in bookmarks] == sorted(rv(b["object"]) for b in bookmarks)
        assert all(rv(b["object"]) >= rv(created) for b in bookmarks)
        assert INITIAL_EVENTS_END not in (
            bookmarks[-1]["object"]["metadata"].get("annotations") or {}
        )
    finally:
        watch.stop()


def test_a_watch_without_bookmarks_gets_no_periodic_bookmarks(store: Store) -> None:
    watch = store.watch("Pod")
    try:
        store.create(Key("ConfigMap", "default", "cfg"), config_map("cfg"))

        assert_quiet(watch, seconds=0.7)
    finally:
        watch.stop()


def test_watch_from_a_compacted_revision_gets_one_410_error_and_ends(store: Store) -> None:
    for name in ("a", "b", "c", "d"):
        store.create(pod_key(name), pod(name))
    store.compact(3)

    watch = store.watch("Pod", from_revision=1)
    try:
        assert not watch.stopped
        assert_expired_error(take(watch, 1)[0])
        store.create(pod_key("e"), pod("e"))
        assert_ended(watch)
    finally:
        watch.stop()


def test_a_watcher_too_slow_to_keep_up_gets_an_error_while_others_receive_everything(
    store_alias: str, store: Store
) -> None:
    small = SqlStore(using=store_alias, watcher_queue_limit=5, bookmark_interval=0.2)
    start = small.current_revision()
    slow = small.watch("Pod", from_revision=start)
    fast = small.watch("Pod", from_revision=start)
    try:
        delivered: list[WatchEvent] = []
        for i in range(30):
            small.create(pod_key(f"p{i:02}"), pod(f"p{i:02}"))
            delivered.extend(take(fast, 1))

        slow_events: list[WatchEvent] = []
        for _ in range(31):
            event = slow.next_event(timeout=EVENT_WAIT)
            assert event is not None, (
                f"slow watcher neither errored nor ended: {typed(slow_events)}"
            )
            slow_events.append(event)
            if event["type"] == "ERROR":
                break

        assert typed(delivered) == [("ADDED", f"p{i:02}", start + 1 + i) for i in range(30)]
        assert slow_events[-1]["type"] == "ERROR"
        assert slow_events[-1]["object"]["kind"] == "Status"
        assert len(slow_events) <= 6
        assert typed(slow_events[:-1]) == typed(delivered[: len(slow_events) - 1])
        assert_ended(slow)
        store.create(pod_key("after"), pod("after"))
        assert typed(take(fast, 1)) == [("ADDED", "after", start + 31)]
    finally:
        slow.stop()
        fast.stop()
        small.close()


def test_stop_ends_the_stream_and_is_idempotent(store: Store) -> None:
    watch = store.watch("Pod")
    store.create(pod_key("before"), pod("before"))
    assert typed(take(watch, 1)) == [("ADDED", "before", 1)]

    watch.stop()
    watch.stop()
    store.create(pod_key("after"), pod("after"))

    assert_ended(watch)


def test_iterating_a_watch_yields_events_until_the_stream_ends(store: Store) -> None:
    for name in ("a", "b", "c"):
        store.create(pod_key(name), pod(name))
    watch = store.watch("Pod", from_revision=0)

    def consume() -> list[WatchEvent]:
        seen: list[WatchEvent] = []
        for event in watch:
            seen.append(event)
            if len(seen) == 3:
                watch.stop()
        return seen

    assert typed(in_thread(consume)) == [("ADDED", "a", 1), ("ADDED", "b", 2), ("ADDED", "c", 3)]


def test_async_next_event_waits_without_blocking_the_event_loop(store: Store) -> None:
    watch = store.watch("Pod")

    def create_elsewhere() -> Object:
        return store.create(pod_key("web"), pod("web"))

    async def scenario() -> tuple[WatchEvent | None, WatchEvent | None, int, Object]:
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.02)
                ticks += 1

        ticker = asyncio.create_task(tick())
        nothing = await watch.anext_event(timeout=0.3)
        pending = asyncio.create_task(watch.anext_event(timeout=EVENT_WAIT))
        created = await asyncio.to_thread(in_thread, create_elsewhere)
        event = await pending
        ticker.cancel()
        return nothing, event, ticks, created

    try:
        nothing, event, ticks, created = asyncio.run(scenario())

        assert nothing is None
        assert ticks >= 5, "the event loop was blocked while waiting for an event"
        assert event is not None
        assert typed([event]) == [("ADDED", "web", rv(created))]
    finally:
        watch.stop()


def test_async_iteration_yields_events_until_the_stream_ends(store: Store) -> None:
    for name in ("a", "b"):
        store.create(pod_key(name), pod(name))
    store.compact(1)
    live = store.watch("Pod", from_revision=1)
    expired = store.watch("Pod", from_revision=0)

    async def collect(watch: Watch, stop_after: int) -> list[WatchEvent]:
        seen: list[WatchEvent] = []
        async for event in watch:
            seen.append(event)
            if len(seen) == stop_after:
                watch.stop()
        return seen

    async def both() -> tuple[list[WatchEvent], list[WatchEvent]]:
        return await asyncio.wait_for(
            asyncio.gather(collect(live, 1), collect(expired, 99)), timeout=EVENT_WAIT
        )

    try:
        live_events, expired_events = asyncio.run(both())

        assert typed(live_events) == [("ADDED", "b", 2)]
        assert len(expired_events) == 1
        assert_expired_error(expired_events[0])
    finally:
        live.stop()
        expired.stop()


def test_writes_through_another_connection_and_store_reach_the_watcher(
    store_alias: str, store: Store
) -> None:
    watch = store.watch("Pod", from_revision=store.current_revision())

    def write_as_another_process() -> list[Object]:
        other = SqlStore(using=store_alias)
        try:
            created = other.create(pod_key("web"), pod("web"))
            updated = other.guaranteed_update(pod_key("web"), set_image("two"))
            deleted = other.delete(pod_key("web"))
            return [created, updated, deleted]
        finally:
            other.close()

    try:
        written = in_thread(write_as_another_process)

        events = take(watch, 3)

        assert [e["type"] for e in events] == ["ADDED", "MODIFIED", "DELETED"]
        assert [e["object"] for e in events] == written
        assert names(e["object"] for e in events) == ["web"] * 3
    finally:
        watch.stop()


@pytest.mark.parametrize("writes", [1, 50])
def test_a_live_write_is_delivered_once_even_while_a_watch_catches_up(
    store: Store, writes: int
) -> None:
    for i in range(writes):
        store.create(pod_key(f"old{i:02}"), pod(f"old{i:02}"))
    watch = store.watch("Pod", from_revision=0)
    try:
        store.create(pod_key("new"), pod("new"))

        events = take(watch, writes + 1)

        assert [rv(e["object"]) for e in events] == list(range(1, writes + 2))
        assert events[-1]["object"]["metadata"]["name"] == "new"
        assert_quiet(watch)
    finally:
        watch.stop()


def test_a_watch_on_one_name_delivers_only_that_object(store: Store) -> None:
    watch = store.watch(
        "Pod",
        "default",
        from_revision=store.current_revision(),
        field_selector=parse_field_selector("metadata.name=web"),
    )
    try:
        store.create(pod_key("api"), pod("api"))
        store.create(pod_key("web", "other"), pod("web", "other"))
        created = store.create(pod_key("web"), pod("web"))
        deleted = store.delete(pod_key("web"))

        assert typed(take(watch, 2)) == [
            ("ADDED", "web", rv(created)),
            ("DELETED", "web", rv(deleted)),
        ]
        assert_quiet(watch)
    finally:
        watch.stop()


def test_watch_with_an_unsupported_field_selector_is_a_bad_request(store: Store) -> None:
    with pytest.raises(BadRequest):
        store.watch("Pod", field_selector=parse_field_selector("spec.containers=x"))


@pytest.mark.parametrize("ring_size", [1, 10_000])
def test_a_new_watch_from_an_old_revision_replays_history_while_the_hub_runs(
    store_alias: str, store: Store, ring_size: int
) -> None:
    small = SqlStore(using=store_alias, ring_size=ring_size, bookmark_interval=0.2)
    running = small.watch("Pod", from_revision=0)
    try:
        for i in range(20):
            small.create(pod_key(f"p{i:02}"), pod(f"p{i:02}"))
        assert len(take(running, 20)) == 20

        replay = small.watch("Pod", from_revision=5)
        try:
            small.create(pod_key("p20"), pod("p20"))

            events = take(replay, 16)

            assert [rv(e["object"]) for e in events] == list(range(6, 22))
            assert_quiet(replay)
        finally:
            replay.stop()
    finally:
        running.stop()
        small.close()
