"""The per-process watch hub: one reader of the event log feeding every watcher in the process.

This is kube-apiserver's watch cache in miniature. A single background thread tails the event
log (woken by PostgreSQL NOTIFY, or by polling on SQLite, or by a poke from a write in this
process), keeps a ring buffer of recent entries, and routes each entry to the watchers that
can want it. A thousand watchers cost a thousand small queues, not a thousand queries.

Routing: watchers are grouped by kind; within a kind, a watcher whose field selector pins the
kind's trigger field (a pod's ``spec.nodeName``) or ``metadata.name`` sits in a bucket keyed by
that value, so a pod event only visits the watchers of its node. Everyone else is checked.

Memory and encoding: the ring and the queues hold log entries as the JSON text the log stores
(``LogEntry``), not as decoded objects, which are about ten times larger. An HTTP watch takes
its events already encoded (``anext_encoded_batch``) and writes that text out, so a change seen
by a thousand watchers is neither decoded nor encoded a thousand times; in-process consumers
(``next_event``, ``anext_batch``) get dicts, decoded on first demand and shared while held.

Back-pressure: a watcher whose queue passes its limit is ended with a 410 ERROR event (its
client relists); the hub never blocks on a slow consumer and never drops events silently.

Failures: the event log is durable, so losing the database (a dropped LISTEN connection, a
restarted server) only pauses the hub: it reconnects and reads on from the last revision it
dispatched, and its watchers see every change, late. Once a hub thread ended for good, every
later watch in the process would register with nobody to feed it and hear nothing, ever.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import weakref
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, cast

import orjson

from cluster.store.errors import StoreError
from cluster.store.fields import FieldIndex
from cluster.store.selectors import FieldSelector, LabelSelector
from cluster.store.types import EventType, Object, WatchEvent

log = logging.getLogger(__name__)

INITIAL_EVENTS_END = "k8s.io/initial-events-end"
START_TIMEOUT = 30.0
"""Seconds a subscriber waits for the hub's first read of the log before giving up."""
RECONNECT_PAUSES = (0.1, 0.5, 1.0, 2.0, 5.0)
"""Waits between attempts to reach the event log again after losing it (the last repeats)."""


def expired_status(message: str) -> Object:
    """The v1 Status that a 410 ERROR watch event carries."""
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": "Expired",
        "code": 410,
    }


def bookmark(kind: str, revision: int, *, initial_events_end: bool = False) -> WatchEvent:
    meta: Object = {"resourceVersion": str(revision)}
    if initial_events_end:
        meta["annotations"] = {INITIAL_EVENTS_END: "true"}
    return {"type": "BOOKMARK", "object": {"kind": kind, "metadata": meta}}


Selection = tuple[dict[str, str], dict[str, str]]
"""What selectors look at in an object: its labels, and its selectable field values."""

EncodedEvent = tuple[EventType, bytes]
"""A watch event as its type and its object's JSON text."""


def _selection_of(kind: str, text: str | bytes, index: FieldIndex) -> Selection:
    obj = orjson.loads(text)
    return _labels(obj), index.fields_of(kind, obj)


class _SharedEvent(dict[str, Any]):
    """A decoded event: a plain dict that a log entry can refer to weakly (see ``event``)."""


