"""The watch hub outlives its database connection: nothing written meanwhile is lost.

The hub follows the event log over a LISTEN connection of its own. PostgreSQL may end that
connection at any time (a restart, a failover, an administrator, ``DROP DATABASE ... FORCE``).
The log is durable, so the hub reconnects and reads on from where it was: every open watch
sees every change, and so does every watch opened later in the process. A hub that gave up
instead left the process deaf: later watches registered with nobody to feed them and heard
nothing, ever, not even a 410 that would have made their clients relist.
"""

from __future__ import annotations

import time

import pytest
from django.db import connections

from cluster.store.sql import SqlStore
from tests.store.support import bind_to, in_thread, pod, pod_key, take_changes, typed

pytestmark = pytest.mark.django_db(transaction=True)

LISTENERS = (
    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
    "AND pid <> pg_backend_pid() AND query LIKE 'LISTEN %%'"
)
TERMINATE_WAIT = 5.0


@pytest.fixture
def store(pg_store: SqlStore) -> SqlStore:
    return pg_store


def end_the_hubs_database_sessions() -> int:
    """Terminate every LISTEN session on the test database (the hubs'); how many there were.

    Waits (bounded) until PostgreSQL reports them gone."""
    with connections["default"].cursor() as cursor:
        cursor.execute(LISTENERS)
        pids = [row[0] for row in cursor.fetchall()]
        for pid in pids:
            cursor.execute("SELECT pg_terminate_backend(%s, %s)", [pid, int(TERMINATE_WAIT * 1000)])
    return len(pids)


def test_an_open_watch_sees_what_was_written_while_the_hub_reconnected(
    store: SqlStore,
) -> None:
    watch = store.watch("Pod", from_revision=store.current_revision(), bookmarks=True)
    try:
        assert end_the_hubs_database_sessions() >= 1
        # Written through another connection, as another API process would.
        created = in_thread(lambda: store.create(pod_key("web"), pod("web")))
        bound = in_thread(lambda: store.guaranteed_update(pod_key("web"), bind_to("node-a")))

        events = take_changes(watch, 2)

        assert [e["type"] for e in events] == ["ADDED", "MODIFIED"]
        assert [e["object"] for e in events] == [created, bound]
    finally:
        watch.stop()


def test_a_watch_opened_after_the_hub_lost_its_connection_is_fed(store: SqlStore) -> None:
    first = store.watch("Pod", from_revision=store.current_revision())
    first.stop()
    assert end_the_hubs_database_sessions() >= 1
    time.sleep(0.5)  # the hub has noticed; a watch opened now meets the reconnecting hub
    start = store.current_revision()
    watch = store.watch("Pod", from_revision=start, bookmarks=True)
    try:
        in_thread(lambda: store.create(pod_key("late"), pod("late")))

        events = take_changes(watch, 1)

        assert typed(events) == [("ADDED", "late", start + 1)]
    finally:
        watch.stop()
