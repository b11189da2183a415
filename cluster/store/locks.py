"""Expiring named locks in the store's database, as etcd's concurrency package offers on leases.

The controllers use them so that two workers never reconcile the same key at once: a
reconcile that creates pods must not run beside another that read the same state, or both
would create the missing pods. A lock is a row in ``store_lock``; taking it is one upsert that
succeeds only when the row is absent, expired or already ours, so it works the same on
PostgreSQL and SQLite and needs no session-bound state (any pooled connection will do). The
expiry bounds how long a crashed holder can keep a key from being worked on.

A worker that finds a key taken marks it dirty instead of waiting, as client-go's work queue
does: the holder learns on release that the key changed while it worked, and looks again.
"""

from __future__ import annotations

import time

from django.db import connections

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