@dataclass(slots=True, eq=False)
class LogEntry:
    """One committed write as the event log records it: the object as the log's JSON text.

    The hub keeps thousands of entries (its ring, for watches that resume from a revision).
    A decoded Pod takes about ten times its JSON text in Python objects, and most watchers
    never need it decoded: the API writes ``raw`` to the socket as it is. So an entry keeps
    the text, plus the labels and selectable fields once a selector or the routing has
    needed them; the decoded event exists only while some consumer holds it.
    """

    revision: int
    type: EventType
    kind: str
    namespace: str
    name: str
    raw: bytes
    prev_raw: str | None
    _selection: Selection | None = None
    _prev_selection: Selection | None = None
    _event: weakref.ref[_SharedEvent] | None = None

    def selection(self, index: FieldIndex) -> Selection:
        if self._selection is None:
            self._selection = _selection_of(self.kind, self.raw, index)
        return self._selection

    def prev_selection(self, index: FieldIndex) -> Selection | None:
        """The selection of the object before this write (None if it did not exist)."""
        if self._prev_selection is None and self.prev_raw is not None:
            self._prev_selection = _selection_of(self.kind, self.prev_raw, index)
        return self._prev_selection

    def event(self) -> WatchEvent:
        """The decoded event, decoded once for every consumer that holds it at the same time.

        The entry refers to it weakly, so that the ring never keeps decoded objects alive: a
        consumer that comes after the others have let go decodes the text again.
        """
        shared = self._event() if self._event is not None else None
        if shared is None:
            shared = _SharedEvent(type=self.type, object=orjson.loads(self.raw))
            self._event = weakref.ref(shared)
        return cast(WatchEvent, shared)


@dataclass(frozen=True, slots=True)
class _Recast:
    """A log entry as a selective watcher sees it when the object entered or left its
    selection: an ADDED of the new state, or a DELETED of the last state that matched."""

    type: Literal["ADDED", "DELETED"]
    entry: LogEntry

    def event(self) -> WatchEvent:
        if self.type == "ADDED":
            return {"type": "ADDED", "object": self.entry.event()["object"]}
        return {"type": "DELETED", "object": self._gone()}

    def encoded(self) -> EncodedEvent:
        if self.type == "ADDED":
            return "ADDED", self.entry.raw
        return "DELETED", orjson.dumps(self._gone())

    def _gone(self) -> Object:
        # As kube's watch cache does: the last state that matched, at the new revision.
        assert self.entry.prev_raw is not None  # only an update or delete leaves a selection
        gone: Object = orjson.loads(self.entry.prev_raw)
        gone["metadata"] = {
            **(gone.get("metadata") or {}),
            "resourceVersion": str(self.entry.revision),
        }
        return gone


_Queued = WatchEvent | LogEntry | _Recast
"""What a watcher's queue holds: log entries (possibly recast) stay undecoded until taken."""


def _decoded(item: _Queued) -> WatchEvent:
    if isinstance(item, LogEntry | _Recast):
        return item.event()
    return item


def _encoded(item: _Queued) -> EncodedEvent:
    if isinstance(item, LogEntry):
        return item.type, item.raw
    if isinstance(item, _Recast):
        return item.encoded()
    return item["type"], orjson.dumps(item["object"])


class LogReader(Protocol):
    """What the hub needs from a backend: read the log, know its ends, wait for news."""

    def read_after(self, revision: int, limit: int) -> list[LogEntry]: ...

    def heads(self) -> tuple[int, int]:
        """(current revision, compacted revision)."""
        ...

    def wait(self, timeout: float) -> None:
        """Block until the log may have grown, or ``timeout`` seconds."""
        ...

    def nudge(self) -> None:
        """A write in this process committed; wake ``wait`` if nothing else will."""
        ...

    def interrupt(self) -> None:
        """Make a blocked ``wait`` return soon (called from another thread)."""
        ...

    def close(self) -> None:
        """Release this thread's resources (called on the hub thread as it exits)."""
        ...


@dataclass(frozen=True)
class WatchSpec:
    kind: str
    namespace: str | None = None
    label_selector: LabelSelector | None = None
    field_selector: FieldSelector | None = None
    bookmarks: bool = False


def _labels(obj: Object | None) -> dict[str, str]:
    if obj is None:
        return {}
    return (obj.get("metadata") or {}).get("labels") or {}


