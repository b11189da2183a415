"""The SQL backend of the Store protocol, for PostgreSQL and SQLite through Django's connections.

Writes (``writes.py``): each write runs in one transaction that bumps the revision counter
row. That row lock is held until commit, so writers commit one at a time in revision order,
and a reader that has seen revision N has seen everything before it; a rolled-back write also
rolls its revision back, so the log is gap-free. Updates and deletes are compare-and-swap on
the row's resource_version.

Reads at a revision R (every list, and every page of a paginated list) need no long
transaction: rows whose resource_version <= R are unchanged since R, and for every key written
after R the first later event's ``prev_object`` is its state at R (None if it did not exist).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import gc
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from sys import intern
from typing import Any, cast

import orjson
from django.db import connections, transaction

from cluster.store.aio import AsyncConnections, connection_kwargs
from cluster.store.errors import (
    AlreadyExists,
    BadRequest,
    Conflict,
    Expired,
    NotFound,
    ParentNotFound,
    ParentTerminating,
    StoreError,
    TooLargeResourceVersion,
)
from cluster.store.fields import FieldIndex
from cluster.store.hub import HubWatcher, LogEntry, WatchHub, WatchSpec, bookmark
from cluster.store.selectors import FieldSelector, LabelSelector
from cluster.store.sqlfilters import compile_selectors
from cluster.store.types import (
    BatchWrite,
    Create,
    Key,
    ListResult,
    Object,
    Preconditions,
    ResourceVersionMatch,
    Update,
    UpdateFunc,
    WatchEvent,
)
from cluster.store.writes import (
    NOTIFY_CHANNEL,
    Current,
    LostRace,
    Refused,
    Write,
    acommit_postgresql,
    batch,
    commit,
    template,
)

_LIST_ATTEMPTS = 5  # reads of the latest state that compaction may overtake before giving up
_Events = list[WatchEvent]
_Changes = list[tuple[tuple[str, str], Object | None]]
"""Keys written after a revision, each with its state at that revision (None: absent)."""


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _clone(obj: Object) -> Object:
    """A private deep copy of a JSON-shaped object; a JSON round trip is several times faster
    than copy.deepcopy, and on the write path that is measurable (bench/store.py)."""
    copied: Object = orjson.loads(orjson.dumps(obj))
    return copied


def _dumps(obj: Object) -> str:
    return orjson.dumps(obj).decode()


@contextmanager
def _create_errors(key: Key, within: Key | None) -> Iterator[None]:
    """A create's refusals as the store's errors: AlreadyExists, ParentNotFound,
    ParentTerminating."""
    try:
        yield
    except LostRace:
        raise _already_exists(key) from None
    except Refused as refused:
        assert within is not None
        if refused.missing:
            raise ParentNotFound(f"{within} not found", within) from None
        raise ParentTerminating(f"{within} is being deleted", within) from None


def _not_found(key: Key) -> NotFound:
    return NotFound(f'{key.kind} "{key.name}" not found')


def _already_exists(key: Key) -> AlreadyExists:
    return AlreadyExists(f'{key.kind} "{key.name}" already exists')


def _parse_revision(value: str, what: str = "resourceVersion") -> int:
    # Stricter than int(): "+5", " 5" and "1_000" are not resource versions.
    if not value.isascii() or not value.isdigit():
        raise BadRequest(f"invalid {what}: {value!r} is not a decimal revision")
    return int(value)


def _encode_continue(revision: int, namespace: str, name: str) -> str:
    raw = orjson.dumps({"v": "pilothouse/v1", "rv": revision, "ns": namespace, "name": name})
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_continue(token: str) -> tuple[int, str, str]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = orjson.loads(raw)
        revision, namespace, name = data["rv"], data["ns"], data["name"]
        if data.get("v") != "pilothouse/v1" or not isinstance(revision, int):
            raise ValueError(token)
        return revision, str(namespace), str(name)
    except (ValueError, KeyError, TypeError, binascii.Error, orjson.JSONDecodeError):
        raise BadRequest("continue key is not valid: malformed continue token") from None


class SqlStore:
    """Store on a Django database alias (PostgreSQL in production, SQLite embedded)."""

    def __init__(
        self,
        using: str = "default",
        *,
        fields: FieldIndex | None = None,
        ring_size: int = 10_000,
        watcher_queue_limit: int = 10_000,
        bookmark_interval: float = 60.0,
        poll_interval: float = 0.05,
        max_update_attempts: int = 100,
    ) -> None:
        self.using = using
        self.fields = fields if fields is not None else FieldIndex()
        self._max_attempts = max_update_attempts
        self._poll_interval = poll_interval
        self._async_connections = AsyncConnections(using)
        self._hub = WatchHub(
            self._make_reader,
            self.fields,
            ring_size=ring_size,
            queue_limit=watcher_queue_limit,
            bookmark_interval=bookmark_interval,
            fallback_poll=1.0 if self._vendor == "postgresql" else poll_interval,
        )

    @property
    def _vendor(self) -> str:
        return str(connections[self.using].vendor)

    # -- writes --

    def _commit(self, write: Write) -> int:
        """Run one write in its own transaction; LostRace if its row moved on."""
        revision = commit(self.using, write)
        self._hub.poke()
        return revision

    def _columns(self, key: Key, obj: Object) -> tuple[str, str]:
        labels = (obj.get("metadata") or {}).get("labels") or {}
        return _dumps(labels), _dumps(self.fields.extra_fields(key.kind, obj))

    def _prepare_create(self, key: Key, obj: Object) -> Object:
        new = _clone(obj)
        meta = new.setdefault("metadata", {})
        meta["name"] = key.name
        if key.namespace:
            meta["namespace"] = key.namespace
        else:
            meta.pop("namespace", None)
        meta["uid"] = str(uuid.uuid4())
        meta["creationTimestamp"] = _now()
        return new

    def _create_write(self, key: Key, obj: Object, within: Key | None) -> tuple[Object, Write]:
        new = self._prepare_create(key, obj)
        labels, fields = self._columns(key, new)
        uid = new["metadata"]["uid"]
        return new, Write("ADDED", key, template(new), None, labels, fields, uid, within=within)

    def create(self, key: Key, obj: Object, *, within: Key | None = None) -> Object:
        new, write = self._create_write(key, obj, within)
        with _create_errors(key, within):
            revision = self._commit(write)
        new["metadata"]["resourceVersion"] = str(revision)
        return new

    async def acreate(self, key: Key, obj: Object, *, within: Key | None = None) -> Object:
        if self._vendor != "postgresql":
            # SQLite has no asyncio driver; its writes are serialised anyway.
            return await asyncio.to_thread(self.create, key, obj, within=within)
        new, write = self._create_write(key, obj, within)
        with _create_errors(key, within):
            async with self._async_connections.connection() as conn:
                revision = await acommit_postgresql(conn, write)
        self._hub.poke()
        new["metadata"]["resourceVersion"] = str(revision)
        return new

    def _read(self, key: Key) -> tuple[Object, str, int]:
        with connections[self.using].cursor() as cursor:
            cursor.execute(
                "SELECT data, resource_version FROM store_object "
                "WHERE kind = %s AND namespace = %s AND name = %s",
                [key.kind, key.namespace, key.name],
            )
            row = cursor.fetchone()
        if row is None:
            raise _not_found(key)
        return orjson.loads(row[0]), row[0], int(row[1])

    @staticmethod
    def _check(key: Key, current: Object, preconditions: Preconditions | None) -> None:
        if preconditions is None:
            return
        meta = current.get("metadata") or {}
        if preconditions.uid is not None and preconditions.uid != meta.get("uid"):
            raise Conflict(
                f"Precondition failed: UID in precondition: {preconditions.uid}, "
                f"UID in object meta: {meta.get('uid')}"
            )
        rv = preconditions.resource_version
        if rv is not None and rv != meta.get("resourceVersion"):
            raise Conflict(
                f'Operation cannot be fulfilled on {key.kind} "{key.name}": the object has '
                "been modified; please apply your changes to the latest version and try again"
            )

    def _updated(self, key: Key, current: Object, try_update: UpdateFunc) -> Object | None:
        """What ``try_update`` makes of ``current``, with what it may not change restored; None
        if it changes nothing."""
        new = try_update(_clone(current))
        meta = new.setdefault("metadata", {})
        kept = current.get("metadata") or {}
        for field in ("uid", "creationTimestamp", "name", "namespace"):
            if field in kept:
                meta[field] = kept[field]
            else:
                meta.pop(field, None)
        meta["resourceVersion"] = kept.get("resourceVersion")
        return None if new == current else new

    def guaranteed_update(
        self,
        key: Key,
        try_update: UpdateFunc,
        *,
        preconditions: Preconditions | None = None,
        cached: Object | None = None,
    ) -> Object:
        for attempt in range(self._max_attempts):
            if attempt == 0 and cached is not None:
                # The caller's copy stands in for the first read; if the row has moved on,
                # the compare-and-swap loses and the next attempt reads it.
                current_raw = _dumps(cached)
                current: Object = orjson.loads(current_raw)
                current_rv = _parse_revision(str(cached["metadata"]["resourceVersion"]))
            else:
                current, current_raw, current_rv = self._read(key)
            self._check(key, current, preconditions)
            new = self._updated(key, current, try_update)
            if new is None:
                return current
            labels, fields = self._columns(key, new)
            data = template(new)
            try:
                revision = self._commit(
                    Write("MODIFIED", key, data, current_raw, labels, fields, "", current_rv)
                )
            except LostRace:
                continue
            new["metadata"]["resourceVersion"] = str(revision)
            return new
        raise Conflict(f"{key}: gave up after {self._max_attempts} conflicting updates")

    def write_batch(self, writes: Sequence[BatchWrite]) -> list[Object | StoreError]:
        if len({w.key for w in writes}) != len(writes):
            raise ValueError("a store batch cannot write one key twice")
        if not writes:
            return []
        # Decided against what the caller knows first (``cached``), outside the transaction;
        # inside it, only the writes whose rows turned out to have moved are decided again.
        planned = [self._plan(w) for w in writes]
        with batch(self.using) as txn:
            found = txn.current({p.key: p.expected for p in planned})
            for p in planned:
                p.settle(self, found.get(p.key))
            chosen = [p for p in planned if p.write is not None]
            revisions = txn.write([p.write for p in chosen if p.write is not None])
        if chosen:
            self._hub.poke()
        for p, revision in zip(chosen, revisions, strict=True):
            p.stored(revision)
        return [p.result for p in planned]

    def _plan(self, write: BatchWrite) -> _Planned:
        if isinstance(write, Create):
            new = self._prepare_create(write.key, write.obj)
            labels, fields = self._columns(write.key, new)
            uid = new["metadata"]["uid"]
            write_ = Write("ADDED", write.key, template(new), None, labels, fields, uid)
            return _Planned(write, new, write_)
        planned = _Planned(write, _not_found(write.key), None)
        if write.cached is not None:
            cached_raw = _dumps(write.cached)
            planned.decide(self, orjson.loads(cached_raw), cached_raw)
        return planned

    def delete(self, key: Key, *, preconditions: Preconditions | None = None) -> Object:
        for _ in range(self._max_attempts):
            current, current_raw, current_rv = self._read(key)
            self._check(key, current, preconditions)
            data = template(_clone(current))
            try:
                revision = self._commit(
                    Write("DELETED", key, data, current_raw, expected=current_rv)
                )
            except LostRace:
                continue
            current.setdefault("metadata", {})["resourceVersion"] = str(revision)
            return current
        raise Conflict(f"{key}: gave up after {self._max_attempts} conflicting deletes")

    # -- reads --

    def _heads(self) -> tuple[int, int]:
        return _read_heads(self.using)

    def current_revision(self) -> int:
        return self._heads()[0]

    def compacted_revision(self) -> int:
        return self._heads()[1]

    def _not_newer_than_store(self, resource_version: str) -> None:
        if resource_version in ("", "0"):
            return
        wanted = _parse_revision(resource_version)
        current = self.current_revision()
        if wanted > current:
            raise TooLargeResourceVersion(
                f"Too large resource version: {wanted}, current: {current}"
            )

    def get(self, key: Key, *, resource_version: str = "") -> Object:
        self._not_newer_than_store(resource_version)
        return self._read(key)[0]

    def list(
        self,
        kind: str,
        namespace: str | None = None,
        *,
        label_selector: LabelSelector | None = None,
        field_selector: FieldSelector | None = None,
        limit: int = 0,
        continue_token: str = "",
        resource_version: str = "",
        resource_version_match: ResourceVersionMatch = "",
    ) -> ListResult:
        self.fields.check(kind, field_selector)
        if limit < 0:
            raise BadRequest(f"invalid limit {limit}: must be zero or positive")
        query = _ListQuery(kind, namespace, label_selector, field_selector, limit)
        if continue_token:
            if resource_version or resource_version_match:
                raise BadRequest("specifying resource version is not allowed when using continue")
            revision, ns, name = _decode_continue(continue_token)
            return self._list_at(query, revision, (ns, name), continue_token=True)
        if resource_version_match == "Exact":
            if resource_version in ("", "0"):
                raise BadRequest("resourceVersionMatch Exact requires a non-zero resourceVersion")
            revision = _parse_revision(resource_version)
            self._not_newer_than_store(resource_version)
            return self._list_at(query, revision, None, continue_token=True)
        if resource_version_match not in ("", "NotOlderThan"):
            raise BadRequest(f"unsupported resourceVersionMatch {resource_version_match!r}")
        if resource_version_match and not resource_version:
            raise BadRequest("resourceVersionMatch is forbidden unless resourceVersion is provided")
        self._not_newer_than_store(resource_version)
        for _ in range(_LIST_ATTEMPTS - 1):
            try:
                return self._list_at(query, self.current_revision(), None, continue_token=False)
            except Expired:
                continue  # compaction overtook this read; read again at a newer revision
        return self._list_at(query, self.current_revision(), None, continue_token=False)

    def _list_at(
        self,
        query: _ListQuery,
        revision: int,
        start: tuple[str, str] | None,
        *,
        continue_token: bool,
    ) -> ListResult:
        where, params = compile_selectors(self._vendor, query.labels, query.fields)
        scope, scope_params = query.scope("o", start)
        sql = (
            "SELECT o.namespace, o.name, o.data FROM store_object o "
            f"WHERE {scope} AND o.resource_version <= %s"
            + (f" AND {where}" if where else "")
            + " ORDER BY o.namespace, o.name"
            + (" LIMIT %s" if query.limit else "")
        )
        all_params = [*scope_params, revision, *params] + ([query.limit + 1] if query.limit else [])
        found: dict[tuple[str, str], Object] = {}
        with connections[self.using].cursor() as cursor, _collector_paused():
            cursor.execute(sql, all_params)
            for ns, name, data in cursor.fetchall():
                found[(ns, name)] = orjson.loads(data)
            for (ns, name), obj in self._changed_since(cursor, query, revision, start):
                if obj is None:
                    found.pop((ns, name), None)
                elif query.matches(obj, self.fields):
                    found[(ns, name)] = obj
                else:
                    found.pop((ns, name), None)
        # Compaction only ever discards revisions <= its mark, so if the mark is still at or
        # below ``revision`` now, every event the reconstruction needed was there.
        if revision < self.compacted_revision():
            raise Expired(_too_old(revision, continue_token))
        keys = sorted(found)
        token = ""
        if query.limit and len(keys) > query.limit:
            keys = keys[: query.limit]
            token = _encode_continue(revision, *keys[-1])
        return ListResult([found[k] for k in keys], revision, token)

    def _changed_since(
        self, cursor: Any, query: _ListQuery, revision: int, start: tuple[str, str] | None
    ) -> _Changes:
        """State at ``revision`` of every key in scope written after it (None: absent then)."""
        scope, scope_params = query.scope("e", start)
        cursor.execute(
            "SELECT e.namespace, e.name, e.prev_object FROM store_event e WHERE e.revision IN ("
            "SELECT MIN(f.revision) FROM store_event f WHERE f.kind = %s AND f.revision > %s "
            "GROUP BY f.namespace, f.name) AND " + scope,
            [query.kind, revision, *scope_params],
        )
        return [
            ((ns, name), orjson.loads(prev) if prev is not None else None)
            for ns, name, prev in cursor.fetchall()
        ]

    # -- watch --

    def _make_reader(self) -> _SqlLogReader:
        return _SqlLogReader(self.using, self._poll_interval)

    def watch(
        self,
        kind: str,
        namespace: str | None = None,
        *,
        from_revision: int | None = None,
        label_selector: LabelSelector | None = None,
        field_selector: FieldSelector | None = None,
        send_initial_events: bool = False,
        bookmarks: bool = False,
    ) -> HubWatcher:
        self.fields.check(kind, field_selector)
        spec = WatchSpec(kind, namespace, label_selector, field_selector, bookmarks)
        after = self.current_revision() if from_revision is None else from_revision
        initial: _Events = []
        if send_initial_events:
            query = _ListQuery(kind, namespace, label_selector, field_selector, 0)
            try:
                snapshot = self._list_at(query, after, None, continue_token=False)
            except Expired:
                snapshot = None
            if snapshot is not None:
                initial = [{"type": "ADDED", "object": obj} for obj in snapshot.items]
                if bookmarks:
                    initial.append(bookmark(kind, after, initial_events_end=True))
        return self._hub.subscribe(spec, after, _SqlLogReader(self.using, 0.0), initial)

    # -- compaction --

    def compact(self, revision: int) -> None:
        # Move the mark first, in a short transaction: readers check it after reading, so
        # from here on nobody relies on the events below it. Deleting them can then take its
        # time without holding the revision counter that every writer needs.
        with transaction.atomic(using=self.using), connections[self.using].cursor() as cursor:
            cursor.execute(
                "UPDATE store_meta SET compacted = %s WHERE id = 1 AND compacted < %s "
                "AND revision >= %s",
                [revision, revision, revision],
            )
        with connections[self.using].cursor() as cursor:
            cursor.execute(
                "DELETE FROM store_event WHERE revision <= "
                "(SELECT compacted FROM store_meta WHERE id = 1)"
            )

    def compact_older_than(self, seconds: float) -> int:
        with connections[self.using].cursor() as cursor:
            cursor.execute(
                "SELECT MAX(revision) FROM store_event WHERE created_at < %s",
                [time.time() - seconds],
            )
            row = cursor.fetchone()
        if row and row[0] is not None:
            self.compact(int(row[0]))
        return self.compacted_revision()

    def close(self) -> None:
        self._hub.close()
        self._async_connections.close()


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Decoding a big list allocates many containers and none of them are garbage; with the
    cyclic collector running, it re-walks the growing result again and again (measured: 10,000
    pods decode 2.7x slower). Reference counting still frees everything as usual."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _read_heads(using: str) -> tuple[int, int]:
    """(current revision, compacted revision), on the calling thread's connection."""
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT revision, compacted FROM store_meta WHERE id = 1")
        row = cursor.fetchone()
    return (int(row[0]), int(row[1])) if row else (0, 0)


