"""Expiring named locks in the store's database, as etcd's concurrency package offers on leases.

The controllers use them so that two workers never reconcile the same key at once: a
reconcile that creates pods must not run beside another that read the same state, or both
would create the missing pods. A lock is a row in ``store_lock``; taking it is one upsert that
succeeds only when the row is absent, expired or already ours, so it works the same on
PostgreSQL and SQLite and needs no session-bound state (any pooled connection will do). The
expiry bounds how long a crashed holder can keep a key from being worked on.

So that bound can be short without cutting off a holder that merely works long, a holder keeps
its lock alive while it works (``Locks.kept``): one thread per process renews every kept lock
a few times per time to live, as etcd's sessions keep their leases alive. A process that dies
stops renewing, and its keys are free again within one time to live.

A worker that finds a key taken marks it dirty instead of waiting, as client-go's work queue
does: the holder learns on release that the key changed while it worked, and looks again.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connections

log = logging.getLogger(__name__)

_ACQUIRE = (
    "INSERT INTO store_lock (name, holder, expires_at, dirty) VALUES (%s, %s, %s, FALSE) "
    "ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, "
    "expires_at = excluded.expires_at, "
    # A renewal keeps the mark; a takeover starts clean (the new holder reads fresh state).
    "dirty = CASE WHEN store_lock.holder = excluded.holder THEN store_lock.dirty ELSE FALSE END "
    "WHERE store_lock.expires_at < %s OR store_lock.holder = excluded.holder"
)
_MARK = "UPDATE store_lock SET dirty = TRUE WHERE name = %s AND expires_at >= %s"
_RELEASE = "DELETE FROM store_lock WHERE name = %s AND holder = %s RETURNING dirty"
# Only a lock still held: a renewal must never bring back one released meanwhile.
_RENEW = (
    "UPDATE store_lock SET expires_at = %s WHERE name = %s AND holder = %s AND expires_at >= %s"
)
# Renewals per time to live: two can fail (a busy database) before the lock expires.
RENEWALS_PER_TTL = 3


class Locks:
    """Named locks with a time to live, held by an opaque ``holder`` string."""

    def __init__(self, using: str = "default") -> None:
        self.using = using

    def acquire(self, name: str, *, holder: str, ttl: float) -> bool:
        """Take (or renew) ``name`` for ``ttl`` seconds; False if someone else holds it."""
        now = time.time()
        with connections[self.using].cursor() as cursor:
            cursor.execute(_ACQUIRE, [name, holder, now + ttl, now])
            acquired: bool = cursor.rowcount == 1
            return acquired

    def mark_dirty(self, name: str) -> bool:
        """Tell the holder of ``name`` to look again when done; False if nobody holds it."""
        with connections[self.using].cursor() as cursor:
            cursor.execute(_MARK, [name, time.time()])
            marked: bool = cursor.rowcount == 1
            return marked

    def release(self, name: str, *, holder: str) -> bool:
        """Give ``name`` up if ``holder`` still holds it; whether it was marked dirty."""
        with connections[self.using].cursor() as cursor:
            cursor.execute(_RELEASE, [name, holder])
            row = cursor.fetchone()
            return bool(row and row[0])

    def renew(self, name: str, *, holder: str, ttl: float) -> bool:
        """Extend ``holder``'s hold on ``name`` to ``ttl`` seconds from now; False if it no
        longer holds it (released, or expired and perhaps taken over)."""
        now = time.time()
        with connections[self.using].cursor() as cursor:
            cursor.execute(_RENEW, [now + ttl, name, holder, now])
            renewed: bool = cursor.rowcount == 1
            return renewed

    @contextmanager
    def kept(self, name: str, *, holder: str, ttl: float) -> Iterator[None]:
        """Keep ``holder``'s lock on ``name`` (taken with ``acquire``) alive for as long as the
        block runs, renewing it for ``ttl`` seconds every ``ttl / RENEWALS_PER_TTL``."""
        _KEEPER.add(self, name, holder, ttl)
        try:
            yield
        finally:
            _KEEPER.remove(name, holder)


@dataclass
class _Kept:
    locks: Locks
    ttl: float
    due: float  # time.monotonic() of the next renewal


class _Keeper:
    """The process's renewal thread, started with the first kept lock (in the process that
    keeps it: a forked worker starts its own)."""

    def __init__(self) -> None:
        self._kept: dict[tuple[str, str], _Kept] = {}
        self._lock = threading.Lock()
        self._changed = threading.Event()
        self._pid = 0

    def add(self, locks: Locks, name: str, holder: str, ttl: float) -> None:
        with self._lock:
            due = time.monotonic() + ttl / RENEWALS_PER_TTL
            self._kept[(name, holder)] = _Kept(locks, ttl, due)
            if self._pid != os.getpid():
                self._pid = os.getpid()
                threading.Thread(target=self._run, name="store-lock-keeper", daemon=True).start()
        self._changed.set()

    def remove(self, name: str, holder: str) -> None:
        with self._lock:
            self._kept.pop((name, holder), None)

    def _run(self) -> None:
        while True:
            self._changed.wait(self._wait())
            self._changed.clear()
            self._renew_due()

    def _wait(self) -> float | None:
        with self._lock:
            if not self._kept:
                return None
            return max(0.0, min(k.due for k in self._kept.values()) - time.monotonic())

    def _renew_due(self) -> None:
        now = time.monotonic()
        with self._lock:
            due = [(key, kept) for key, kept in self._kept.items() if kept.due <= now]
        for (name, holder), kept in due:
            kept.due = now + kept.ttl / RENEWALS_PER_TTL
            try:
                if not kept.locks.renew(name, holder=holder, ttl=kept.ttl):
                    log.warning("lost lock %s of %s before its holder was done", name, holder)
            except Exception:  # the database is down: try again at the next round
                log.exception("could not renew lock %s", name)
        if due:
            # Give the connection back between rounds rather than hold one for good.
            connections.close_all()


_KEEPER = _Keeper()