class HubWatcher:
    """One watch stream: a queue filled by the hub thread, drained by the consumer."""

    def __init__(self, hub: WatchHub, spec: WatchSpec, queue_limit: int) -> None:
        self.spec = spec
        self.position = 0
        self._hub = hub
        self._limit = queue_limit
        self._queue: deque[_Queued] = deque()
        self._cond = threading.Condition()
        self._waiter: tuple[asyncio.AbstractEventLoop, asyncio.Future[None]] | None = None
        self._ended = False
        self._filtered = bool(spec.label_selector) or bool(spec.field_selector)

    # -- producer side (the hub thread, or a subscriber replaying history) --

    def translate(self, entry: LogEntry, index: FieldIndex) -> _Queued | None:
        """What this watcher should see of ``entry``, if anything (kube's cacher rules)."""
        spec = self.spec
        if spec.namespace is not None and entry.namespace != spec.namespace:
            return None
        if not self._filtered:
            return entry
        now = entry.type != "DELETED" and self._matches(entry.selection(index))
        if entry.type == "ADDED":
            return entry if now else None
        before = self._matches(entry.prev_selection(index))
        if entry.type == "DELETED":
            return entry if before else None
        if now and before:
            return entry
        if now:
            return _Recast("ADDED", entry)
        if before:
            return _Recast("DELETED", entry)
        return None

    def _matches(self, selection: Selection | None) -> bool:
        if selection is None:
            return False
        labels, fields = selection
        spec = self.spec
        if spec.label_selector and not spec.label_selector.matches(labels):
            return False
        return not spec.field_selector or spec.field_selector.matches(fields)

    def push(self, events: Sequence[_Queued]) -> bool:
        """Queue events; False (and the stream ended with 410) if the queue overflowed."""
        with self._cond:
            if self._ended:
                return True
            if len(self._queue) + len(events) > self._limit:
                self._queue.clear()
                self._queue.append(
                    {
                        "type": "ERROR",
                        "object": expired_status(
                            "watch consumer is too slow to keep up; relist and watch again"
                        ),
                    }
                )
                self._ended = True
                return False
            self._queue.extend(events)
            return True

    def end(self, final: WatchEvent | None = None) -> None:
        with self._cond:
            if not self._ended:
                if final is not None:
                    self._queue.append(final)
                self._ended = True

    def wake(self) -> tuple[asyncio.AbstractEventLoop, asyncio.Future[None]] | None:
        """Wake a blocked consumer; return an asyncio waiter for the hub to resolve, if any."""
        with self._cond:
            self._cond.notify_all()
            waiter, self._waiter = self._waiter, None
            return waiter

    # -- consumer side --

    @property
    def stopped(self) -> bool:
        with self._cond:
            return self._ended and not self._queue

    def next_event(self, timeout: float | None = None) -> WatchEvent | None:
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while not self._queue:
                if self._ended:
                    return None
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return None
                self._cond.wait(remaining)
            item = self._queue.popleft()
        return _decoded(item)

    async def anext_event(self, timeout: float | None = None) -> WatchEvent | None:
        batch = await self._await_items(timeout, 1)
        return _decoded(batch[0]) if batch else None

    async def anext_batch(self, timeout: float | None = None) -> list[WatchEvent]:
        """Every event queued so far (waiting up to ``timeout`` for the first)."""
        return [_decoded(item) for item in await self._await_items(timeout, 0)]

    async def anext_encoded_batch(self, timeout: float | None = None) -> list[EncodedEvent]:
        """``anext_batch`` with each object as JSON text: log entries are never decoded."""
        return [_encoded(item) for item in await self._await_items(timeout, 0)]

    async def _await_items(self, timeout: float | None, most: int) -> list[_Queued]:
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while True:
            with self._cond:
                if self._queue:
                    count = len(self._queue) if most == 0 else min(most, len(self._queue))
                    return [self._queue.popleft() for _ in range(count)]
                if self._ended:
                    return []
                future: asyncio.Future[None] = loop.create_future()
                self._waiter = (loop, future)
            remaining = None if deadline is None else deadline - loop.time()
            if remaining is not None and remaining <= 0:
                return []
            try:
                await asyncio.wait_for(future, remaining)
            except TimeoutError:
                with self._cond:
                    self._waiter = None
                    if not self._queue:
                        return []

    def stop(self) -> None:
        self.end()
        self._hub.unsubscribe(self)
        _wake_all([self])  # resolves an asyncio waiter too, so a pending await returns now

    def __iter__(self) -> Iterator[WatchEvent]:
        while True:
            event = self.next_event()
            if event is None:
                return
            yield event

    async def __aiter__(self) -> AsyncIterator[WatchEvent]:
        while True:
            event = await self.anext_event()
            if event is None:
                return
            yield event