def _too_old(revision: int, continue_token: bool) -> str:
    if continue_token:
        return (
            "The provided continue parameter is too old to display a consistent list result. "
            "You can start a new list without the continue parameter."
        )
    return f"too old resource version: {revision}"


class _Planned:
    """One write of a batch: what it will write (``write``, None for nothing) and what its
    caller gets back (``result``), decided against the object as last known."""

    def __init__(self, source: BatchWrite, result: Object | StoreError, write: Write | None):
        self.source = source
        self.key = source.key
        self.result = result
        self.write = write
        self.expected = 0
        """The revision the decision assumed; none is 0: a create expects no row at all."""

    def decide(self, store: SqlStore, current: Object, current_raw: str) -> None:
        """Decide an update against ``current`` (its JSON text ``current_raw``)."""
        update = cast(Update, self.source)
        self.expected = _parse_revision(str(current["metadata"]["resourceVersion"]))
        self.write = None
        try:
            store._check(self.key, current, update.preconditions)
            new = store._updated(self.key, current, update.try_update)
        except StoreError as exc:
            self.result = exc
            return
        if new is None:
            self.result = current
            return
        self.result = new
        labels, fields = store._columns(self.key, new)
        self.write = Write(
            "MODIFIED", self.key, template(new), current_raw, labels, fields, "", self.expected
        )

    def settle(self, store: SqlStore, found: Current | None) -> None:
        """Decide again if the row is not what the first decision assumed (``found``: the row
        as it is, under the batch's lock; None if there is none)."""
        if isinstance(self.source, Create):
            if found is not None:
                self.result, self.write = _already_exists(self.key), None
        elif found is None:
            self.result, self.write = _not_found(self.key), None
        elif found.data is not None:
            self.decide(store, orjson.loads(found.data), found.data)

    def stored(self, revision: int) -> None:
        """The write committed as ``revision``; ``result`` is the object it wrote."""
        cast(Object, self.result)["metadata"]["resourceVersion"] = str(revision)


