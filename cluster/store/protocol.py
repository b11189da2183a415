"""The Store protocol: what the rest of Pilothouse may ask of its etcd stand-in.

It mirrors kube-apiserver's ``storage.Interface`` (Create, Get, GetList, GuaranteedUpdate,
Delete, Watch, plus compaction). Everything above this module is storage-agnostic: the
registry, controllers and API only ever see these methods, the types in ``types.py`` and the
errors in ``errors.py``.

Revisions: every committed write gets the next value of one global counter. That value is the
object's ``metadata.resourceVersion`` (a decimal string) and the key of the write's row in the
event log; writes become visible strictly in revision order and the log has no gaps.
"""

from __future__ import annotations

import builtins
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Protocol

from cluster.store.errors import StoreError
from cluster.store.selectors import FieldSelector, LabelSelector
from cluster.store.types import (
    BatchWrite,
    EventType,
    Key,
    ListResult,
    Object,
    Preconditions,
    ResourceVersionMatch,
    UpdateFunc,
    WatchEvent,
)


class Watch(Protocol):
    """A stream of events in revision order, consumed from threads or from asyncio.

    The stream ends after an ERROR event (for example 410 Expired, or "too slow") or after
    ``stop()``. Events are shared between watchers: treat their objects as read-only.
    """

    def next_event(self, timeout: float | None = None) -> WatchEvent | None:
        """The next event; None if none came within ``timeout`` or the stream has ended."""

    async def anext_event(self, timeout: float | None = None) -> WatchEvent | None:
        """``next_event`` for asyncio code: waits without blocking the event loop."""

    async def anext_batch(self, timeout: float | None = None) -> list[WatchEvent]:
        """Every event queued so far, waiting up to ``timeout`` for the first; [] if none."""

    async def anext_encoded_batch(
        self, timeout: float | None = None
    ) -> list[tuple[EventType, bytes]]:
        """``anext_batch`` with each event as its type and its object's JSON text.

        For consumers that only forward events (the API's watch streams): an object the event
        log holds as JSON text comes out as that text, shared by every watcher, without being
        decoded and encoded again for each of them.
        """

    @property
    def stopped(self) -> bool:
        """True once the stream has ended and every queued event has been taken."""

    def stop(self) -> None:
        """End the stream and release its resources; idempotent."""

    def __iter__(self) -> Iterator[WatchEvent]: ...

    def __aiter__(self) -> AsyncIterator[WatchEvent]: ...


class Store(Protocol):
    """Typed, revisioned object storage with optimistic concurrency and watch."""

    def create(self, key: Key, obj: Object, *, within: Key | None = None) -> Object:
        """Store a new object; assign uid, creationTimestamp and resourceVersion.

        Raises AlreadyExists if the key is taken. Returns the stored object. With ``within``
        (an object's namespace), the create happens only while that object exists and is not
        terminating (no ``metadata.deletionTimestamp``, no ``status.phase`` Terminating),
        decided in the same transaction: otherwise ParentNotFound or ParentTerminating, which
        come before AlreadyExists, as namespace lifecycle admission comes before storage.
        """

    async def acreate(self, key: Key, obj: Object, *, within: Key | None = None) -> Object:
        """``create`` for code on an event loop: the same write, awaited without a thread."""

    def get(self, key: Key, *, resource_version: str = "") -> Object:
        """Read one object. ``resource_version``: "" latest, "0" any, "N" not older than N.

        Raises NotFound, TooLargeResourceVersion (N newer than the store), BadRequest (not a
        number).
        """

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
        """List a kind (in one namespace, or all when ``namespace`` is None), ordered by key.

        Selectors are evaluated in SQL. With ``limit`` the result is paginated; every page of
        one list is read at the revision of its first page, so pages form one snapshot, and a
        continue token older than the compacted revision raises Expired. ``resource_version``
        with match "Exact" reads history at that revision (Expired if compacted); "" or
        "NotOlderThan" serve the latest state, refusing N newer than the store.
        """

    def guaranteed_update(
        self,
        key: Key,
        try_update: UpdateFunc,
        *,
        preconditions: Preconditions | None = None,
        cached: Object | None = None,
    ) -> Object:
        """Compare-and-swap update, retrying ``try_update`` on a newer copy when it loses a race.

        ``cached``, a copy of the object as stored at some revision (as a caller that just
        listed it has), saves the first read, as kube's ``cachedExistingObject`` does: when it
        is stale the first attempt loses and the next one reads the current object.

        ``try_update`` receives a private deep copy of the current object and returns the new
        one, or raises to abort (its exception propagates). A precondition that no longer holds
        raises Conflict. An update that changes nothing writes nothing and returns the current
        object. uid, creationTimestamp, name and namespace cannot be changed by an update.
        Raises NotFound if the object does not exist.
        """

    def write_batch(self, writes: Sequence[BatchWrite]) -> builtins.list[Object | StoreError]:
        """Commit ``writes`` (creates and updates of distinct keys) in one transaction.

        Each write succeeds or fails on its own, exactly as ``create`` or ``guaranteed_update``
        would alone, and the result at its index says which: the stored object, or the
        StoreError it would have raised (AlreadyExists, NotFound, Conflict, or one that
        ``try_update`` raised). Every successful write gets its own revision and watch event,
        in the order of ``writes``; the failures write nothing. What the batch saves is the
        transactions: one commit (one log flush) for all of them. An update's ``cached`` copy
        saves its read when current; a stale one costs nothing but a read (no lost race: the
        batch decides against the current state). Any other exception (from ``try_update``,
        or the database) aborts the whole batch, which then writes nothing. Raises ValueError
        if two writes name the same key. Meant for batches of tens to hundreds of writes: the
        batch holds the revision counter, and so every other writer, until it commits.
        """

    def delete(self, key: Key, *, preconditions: Preconditions | None = None) -> Object:
        """Remove an object if its preconditions hold (Conflict otherwise; NotFound if absent).

        Returns the object as it was, carrying the revision of its deletion.
        """

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
    ) -> Watch:
        """Stream the changes to a kind after ``from_revision`` (None: after the current one).

        With ``send_initial_events`` the stream first replays the matching objects as ADDED
        (read at ``from_revision``, or at the current revision when None); if ``bookmarks`` is
        set too, a BOOKMARK annotated ``k8s.io/initial-events-end: "true"`` marks its end.
        With selectors, an object that starts matching arrives as ADDED and one that stops
        matching as DELETED, as kube-apiserver's watch cache does. ``bookmarks`` also asks for
        periodic BOOKMARK events carrying the latest revision. A revision older than the
        compacted one gives a single ERROR event with a 410 Expired Status.
        """

    def current_revision(self) -> int:
        """The revision of the newest committed write (0 for an empty store)."""

    def compacted_revision(self) -> int:
        """The newest revision whose history has been discarded (0 if none)."""

    def compact(self, revision: int) -> None:
        """Discard the event history up to and including ``revision``."""

    def compact_older_than(self, seconds: float) -> int:
        """Discard history older than ``seconds``; return the new compacted revision."""

    def close(self) -> None:
        """Stop background work (the watch listener); safe to call twice."""
