"""Periodic compaction: keep only the configured window of event-log history, as etcd does.

Each API process runs one compactor thread. Several processes compacting at once is harmless
(moving the mark and deleting old events are idempotent), and the history that watch resume
and paginated lists need is bounded by the window, not by how many processes there are.
"""

from __future__ import annotations

import logging
import threading

from django.db import connections

from cluster.store.sql import SqlStore

log = logging.getLogger(__name__)


class Compactor:
    """Calls ``store.compact_older_than(window)`` every ``interval`` seconds on a daemon thread."""

    def __init__(self, store: SqlStore, *, window: float, interval: float = 60.0) -> None:
        self.store = store
        self.window = window
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="store-compactor", daemon=True)

    def start(self) -> Compactor:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)

    def compact_once(self) -> int:
        revision = self.store.compact_older_than(self.window)
        log.debug("store compacted up to revision %d", revision)
        return revision

    def _run(self) -> None:
        try:
            while not self._stop.wait(self.interval):
                try:
                    self.compact_once()
                except Exception:  # a database hiccup must not end compaction for good
                    log.exception("store compaction failed; retrying in %.0f s", self.interval)
        finally:
            connections[self.store.using].close()