class _ListQuery:
    """The parts of a list request that every page repeats."""

    def __init__(
        self,
        kind: str,
        namespace: str | None,
        labels: LabelSelector | None,
        fields: FieldSelector | None,
        limit: int,
    ) -> None:
        self.kind = kind
        self.namespace = namespace
        self.labels = labels
        self.fields = fields
        self.limit = limit

    def scope(self, alias: str, start: tuple[str, str] | None) -> tuple[str, list[Any]]:
        clauses = [f"{alias}.kind = %s"]
        params: list[Any] = [self.kind]
        if self.namespace is not None:
            clauses.append(f"{alias}.namespace = %s")
            params.append(self.namespace)
        if start is not None:
            clauses.append(f"({alias}.namespace, {alias}.name) > (%s, %s)")
            params.extend(start)
        return " AND ".join(clauses), params

    def matches(self, obj: Object, index: FieldIndex) -> bool:
        if self.labels and not self.labels.matches((obj.get("metadata") or {}).get("labels") or {}):
            return False
        return not self.fields or self.fields.matches(index.fields_of(self.kind, obj))


class _SqlLogReader:
    """Reads the event log on the calling thread's Django connection; LISTENs on PostgreSQL."""

    def __init__(self, using: str, poll_interval: float) -> None:
        self.using = using
        self._poll = poll_interval
        self._poked = threading.Event()
        self._listener: Any = None
        if poll_interval and connections[using].vendor == "postgresql":
            self._listener = _listen(using)

    def read_after(self, revision: int, limit: int) -> list[LogEntry]:
        with connections[self.using].cursor() as cursor:
            cursor.execute(
                "SELECT revision, type, kind, namespace, name, object, prev_object "
                "FROM store_event WHERE revision > %s ORDER BY revision LIMIT %s",
                [revision, limit],
            )
            rows = cursor.fetchall()
        # The object stays JSON text (see LogEntry); names repeated on every row are interned.
        return [
            LogEntry(int(r[0]), r[1], intern(r[2]), intern(r[3]), r[4], r[5].encode(), r[6])
            for r in rows
        ]

    def heads(self) -> tuple[int, int]:
        return _read_heads(self.using)

    def wait(self, timeout: float) -> None:
        if self._listener is not None:
            for _ in self._listener.notifies(timeout=timeout, stop_after=1):
                pass
            return
        self._poked.wait(timeout)
        self._poked.clear()

    def nudge(self) -> None:
        self._poked.set()

    def interrupt(self) -> None:
        self._poked.set()
        if self._listener is not None:
            with connections[self.using].cursor() as cursor:
                cursor.execute("SELECT pg_notify(%s, %s)", [NOTIFY_CHANNEL, "wake"])

    def close(self) -> None:
        if self._listener is not None:
            self._listener.close()
        connections[self.using].close()


def _listen(using: str) -> Any:
    import psycopg

    conn = psycopg.connect(**connection_kwargs(using, "pilothouse-store-watch"))
    conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
    return conn
