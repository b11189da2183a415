"""Watches opened while the hub is still starting miss nothing.

A fresh API process opens several watches at once (a node agent starts its pod, Service,
Endpoints and Node watches together). The first one starts the hub, whose first act is to
read the log's head. A second watch must not register before that read: the hub would then
take the head as its position and never dispatch what was written between the second
watch's revision and the head, so a pod bound in that window was never seen by the agent.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest

from cluster.store.hub import LogReader
from cluster.store.sql import SqlStore
from tests.store.support import bind_to, in_thread, pod, pod_key, take_changes

pytestmark = pytest.mark.django_db(transaction=True)

START_WAIT = 0.3  # how long the second watch meets a hub that has not read the head yet


class HeldHeads:
    """A log reader whose first ``heads`` waits for ``release``: a hub slow to start."""

    def __init__(self, reader: LogReader, release: threading.Event) -> None:
        self._reader = reader
        self._release = release

    def heads(self) -> tuple[int, int]:
        assert self._release.wait(10), "the test never released the hub"
        return self._reader.heads()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._reader, name)


@pytest.fixture
def store(pg_store: SqlStore) -> SqlStore:
    return pg_store


def test_a_watch_opened_while_the_hub_starts_gets_what_was_written_before_the_head(
    store: SqlStore,
) -> None:
    store.create(pod_key("web"), pod("web"))
    before_bind = store.current_revision()
    bound = store.guaranteed_update(pod_key("web"), bind_to("node-a"))
    release = threading.Event()
    make_reader = store._hub._reader_factory
    store._hub._reader_factory = lambda: HeldHeads(make_reader(), release)

    first = threading.Thread(target=lambda: store.watch("Pod", from_revision=before_bind).stop())
    first.start()
    opened: list[Any] = []
    second = threading.Thread(
        target=lambda: opened.append(store.watch("Pod", from_revision=before_bind))
    )
    second.start()
    second.join(START_WAIT)
    release.set()
    first.join(10)
    second.join(10)
    watch = opened[0]
    try:
        events = in_thread(lambda: take_changes(watch, 1))
        assert [(e["type"], e["object"]) for e in events] == [("MODIFIED", bound)]
    finally:
        watch.stop()
