"""PostgreSQL connections for writes made from an event loop (``SqlStore.acreate``).

The API serves requests on asyncio, and its sync code runs on threads: a create that hops to
a thread for its write and back costs about a quarter of a millisecond more worker CPU than
the write itself (thread wake-ups and GIL hand-overs; bench/api.py). ``acreate`` sends the very
statement ``create`` sends (``writes.postgresql_statement``), on an asyncio psycopg
connection, so that a create never leaves the loop.

At most ``MAX_OPEN`` connections per event loop, kept open between writes (a connection
belongs to the loop it was opened on). Each is checked as it is taken, without a round trip:
an idle PostgreSQL session receives nothing unless the server ends it (a restart, a
terminated backend), so one whose socket is readable is closed and another taken. One that
comes back broken, or inside a transaction, is closed rather than kept.
"""

from __future__ import annotations

import asyncio
import contextlib
import select
import threading
import weakref
from collections.abc import AsyncIterator
from typing import Any

import psycopg
from django.db import connections

# Connections open at once per event loop, in use or idle. Writes beyond it wait for one
# (each is a millisecond or two), so that a burst of creates cannot exhaust PostgreSQL's
# connections: the sync threads (cluster.api.views.SYNC_THREADS) are as many.
MAX_OPEN = 8

# What these connections call themselves in pg_stat_activity.
APPLICATION_NAME = "pilothouse-store-writes"


def connection_kwargs(using: str, application_name: str) -> dict[str, Any]:
    """psycopg.connect arguments for the database of Django alias ``using``, autocommit."""
    settings = connections[using].settings_dict
    return {
        "application_name": application_name,
        "dbname": settings["NAME"],
        "user": settings.get("USER") or None,
        "password": settings.get("PASSWORD") or None,
        "host": settings.get("HOST") or None,
        "port": settings.get("PORT") or None,
        "connect_timeout": (settings.get("OPTIONS") or {}).get("connect_timeout", 10),
        "autocommit": True,
    }


class _LoopConnections:
    """One event loop's connections: the idle ones, and a slot for each that may be open."""

    def __init__(self, max_open: int) -> None:
        self.idle: list[psycopg.AsyncConnection[Any]] = []
        self.slots = asyncio.Semaphore(max_open)


class AsyncConnections:
    """At most ``max_open`` asyncio connections to one database per event loop, kept open
    between writes."""

    def __init__(self, using: str, *, max_open: int = MAX_OPEN) -> None:
        self._using = using
        self._max_open = max_open
        self._lock = threading.Lock()  # loops on several threads may share this object
        self._loops: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopConnections] = (
            weakref.WeakKeyDictionary()
        )

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
        """An open connection of the running loop's, given back (or closed) afterwards."""
        mine = self._of(asyncio.get_running_loop())
        async with mine.slots:
            conn = await self._take(mine)
            try:
                yield conn
            finally:
                await self._give_back(mine, conn)

    def _of(self, loop: asyncio.AbstractEventLoop) -> _LoopConnections:
        with self._lock:
            mine = self._loops.get(loop)
            if mine is None:
                mine = self._loops[loop] = _LoopConnections(self._max_open)
            return mine

    async def _take(self, mine: _LoopConnections) -> psycopg.AsyncConnection[Any]:
        while mine.idle:
            conn = mine.idle.pop()
            if not _server_hung_up(conn):
                return conn
            await conn.close()
        return await self._connect()

    async def _connect(self) -> psycopg.AsyncConnection[Any]:
        return await psycopg.AsyncConnection.connect(
            **connection_kwargs(self._using, APPLICATION_NAME)
        )

    async def _give_back(self, mine: _LoopConnections, conn: psycopg.AsyncConnection[Any]) -> None:
        reusable = (
            not conn.closed
            and not conn.broken
            and conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
        )
        if reusable:
            mine.idle.append(conn)
        else:
            await conn.close()

    def close(self) -> None:
        """Close every idle connection, of every loop, from any thread (``SqlStore.close``)."""
        with self._lock:
            idle = [conn for mine in self._loops.values() for conn in mine.idle]
            for mine in self._loops.values():
                mine.idle.clear()
        for conn in idle:
            # The sockets' own loops may be gone: end the sessions without them.
            conn.pgconn.finish()


def _server_hung_up(conn: psycopg.AsyncConnection[Any]) -> bool:
    """True if an idle connection has bytes waiting (the server's goodbye) or is closed."""
    if conn.closed or conn.broken:
        return True
    poller = select.poll()
    poller.register(conn.pgconn.socket, select.POLLIN)
    return bool(poller.poll(0))
