"""write_batch: many creates and updates in one transaction, each succeeding or failing alone.

A batch must be indistinguishable, write by write, from the same writes made one at a time:
its own revision and watch event for each write that succeeds, in order and gap-free, nothing
at all for one that fails, and compare-and-swap against the current object even when the
caller's cached copy is stale or another writer races it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from cluster.store.errors import AlreadyExists, Conflict, NotFound, StoreError
from cluster.store.protocol import Store
from cluster.store.types import Create, Object, Preconditions, Update
from tests.conftest import STORE_DB
from tests.store.support import (
    bind_to,
    config_map,
    in_thread,
    pod,
    pod_key,
    rv,
    set_image,
    take_changes,
    typed,
)

pytestmark = STORE_DB


def written(result: Object | StoreError) -> Object:
    """The object a write of the batch stored, failing the test if it failed instead."""
    assert isinstance(result, dict), f"the write failed: {result!r}"
    return result


def refuse_if_bound(obj: Object) -> Object:
    """Binding's rule: a pod that has a node already cannot be given another (Conflict)."""
    if obj["spec"].get("nodeName"):
        raise Conflict(f"pod {obj['metadata']['name']} is already assigned")
    obj["spec"]["nodeName"] = "node-b"
    return obj


def test_a_batch_gives_each_write_its_own_revision_and_watch_event_in_order(
    store: Store,
) -> None:
    existing = store.create(pod_key("old"), pod("old"))
    watch = store.watch("Pod", from_revision=rv(existing))

    results = store.write_batch(
        [
            Create(pod_key("new"), pod("new")),
            Update(pod_key("old"), bind_to("node-a"), cached=existing),
            Create(pod_key("newer"), pod("newer")),
        ]
    )

    first = rv(existing) + 1
    assert [rv(written(r)) for r in results] == [first, first + 1, first + 2]
    assert store.current_revision() == first + 2
    assert typed(take_changes(watch, 3)) == [
        ("ADDED", "new", first),
        ("MODIFIED", "old", first + 1),
        ("ADDED", "newer", first + 2),
    ]
    assert store.get(pod_key("old")) == results[1]
    assert store.get(pod_key("old"))["spec"]["nodeName"] == "node-a"
    assert store.get(pod_key("new")) == results[0]
    assert written(results[0])["metadata"]["uid"] != written(results[2])["metadata"]["uid"]


def test_a_write_that_fails_fails_alone_and_leaves_no_gap_in_the_revisions(
    store: Store,
) -> None:
    bound = store.create(pod_key("bound"), pod("bound", node="node-a"))
    other = store.create(pod_key("other"), pod("other"))
    free = store.create(pod_key("free"), pod("free"))
    taken = store.create(pod_key("taken", "kube-system"), config_map("taken", "kube-system"))
    before = store.current_revision()
    watch = store.watch("Pod", from_revision=before)

    results = store.write_batch(
        [
            Update(pod_key("bound"), refuse_if_bound, cached=bound),
            Update(pod_key("other"), bind_to("n"), preconditions=Preconditions(uid="not-it")),
            Update(pod_key("missing"), bind_to("n")),
            Create(pod_key("taken", "kube-system"), config_map("taken", "kube-system")),
            Update(pod_key("free"), refuse_if_bound, cached=free),
        ]
    )

    errors = [type(r) if isinstance(r, StoreError) else None for r in results]
    assert errors == [Conflict, Conflict, NotFound, AlreadyExists, None]
    assert rv(written(results[4])) == before + 1
    assert store.current_revision() == before + 1
    assert typed(take_changes(watch, 1)) == [("MODIFIED", "free", before + 1)]
    assert store.get(pod_key("bound")) == bound
    assert store.get(pod_key("other")) == other
    assert store.get(pod_key("taken", "kube-system")) == taken


def test_a_stale_cached_copy_is_decided_again_on_the_current_object(store: Store) -> None:
    stale = store.create(pod_key("web"), pod("web"))
    current = store.guaranteed_update(pod_key("web"), set_image("nginx:2"))
    raced = store.create(pod_key("raced"), pod("raced"))
    store.guaranteed_update(pod_key("raced"), bind_to("node-a"))

    results = store.write_batch(
        [
            Update(pod_key("web"), bind_to("node-b"), cached=stale),
            Update(pod_key("raced"), refuse_if_bound, cached=raced),
        ]
    )

    stored = store.get(pod_key("web"))
    assert results[0] == stored
    assert stored["spec"]["nodeName"] == "node-b"
    assert stored["spec"]["containers"] == current["spec"]["containers"]  # nginx:2 kept
    assert rv(stored) == rv(current) + 3
    assert isinstance(results[1], Conflict)  # bound meanwhile: the current object refuses
    assert store.get(pod_key("raced"))["spec"]["nodeName"] == "node-a"


def test_an_update_that_changes_nothing_writes_nothing(store: Store) -> None:
    web = store.create(pod_key("web"), pod("web"))

    results = store.write_batch([Update(pod_key("web"), lambda obj: obj, cached=web)])

    assert results == [web]
    assert store.current_revision() == rv(web)


def test_any_other_error_aborts_the_whole_batch(store: Store) -> None:
    web = store.create(pod_key("web"), pod("web"))

    def broken(obj: Object) -> Object:
        raise RuntimeError("a bug in the caller")

    with pytest.raises(RuntimeError, match="a bug in the caller"):
        store.write_batch([Create(pod_key("new"), pod("new")), Update(pod_key("web"), broken)])

    assert store.current_revision() == rv(web)
    with pytest.raises(NotFound):
        store.get(pod_key("new"))


def test_a_batch_may_not_write_one_key_twice(store: Store) -> None:
    with pytest.raises(ValueError, match="one key twice"):
        store.write_batch(
            [Create(pod_key("web"), pod("web")), Update(pod_key("web"), bind_to("node-a"))]
        )

    assert store.current_revision() == 0


def test_an_empty_batch_writes_nothing(store: Store) -> None:
    assert store.write_batch([]) == []
    assert store.current_revision() == 0


def test_batches_racing_single_writers_never_lose_an_update(store: Store) -> None:
    names = [f"counter-{n}" for n in range(5)]
    cached = [store.create(pod_key(n), pod(n, labels={"count": "0"})) for n in names]

    def increment(obj: Object) -> Object:
        labels = obj["metadata"]["labels"]
        labels["count"] = str(int(labels["count"]) + 1)
        return obj

    def by_batches() -> None:
        for _ in range(20):
            # Every cached copy but the first round's is stale: each must be decided again.
            store.write_batch(
                [
                    Update(pod_key(n), increment, cached=c)
                    for n, c in zip(names, cached, strict=True)
                ]
            )

    def one_by_one() -> None:
        for _ in range(20):
            for n in names:
                store.guaranteed_update(pod_key(n), increment)

    racers: list[Callable[[], None]] = [by_batches, one_by_one]
    threads = [
        threading.Thread(target=in_thread, args=(r,), kwargs={"timeout": 60}) for r in racers
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(90)

    assert [store.get(pod_key(n))["metadata"]["labels"]["count"] for n in names] == ["40"] * 5
    assert store.current_revision() == 5 + 2 * 20 * 5
