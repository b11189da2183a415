"""The proxy's loop: Services and Endpoints from watches, programmed into a backend.

As kube-proxy's: every change only asks for a sync; syncs are coalesced (at most one per
``min_interval``) and also happen every ``resync_period`` seconds, so rules somebody removed by
hand come back. A sync computes the whole desired state from the caches and hands it to the
backend (iptables or the userspace proxy), which replaces what it programmed before.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, Protocol

from nodeagent.proxy.model import ServicePort, service_ports

log = logging.getLogger(__name__)

Object = dict[str, Any]


class Backend(Protocol):
    def sync(self, ports: list[ServicePort]) -> None: ...

    def cleanup(self) -> None: ...


def _key(obj: Object) -> tuple[str, str]:
    meta = obj.get("metadata") or {}
    return str(meta.get("namespace")), str(meta.get("name"))


class ObjectCache:
    """A reflector's handler that keeps objects by namespace/name and reports every change."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._objects: dict[tuple[str, str], Object] = {}
        self.synced = threading.Event()
        self.on_change: Callable[[], None] = lambda: None

    def listed(self, objects: list[Object]) -> None:
        with self._lock:
            self._objects = {_key(o): o for o in objects}
        self.synced.set()
        self.on_change()

    def changed(self, obj: Object) -> None:
        with self._lock:
            self._objects[_key(obj)] = obj
        self.on_change()

    def removed(self, obj: Object) -> None:
        with self._lock:
            self._objects.pop(_key(obj), None)
        self.on_change()

    def objects(self) -> list[Object]:
        with self._lock:
            return list(self._objects.values())


class Proxier:
    def __init__(
        self,
        backend: Backend,
        *,
        services: ObjectCache,
        endpoints: ObjectCache,
        stop: threading.Event,
        min_interval: float = 0.1,
        resync_period: float = 30.0,
    ) -> None:
        self.backend = backend
        self.services = services
        self.endpoints = endpoints
        self.stop = stop
        self.min_interval = min_interval
        self.resync_period = resync_period
        self._wanted = threading.Event()
        # The caches may have been listed before this proxier existed: the first sync is due.
        self._wanted.set()
        services.on_change = self.request_sync
        endpoints.on_change = self.request_sync

    def request_sync(self) -> None:
        self._wanted.set()

    def sync_once(self) -> None:
        ports = service_ports(self.services.objects(), self.endpoints.objects())
        self.backend.sync(ports)

    def run(self) -> None:
        """Sync on demand and periodically until ``stop``; then remove what was programmed."""
        try:
            while not self.stop.is_set():
                self._wanted.wait(self.resync_period)
                if self.stop.is_set():
                    break
                self._wanted.clear()
                # Only after both lists: a partial picture would drop live Services' rules.
                if self.services.synced.is_set() and self.endpoints.synced.is_set():
                    self._sync_logged()
                self.stop.wait(self.min_interval)
        finally:
            self.backend.cleanup()

    def _sync_logged(self) -> None:
        try:
            self.sync_once()
        except Exception:
            log.exception("proxy sync failed; retrying at the next change or resync")
            self.request_sync()
