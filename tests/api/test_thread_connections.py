"""The API's sync threads keep their database connection from one request to the next, and
drop it before a request when the server has ended it, or after one that spoiled it
(``cluster.api.threadconn``)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import connection, connections

from cluster.api.views import _SyncPool

pytestmark = pytest.mark.django_db(transaction=True)

TERMINATE_WAIT_MS = 5_000


@pytest.fixture
def pool() -> Iterator[_SyncPool]:
    """One long-lived thread, as each of ``SYNC_POOL``'s; its connection closed afterwards."""
    threads = _SyncPool(1)
    try:
        yield threads
    finally:
        on_thread(threads, connections.close_all)


def on_thread(threads: _SyncPool, fn: Callable[[], Any]) -> Any:
    return asyncio.run(threads.run(fn))


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid: int = cursor.fetchone()[0]
        return pid


def terminate(pid: int) -> None:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s, %s)", [pid, TERMINATE_WAIT_MS])


def test_a_thread_keeps_its_connection_from_one_request_to_the_next(pool: _SyncPool) -> None:
    assert on_thread(pool, backend_pid) == on_thread(pool, backend_pid)


def test_a_connection_the_server_ended_is_dropped_before_the_next_request(
    pool: _SyncPool,
) -> None:
    first = on_thread(pool, backend_pid)
    terminate(first)

    second = on_thread(pool, backend_pid)  # no error: the dead connection was never used

    assert second != first


def test_a_connection_left_in_a_transaction_is_not_kept(pool: _SyncPool) -> None:
    def leave_a_transaction_open() -> None:
        connection.set_autocommit(False)
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('pilothouse.left', 'open', true)")

    def transaction_setting() -> str | None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('pilothouse.left', true)")
            value: str | None = cursor.fetchone()[0]
            return value

    on_thread(pool, leave_a_transaction_open)

    assert on_thread(pool, connection.get_autocommit) is True
    assert on_thread(pool, transaction_setting) in (None, "")


def test_a_connection_that_failed_and_still_answers_is_kept(pool: _SyncPool) -> None:
    def fail_a_query() -> int:
        pid = backend_pid()
        with pytest.raises(Exception, match="does not exist"), connection.cursor() as cursor:
            cursor.execute("SELECT * FROM pilothouse_no_such_table")
        assert connection.errors_occurred
        return pid

    failed_on = on_thread(pool, fail_a_query)

    assert on_thread(pool, backend_pid) == failed_on
    assert on_thread(pool, lambda: connection.errors_occurred) is False
