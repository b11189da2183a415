"""The dispatcher: store changes become collapsed (reconciler, key) messages."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

import pytest

from cluster.controlplane.dispatch import Dispatcher
from cluster.registry.bootstrap import ensure_system_namespaces
from cluster.registry.catalog import RESOURCES
from cluster.registry.reconcile import Change, Outcome, object_key
from cluster.registry.registry import DeleteOptions, Registry
from cluster.registry.vocabulary import Object
from cluster.store.sql import SqlStore

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _namespaces(registry: Registry) -> None:
    ensure_system_namespaces(registry)


PODS = RESOURCES.by_kind("", "Pod")


class KeyPerPod:
    """Maps every pod change to the pod's key and remembers the changes (logic test double)."""

    name = "per-pod"
    kinds: tuple[str, ...] = ("Pod",)

    def __init__(self) -> None:
        self.changes: list[Change] = []

    def keys_for(self, change: Change, registry: Registry) -> Iterable[str]:
        self.changes.append(change)
        return [object_key(change.object)]

    def resync_keys(self, registry: Registry) -> Iterable[str]:
        return ()

    def reconcile(self, key: str, registry: Registry) -> Outcome:
        return Outcome()


def pod(name: str, image: str = "busybox") -> Object:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "default", "labels": {"app": "web"}},
        "spec": {"containers": [{"name": "c", "image": image}]},
    }


def wait_for(check: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_a_burst_of_changes_to_one_key_is_one_message(registry: Registry) -> None:
    sent: list[tuple[str, str]] = []
    dispatcher = Dispatcher(registry, [KeyPerPod()], lambda n, k: sent.append((n, k)))
    for image in ("a", "b", "c"):
        dispatcher.observe("Pod", "MODIFIED", pod("web", image))
    dispatcher.observe("Pod", "ADDED", pod("db"))
    dispatcher.flush()
    assert sent == [("per-pod", "default/web"), ("per-pod", "default/db")]
    dispatcher.flush()
    assert len(sent) == 2


def test_each_change_carries_the_state_seen_before_it(registry: Registry) -> None:
    reconciler = KeyPerPod()
    dispatcher = Dispatcher(registry, [reconciler], lambda n, k: None)
    dispatcher.observe("Pod", "ADDED", pod("web", "one"))
    dispatcher.observe("Pod", "MODIFIED", pod("web", "two"))
    dispatcher.observe("Pod", "DELETED", pod("web", "two"))
    dispatcher.observe("Pod", "ADDED", pod("web", "three"))
    olds = [c.old["spec"]["containers"][0]["image"] if c.old else None for c in reconciler.changes]
    assert olds == [None, "one", "two", None]


def test_it_sends_keys_for_existing_objects_and_for_new_writes(registry: Registry) -> None:
    assert PODS is not None
    registry.create(PODS, "default", pod("before"))
    sent: list[str] = []
    dispatcher = Dispatcher(registry, [KeyPerPod()], lambda n, k: sent.append(k)).start()
    try:
        wait_for(lambda: "default/before" in sent)
        registry.create(PODS, "default", pod("after"))
        wait_for(lambda: "default/after" in sent)
        registry.delete(PODS, "default", "after", DeleteOptions())
        wait_for(lambda: sent.count("default/after") == 2)
    finally:
        dispatcher.stop()


def test_a_watch_that_ends_is_replaced_by_a_relist(registry: Registry) -> None:
    assert PODS is not None
    registry.create(PODS, "default", pod("kept"))
    sent: list[str] = []
    dispatcher = Dispatcher(registry, [KeyPerPod()], lambda n, k: sent.append(k)).start()
    try:
        wait_for(lambda: sent == ["default/kept"])
        dispatcher._watches["Pod"].stop()  # as the hub ends a watcher that fell behind
        wait_for(lambda: sent == ["default/kept", "default/kept"])
    finally:
        dispatcher.stop()


def test_objects_deleted_while_not_watching_are_announced_deleted(registry: Registry) -> None:
    assert PODS is not None
    registry.create(PODS, "default", pod("stays"))
    registry.create(PODS, "default", pod("goes"))
    reconciler = KeyPerPod()
    dispatcher = Dispatcher(registry, [reconciler], lambda n, k: None)

    def pump(until: Callable[[], bool]) -> None:
        def step() -> bool:
            dispatcher._drain("Pod")
            return until()

        wait_for(step)

    pump(lambda: len(reconciler.changes) == 2)
    dispatcher._watches["Pod"].stop()  # the watch ended (410) ...
    registry.delete(PODS, "default", "goes", DeleteOptions())  # ... and this happened unseen
    pump(lambda: any(c.type == "DELETED" for c in reconciler.changes))
    deleted = [c for c in reconciler.changes if c.type == "DELETED"]
    assert [c.name for c in deleted] == ["goes"]
    assert deleted[0].old is not None
    assert [p["metadata"]["name"] for p in dispatcher.objects("Pod", "default")] == ["stays"]
    dispatcher._close_watches()


def test_more_objects_than_a_watcher_may_queue_are_listed_once(pg_store: SqlStore) -> None:
    small = SqlStore(pg_store.using, watcher_queue_limit=5)
    try:
        registry = Registry(small)
        ensure_system_namespaces(registry)
        assert PODS is not None
        for i in range(12):
            registry.create(PODS, "default", pod(f"p{i}"))
        reconciler = KeyPerPod()
        dispatcher = Dispatcher(registry, [reconciler], lambda n, k: None)
        dispatcher._drain("Pod")
        watch = dispatcher._watches["Pod"]
        dispatcher._drain("Pod")
        assert len(reconciler.changes) == 12
        assert dispatcher._watches["Pod"] is watch
        assert not watch.stopped
        dispatcher._close_watches()
    finally:
        small.close()
