"""PostgreSQL connections for writes made from an event loop (``SqlStore.acreate``).

The API serves requests on asyncio, and its sync code runs on threads: a create that hops to
a thread for its write and back costs about a quarter of a millisecond more worker CPU than
the write itself (thread wake-ups and GIL hand-overs; bench/api.py). ``acreate`` sends the very
statement ``create`` sends (``writes.postgresql_statement``), on an asyncio psycopg
connection, so that a create never leaves the loop.

A few connections per event loop are kept open between writes (a connection belongs to the
loop it was opened on). Each is checked as it is taken, without a round trip: an idle
PostgreSQL session receives nothing unless the server ends it (a restart, a terminated
backend), so one whose socket is readable is closed and another taken. One that comes back
broken, or inside a transaction, is closed rather than kept.
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

# Connections kept idle per event loop: as many as the API's in-flight creates usually are.
KEEP_IDLE = 8


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


class AsyncConnections:
    """Idle asyncio connections to one database, kept per event loop."""

    def __init__(self, using: str, *, keep: int = KEEP_IDLE) -> None:
        self._using = using
        self._keep = keep
        self._lock = threading.Lock()  # loops on several threads may share this object
        self._idle: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, list[psycopg.AsyncConnection[Any]]
        ] = weakref.WeakKeyDictionary()

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
        """An open connection of the running loop's, given back (or closed) afterwards."""
        loop = asyncio.get_running_loop()
        conn = await self._take(loop)
        try:
            yield conn
        finally:
            await self._give_back(loop, conn)

    async def _take(self, loop: asyncio.AbstractEventLoop) -> psycopg.AsyncConnection[Any]:
        while True:
            with self._lock:
                idle = self._idle.get(loop)
                conn = idle.pop() if idle else None
            if conn is None:
                return await psycopg.AsyncConnection.connect(
                    **connection_kwargs(self._using, APPLICATION_NAME)
                )
            if not _server_hung_up(conn):
                return conn
            await conn.close()

    async def _give_back(
        self, loop: asyncio.AbstractEventLoop, conn: psycopg.AsyncConnection[Any]
    ) -> None:
        reusable = (
            not conn.closed
            and not conn.broken
            and conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
        )
        if reusable:
            with self._lock:
                idle = self._idle.setdefault(loop, [])
                if len(idle) < self._keep:
                    idle.append(conn)
                    return
        await conn.close()

    def close(self) -> None:
        """Close every idle connection, of every loop, from any thread (``SqlStore.close``)."""
        with self._lock:
            idle = [conn for conns in self._idle.values() for conn in conns]
            self._idle.clear()
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