def _resolve(futures: list[asyncio.Future[None]]) -> None:
    for future in futures:
        if not future.done():
            future.set_result(None)


@dataclass
class _KindRoutes:
    general: set[HubWatcher] = field(default_factory=set)
    by_trigger: dict[str, set[HubWatcher]] = field(default_factory=dict)
    by_name: dict[str, set[HubWatcher]] = field(default_factory=dict)


@dataclass(eq=False)
class _Start:
    """One attempt to start the hub thread: done once it has read the log's head, or failed."""

    done: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None


class WatchHub:
    """Tails the event log on one thread and fans entries out to this process's watchers."""

    def __init__(
        self,
        reader_factory: Callable[[], LogReader],
        fields: FieldIndex,
        *,
        ring_size: int = 10_000,
        queue_limit: int = 10_000,
        bookmark_interval: float = 60.0,
        fallback_poll: float = 1.0,
    ) -> None:
        self._reader_factory = reader_factory
        self._fields = fields
        self._ring: deque[LogEntry] = deque(maxlen=ring_size)
        self._queue_limit = queue_limit
        self._bookmark_interval = bookmark_interval
        self._fallback_poll = fallback_poll
        self._lock = threading.Lock()
        self._routes: dict[str, _KindRoutes] = {}
        self._bookmarkers: set[HubWatcher] = set()
        self._last = 0
        self._thread: threading.Thread | None = None
        self._reader: LogReader | None = None
        self._stopping = threading.Event()
        self._start: _Start | None = None

    # -- lifecycle --

    def start(self) -> None:
        """Start the hub thread unless it runs; return once it has read the log's head.

        Nobody may register before that: the hub would then take the head as its position and
        never dispatch what was written between a subscriber's revision and it. A failed start
        is tried again by the next subscriber.
        """
        with self._lock:
            if self._start is None or self._start.error is not None:
                attempt = self._start = _Start()
                self._thread = threading.Thread(
                    target=self._run, args=(attempt,), name="store-watch-hub", daemon=True
                )
                self._thread.start()
            attempt = self._start
        if not attempt.done.wait(START_TIMEOUT):
            raise StoreError("the watch cache is not ready yet; try again")
        if attempt.error is not None:
            raise attempt.error

    def close(self) -> None:
        self._stopping.set()
        reader = self._reader
        if reader is not None:
            reader.interrupt()
        thread = self._thread
        if thread is not None:
            thread.join(10)
        with self._lock:
            watchers = {w for r in self._routes.values() for w in _all(r)}
            self._routes.clear()
        for w in watchers:
            w.end()
            _wake_all([w])

    def poke(self) -> None:
        """A write in this process committed: look at the log now rather than at the next poll."""
        reader = self._reader
        if reader is not None:
            reader.nudge()

    # -- subscription --

    def subscribe(
        self, spec: WatchSpec, after: int, reader: LogReader, initial: list[WatchEvent]
    ) -> HubWatcher:
        """Register a watcher for entries after revision ``after``, preceded by ``initial``."""
        self.start()
        watcher = HubWatcher(self, spec, self._queue_limit)
        watcher.position = after
        if initial and not watcher.push(initial):
            return watcher
        _, compacted = reader.heads()
        while True:
            if after < compacted:
                watcher.end(_expired_event(after, compacted))
                return watcher
            with self._lock:
                if after >= self._last or (self._ring and self._ring[0].revision <= after + 1):
                    replay = [e for e in self._ring if e.revision > after]
                    if not self._deliver(watcher, replay):
                        return watcher
                    watcher.position = max(after, self._last)
                    self._register(watcher)
                    return watcher
            entries = reader.read_after(after, 1000)
            if not entries or entries[0].revision != after + 1:
                _, compacted = reader.heads()
                compacted = max(compacted, after + 1)
                continue
            if not self._deliver(watcher, entries):
                return watcher
            after = entries[-1].revision

    def unsubscribe(self, watcher: HubWatcher) -> None:
        with self._lock:
            self._unregister_locked(watcher)

    def _register(self, watcher: HubWatcher) -> None:
        spec = watcher.spec
        routes = self._routes.setdefault(spec.kind, _KindRoutes())
        trigger = self._fields.trigger(spec.kind)
        pinned = {
            r.field: r.value
            for r in (spec.field_selector.requirements if spec.field_selector else ())
            if r.operator == "="
        }
        if "metadata.name" in pinned:
            routes.by_name.setdefault(pinned["metadata.name"], set()).add(watcher)
        elif trigger is not None and trigger in pinned:
            routes.by_trigger.setdefault(pinned[trigger], set()).add(watcher)
        else:
            routes.general.add(watcher)
        if spec.bookmarks:
            self._bookmarkers.add(watcher)

    def _deliver(self, watcher: HubWatcher, entries: list[LogEntry]) -> bool:
        translated = (watcher.translate(x, self._fields) for x in entries)
        events = [e for e in translated if e is not None]
        if entries:
            watcher.position = entries[-1].revision
        return watcher.push(events) if events else True

    # -- the hub thread --

    def _run(self, attempt: _Start) -> None:
        reader: LogReader | None = None
        try:
            reader = self._reader = self._reader_factory()
            self._last, _ = reader.heads()
        except BaseException as exc:  # surfaced to the subscriber that started us
            if reader is not None:
                _close_quietly(reader)
            attempt.error = exc
            attempt.done.set()
            return
        attempt.done.set()
        next_bookmark = time.monotonic() + self._bookmark_interval
        failures = 0  # in a row: the pause before reconnecting grows with them
        while not self._stopping.is_set():
            try:
                self._catch_up(reader)
                failures = 0
                now = time.monotonic()
                if now >= next_bookmark:
                    self._send_bookmarks()
                    next_bookmark = now + self._bookmark_interval
                reader.wait(max(0.0, min(self._fallback_poll, next_bookmark - now)))
            except Exception as exc:
                if failures == 0:
                    log.exception(
                        "watch hub lost the event log at revision %d; reconnecting", self._last
                    )
                else:
                    log.warning("watch hub still cannot read the event log: %s", exc)
                failures += 1
                _close_quietly(reader)
                reconnected = self._reconnect(failures)
                if reconnected is None:
                    return
                reader = reconnected
        _close_quietly(reader)

    def _reconnect(self, failures: int) -> LogReader | None:
        """A new reader of the log, tried until one works; None if the hub is closing.
        ``failures`` (the failed reads so far in a row, at least 1) sets the first pause.

        The hub keeps its position: the next catch-up reads on from the last revision it
        dispatched (or, if compaction overtook it meanwhile, fails only the watchers behind).
        """
        failures -= 1
        while not self._stopping.wait(RECONNECT_PAUSES[min(failures, len(RECONNECT_PAUSES) - 1)]):
            try:
                reader = self._reader_factory()
            except Exception as exc:
                failures += 1
                log.warning("watch hub cannot reach the event log yet: %s", exc)
                continue
            self._reader = reader
            return reader
        return None

    def _catch_up(self, reader: LogReader) -> None:
        while True:
            entries = reader.read_after(self._last, 1000)
            if not entries:
                current, compacted = reader.heads()
                if compacted > self._last:
                    self._fall_behind(current)
                return
            if entries[0].revision != self._last + 1:
                self._fall_behind(entries[0].revision - 1)
            with self._lock:
                self._ring.extend(entries)
                woken = self._dispatch(entries)
                self._last = entries[-1].revision
            _wake_all(woken)
            if len(entries) < 1000:
                return

    def _fall_behind(self, revision: int) -> None:
        """History up to ``revision`` was compacted before this hub read it.

        Watchers positioned before it can no longer be served continuously and get a 410;
        watchers that started at or after it (their catch-up came from the log itself) lose
        nothing and stay.
        """
        log.warning("watch hub fell behind compaction at revision %d", revision)
        self._fail_all(
            f"too old resource version: history before {revision} was compacted", below=revision
        )
        with self._lock:
            self._ring.clear()
            self._last = revision

    def _fail_all(self, message: str, *, below: int | None = None) -> None:
        with self._lock:
            watchers = {
                w
                for r in self._routes.values()
                for w in _all(r)
                if below is None or w.position < below
            }
            for w in watchers:
                self._unregister_locked(w)
        for w in watchers:
            w.end({"type": "ERROR", "object": expired_status(message)})
        _wake_all(watchers)

    def _dispatch(self, entries: list[LogEntry]) -> set[HubWatcher]:
        woken: set[HubWatcher] = set()
        overflowed: list[HubWatcher] = []
        for entry in entries:
            routes = self._routes.get(entry.kind)
            if routes is None:
                continue
            for watcher in self._candidates(routes, entry):
                if entry.revision <= watcher.position:
                    continue
                watcher.position = entry.revision
                event = watcher.translate(entry, self._fields)
                if event is None:
                    continue
                if not watcher.push([event]):
                    overflowed.append(watcher)
                woken.add(watcher)
        for watcher in overflowed:
            self._unregister_locked(watcher)
        return woken

    def _candidates(self, routes: _KindRoutes, entry: LogEntry) -> list[HubWatcher]:
        found = list(routes.general)
        if routes.by_name:
            found.extend(routes.by_name.get(entry.name, ()))
        if routes.by_trigger:
            trigger = self._fields.trigger(entry.kind)
            if trigger is not None:
                value = entry.selection(self._fields)[1].get(trigger, "")
                found.extend(routes.by_trigger.get(value, ()))
                prev = entry.prev_selection(self._fields)
                if prev is not None:
                    before = prev[1].get(trigger, "")
                    if before != value:
                        found.extend(routes.by_trigger.get(before, ()))
        return found

    def _unregister_locked(self, watcher: HubWatcher) -> None:
        routes = self._routes.get(watcher.spec.kind)
        if routes is not None:
            routes.general.discard(watcher)
            for bucket in (*routes.by_trigger.values(), *routes.by_name.values()):
                bucket.discard(watcher)
        self._bookmarkers.discard(watcher)

    def _send_bookmarks(self) -> None:
        with self._lock:
            targets = list(self._bookmarkers)
            for watcher in targets:
                # A watcher that caught up from the log may already be past the hub.
                watcher.position = max(watcher.position, self._last)
            marks = [(w, bookmark(w.spec.kind, w.position)) for w in targets]
        for watcher, mark in marks:
            watcher.push([mark])
        _wake_all(targets)


def _close_quietly(reader: LogReader) -> None:
    """Release a reader whose connection may already be gone."""
    try:
        reader.close()
    except Exception as exc:
        log.debug("closing the watch hub's log reader failed: %s", exc)


def _all(routes: _KindRoutes) -> set[HubWatcher]:
    found = set(routes.general)
    for bucket in (*routes.by_trigger.values(), *routes.by_name.values()):
        found |= bucket
    return found


def _expired_event(after: int, compacted: int) -> WatchEvent:
    return {
        "type": "ERROR",
        "object": expired_status(f"too old resource version: {after} ({compacted})"),
    }


def _wake_all(watchers: set[HubWatcher] | list[HubWatcher]) -> None:
    """Wake consumers: threads directly, asyncio tasks with one callback per event loop."""
    by_loop: dict[asyncio.AbstractEventLoop, list[asyncio.Future[None]]] = {}
    for watcher in watchers:
        waiter = watcher.wake()
        if waiter is not None:
            by_loop.setdefault(waiter[0], []).append(waiter[1])
    for loop, futures in by_loop.items():
        try:
            loop.call_soon_threadsafe(_resolve, futures)
        except RuntimeError:  # the loop has closed; nobody is waiting any more
            continue
