"""The dispatcher: store changes in, "look at this key" messages out.

Every committed write lands in the store's event log; the dispatcher watches the kinds the
reconcilers care about (through the registry, from the process's watch hub), asks each
interested reconciler which keys a change concerns, and sends one Celery message per
(reconciler, key). Keys are gathered for a short window first, so a burst of writes to one
key (a pod going Pending, Running, Ready) becomes one message.

It keeps the last version of every object it has seen, so each change carries its ``old``
state, as an informer's update handler gets it. A watch that ends (410: compacted, or the
dispatcher fell behind) is restarted with a fresh list, which re-announces every object:
nothing is skipped, at the price of some duplicate messages, which reconcilers shrug off;
objects deleted while it was not watching are announced as DELETED once the relist ends.

Exactly one dispatcher should run (it starts with Celery beat, of which there is one); two
would only send duplicates.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable

from django.db import connections

from cluster.registry.catalog import RESOURCES
from cluster.registry.reconcile import Change, Reconciler
from cluster.registry.registry import Registry
from cluster.registry.resources import Resource
from cluster.registry.vocabulary import Object, Watch

log = logging.getLogger(__name__)

Send = Callable[[str, str], None]
"""Send one message: (reconciler name, key)."""

_IDLE_SLEEP = 0.01


def _resource_of(kind: str) -> Resource:
    for resource in RESOURCES.all:
        if resource.kind == kind:
            return resource
    raise LookupError(f"no resource of kind {kind}")


def _where(obj: Object) -> tuple[str, str]:
    meta = obj.get("metadata") or {}
    return str(meta.get("namespace") or ""), str(meta.get("name") or "")


class Dispatcher:
    """Watches the store and sends reconcile messages, collapsed per ``window`` seconds."""

    def __init__(
        self,
        registry: Registry,
        reconcilers: Iterable[Reconciler],
        send: Send,
        *,
        window: float = 0.05,
    ) -> None:
        self.registry = registry
        self.send = send
        self.window = window
        self._by_kind: dict[str, list[Reconciler]] = {}
        for reconciler in reconcilers:
            for kind in reconciler.kinds:
                self._by_kind.setdefault(kind, []).append(reconciler)
        self._watches: dict[str, Watch] = {}
        # kind -> namespace -> name -> the object as last seen.
        self._seen: dict[str, dict[str, dict[str, Object]]] = {k: {} for k in self._by_kind}
        self._pending: dict[tuple[str, str], None] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.sent = 0

    # -- lifecycle --

    def start(self) -> Dispatcher:
        self._thread = threading.Thread(target=self.run, name="dispatcher", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)

    def run(self) -> None:
        log.info("dispatcher watching %s", ", ".join(sorted(self._by_kind)))
        try:
            while not self._stop.is_set():
                try:
                    self._loop()
                except Exception:  # a database hiccup must not end dispatching for good
                    log.exception("dispatcher failed; restarting its watches in 1 s")
                    self._close_watches()
                    connections.close_all()  # this thread's, which may be broken
                    self._stop.wait(1.0)
        finally:
            self._close_watches()
            connections.close_all()

    def _loop(self) -> None:
        flush_at = time.monotonic() + self.window
        while not self._stop.is_set():
            busy = False
            for kind in self._by_kind:
                busy |= self._drain(kind)
            now = time.monotonic()
            if now >= flush_at:
                self.flush()
                flush_at = now + self.window
            if not busy:
                self._stop.wait(_IDLE_SLEEP)

    def _close_watches(self) -> None:
        for watch in self._watches.values():
            watch.stop()
        self._watches.clear()

    # -- events --

    def _watch(self, kind: str) -> Watch:
        watch = self._watches.get(kind)
        if watch is None or watch.stopped:
            if watch is not None:
                log.info("dispatcher: %s watch ended; relisting", kind)
            # List, then watch from the list's revision: a fresh start, or a relist after the
            # watch ended, misses nothing. (Not the watch's initial events: a kind with more
            # objects than a watcher may queue would end every such watch at once.)
            resource = _resource_of(kind)
            listed = self.registry.list(resource, None)
            self._announce_listing(kind, listed.items)
            watch = self.registry.watch(resource, None, from_revision=listed.revision)
            self._watches[kind] = watch
        return watch

    def _announce_listing(self, kind: str, items: list[Object]) -> None:
        """Every listed object is a change; a cached one the list lacks was deleted."""
        listed: set[tuple[str, str]] = set()
        for obj in items:
            where = _where(obj)
            listed.add(where)
            known = where[1] in self._seen[kind].get(where[0], {})
            self.observe(kind, "MODIFIED" if known else "ADDED", obj)
        gone = [
            obj
            for namespace, objects in self._seen[kind].items()
            for name, obj in objects.items()
            if (namespace, name) not in listed
        ]
        for obj in gone:
            self.observe(kind, "DELETED", obj)

    def _drain(self, kind: str, limit: int = 1000) -> bool:
        watch = self._watch(kind)
        got = False
        for _ in range(limit):
            event = watch.next_event(timeout=0)
            if event is None:
                break
            got = True
            if event["type"] in ("ADDED", "MODIFIED", "DELETED"):
                self.observe(kind, event["type"], event["object"])
        return got

    def objects(self, kind: str, namespace: str) -> list[Object]:
        """``Cache.objects``: what this dispatcher last saw of ``kind`` in ``namespace``."""
        return list(self._seen.get(kind, {}).get(namespace, {}).values())

    def observe(self, kind: str, type_: str, obj: Object) -> None:
        """Turn one change into pending keys (public for tests of the mapping)."""
        namespace, name = _where(obj)
        seen = self._seen[kind].setdefault(namespace, {})
        old = seen.pop(name, None) if type_ == "DELETED" else seen.get(name)
        if type_ != "DELETED":
            seen[name] = obj
        change = Change(type_, kind, obj, old, self)
        for reconciler in self._by_kind[kind]:
            try:
                keys = list(reconciler.keys_for(change, self.registry))
            except Exception:
                log.exception("dispatcher: %s could not map a %s change", reconciler.name, kind)
                continue
            for key in keys:
                self._pending[(reconciler.name, key)] = None

    def flush(self) -> None:
        """Send every pending (reconciler, key) once."""
        pending, self._pending = self._pending, {}
        for name, key in pending:
            self.send(name, key)
        self.sent += len(pending)
