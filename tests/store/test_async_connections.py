"""The connections ``SqlStore.acreate`` writes on: kept open between writes, and replaced,
without a failed write, when PostgreSQL has ended one meanwhile (a restart, a terminated
backend)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import psycopg
import pytest

from cluster.store.aio import APPLICATION_NAME, MAX_OPEN, AsyncConnections, connection_kwargs
from cluster.store.sql import SqlStore
from tests.store.support import pod, pod_key

pytestmark = pytest.mark.django_db(transaction=True)

WRITERS = (
    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = %s"
)
TERMINATE_WAIT_MS = 5_000


def admin_query(sql: str, params: list[object]) -> list[tuple[object, ...]]:
    """Run ``sql`` on a short-lived connection of its own: callable from inside the event
    loop, where Django refuses its connections."""
    with psycopg.connect(**connection_kwargs("default", "pilothouse-test")) as conn:
        return conn.execute(sql, params).fetchall()


def writer_sessions() -> list[int]:
    return [int(str(row[0])) for row in admin_query(WRITERS, [APPLICATION_NAME])]


def end_sessions(pids: list[int]) -> None:
    """Terminate the sessions, waiting (bounded) until PostgreSQL reports each gone."""
    for pid in pids:
        admin_query("SELECT pg_terminate_backend(%s, %s)", [pid, TERMINATE_WAIT_MS])


def test_writes_one_after_another_share_one_connection(pg_store: SqlStore) -> None:
    async def writes() -> list[int]:
        await pg_store.acreate(pod_key("a"), pod("a"))
        first = writer_sessions()
        await pg_store.acreate(pod_key("b"), pod("b"))
        return first + writer_sessions()

    sessions = asyncio.run(writes())

    assert len(sessions) == 2
    assert sessions[0] == sessions[1]


def test_a_connection_the_server_ended_is_replaced_before_the_next_write(
    pg_store: SqlStore,
) -> None:
    async def writes() -> tuple[list[int], list[int]]:
        await pg_store.acreate(pod_key("a"), pod("a"))
        ended = writer_sessions()
        end_sessions(ended)
        # The server's goodbye reaches the idle socket a moment after the backend is gone.
        await asyncio.sleep(0.2)
        await pg_store.acreate(pod_key("b"), pod("b"))
        return ended, writer_sessions()

    ended, now = asyncio.run(writes())

    assert len(ended) == 1
    assert len(now) == 1
    assert now != ended
    assert [p["metadata"]["name"] for p in pg_store.list("Pod").items] == ["a", "b"]


def test_closing_the_store_ends_its_kept_connections(pg_store: SqlStore) -> None:
    loop = asyncio.new_event_loop()  # alive throughout, as an API worker's loop is
    try:
        loop.run_until_complete(pg_store.acreate(pod_key("a"), pod("a")))
        assert len(writer_sessions()) == 1

        pg_store.close()
    finally:
        loop.close()

    deadline = time.monotonic() + 5
    while writer_sessions() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert writer_sessions() == []


def test_a_burst_of_writes_opens_no_more_than_max_open_connections(
    pg_store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[object] = []
    connect = AsyncConnections._connect

    async def counted(self: AsyncConnections) -> Any:
        conn = await connect(self)
        opened.append(conn)
        return conn

    monkeypatch.setattr(AsyncConnections, "_connect", counted)
    burst = 5 * MAX_OPEN

    async def writes() -> None:
        await asyncio.gather(
            *(pg_store.acreate(pod_key(f"p{i}"), pod(f"p{i}")) for i in range(burst))
        )

    asyncio.run(writes())

    assert 1 <= len(opened) <= MAX_OPEN
    assert len(pg_store.list("Pod").items) == burst
