"""Database connections that the API's sync threads keep from one request to the next.

Django frames a request with ``request_started`` and ``request_finished``, and with the
connection pool (``CONN_MAX_AGE`` 0, see cluster/dburl.py) each request borrows a pooled
connection on its first query and gives it back at the end: a pool checkout, the pool's
liveness query, Django's connection set-up and two signals, every request. The API's sync
threads (``views.SYNC_POOL``) live as long as their process, so each keeps the connection it
borrowed, as a store client outside any request does, and a request pays none of that
(bench/api.py: about 0.15 ms of worker CPU per pod create, and one round trip).

What the per-request checkout protected against is checked here instead, more cheaply:

- before a request, a kept connection whose socket is readable is given back. An idle
  PostgreSQL session receives nothing unless the server ends it (a restart, a terminated
  backend): the pending bytes are its goodbye. The next query borrows a fresh connection, and
  the pool tests that one (``CONN_HEALTH_CHECKS``) before handing it out;
- after a request, Django's own rules (``close_if_unusable_or_obsolete``) less the age limit:
  a connection left outside autocommit, or one that saw a database error and no longer
  answers, is given back.
"""

from __future__ import annotations

import select
from typing import Any

from django.db import connections


def drop_if_hung_up() -> None:
    """Give back each kept connection that the server has closed meanwhile."""
    for conn in connections.all(initialized_only=True):
        if conn.connection is not None and _server_spoke(conn.connection):
            conn.close()


def drop_if_unusable() -> None:
    """Give back each kept connection that this request left unfit for the next one."""
    for conn in connections.all(initialized_only=True):
        if conn.connection is None:
            continue
        if conn.get_autocommit() != conn.settings_dict["AUTOCOMMIT"]:
            conn.close()
        elif conn.errors_occurred:
            if conn.is_usable():
                conn.errors_occurred = False
            else:
                conn.close()


def _server_spoke(raw: Any) -> bool:
    """True if a PostgreSQL connection has bytes waiting while no query is running."""
    pgconn = getattr(raw, "pgconn", None)
    if pgconn is None:  # SQLite: nothing on the other side to hang up
        return False
    try:
        fileno = pgconn.socket
    except Exception:  # psycopg raises OperationalError once the connection is closed
        return True
    poller = select.poll()
    poller.register(fileno, select.POLLIN)
    return bool(poller.poll(0))
