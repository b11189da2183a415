"""List-then-watch: keeps the agent's picture of a set of API objects current, as client-go's
reflector does for kubelet.

It lists (remembering the list's resourceVersion), then watches from there, and hands every
change to a handler. It lists again when the watch's resourceVersion has been compacted away
(410 Expired), after any failure (with a bounded, growing pause), and every ``relist_period``
seconds in any case, so that a missed event is repaired within that period.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from typing import Any, Protocol

from nodeagent.client import ApiClient, WatchStream
from nodeagent.errors import ApiError, Expired

log = logging.getLogger(__name__)

Object = dict[str, Any]


class Handler(Protocol):
    """What a reflector tells: a full list, then single changes."""

    def listed(self, objects: list[Object]) -> None: ...

    def changed(self, obj: Object) -> None: ...

    def removed(self, obj: Object) -> None: ...


class Reflector:
    def __init__(
        self,
        client: ApiClient,
        path: str,
        handler: Handler,
        *,
        query: Mapping[str, str] | None = None,
        stop: threading.Event,
        relist_period: float = 300.0,
        watch_timeout: int = 300,
        max_failure_pause: float = 30.0,
    ) -> None:
        self.client = client
        self.path = path
        self.handler = handler
        self.query = dict(query or {})
        self.stop = stop
        self.relist_period = relist_period
        self.watch_timeout = watch_timeout
        self.max_failure_pause = max_failure_pause
        self._stream: WatchStream | None = None

    def interrupt(self) -> None:
        """End the current watch now (used with ``stop`` to shut down promptly)."""
        stream = self._stream
        if stream is not None:
            stream.abort()

    def run(self) -> None:
        """List and watch until ``stop`` is set."""
        pause = 0.5
        while not self.stop.is_set():
            try:
                self._list_and_watch()
                pause = 0.5
            except Expired:
                log.info("watch of %s expired; listing again", self.path)
            except ApiError as e:
                log.warning("list/watch of %s failed: %s", self.path, e)
                self.stop.wait(pause)
                pause = min(pause * 2, self.max_failure_pause)

    def _list_and_watch(self) -> None:
        listed = self.client.get(self.path, self.query)
        self.handler.listed(list(listed.get("items") or []))
        version = str(listed["metadata"]["resourceVersion"])
        relist_at = time.monotonic() + self.relist_period
        while not self.stop.is_set():
            remaining = relist_at - time.monotonic()
            if remaining <= 0:
                return
            version = self._watch(version, max(1, min(self.watch_timeout, int(remaining))))

    def _watch(self, version: str, timeout: int) -> str:
        """Watch from ``version`` until the stream ends; the last resourceVersion seen."""
        query = {**self.query, "resourceVersion": version, "allowWatchBookmarks": "true"}
        with self.client.watch(self.path, query, timeout_seconds=timeout) as stream:
            self._stream = stream
            if self.stop.is_set():
                return version
            for event in stream:
                obj = event.get("object") or {}
                version = str((obj.get("metadata") or {}).get("resourceVersion") or version)
                kind = event.get("type")
                if kind in ("ADDED", "MODIFIED"):
                    self.handler.changed(obj)
                elif kind == "DELETED":
                    self.handler.removed(obj)
                if self.stop.is_set():
                    break
        return version
