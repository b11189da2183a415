"""The three writes (create, update, delete) as SQL, one transaction each, per backend; and
batches of creates and updates in one transaction (``Batch``).

Every write bumps the revision counter row, changes ``store_object`` and appends to
``store_event`` in one transaction; holding the counter's row lock until commit is what makes
commits happen in revision order. The object's JSON must carry its own revision, which is only
known once the counter is bumped, so it is built as a template whose revision is a marker
character (``\\x01``) that cannot occur in JSON text otherwise (the encoder escapes control
characters) and is substituted on the way in. The marker is first written as a random nonce
and then swapped in, so no value a client sent can be mistaken for it.

On PostgreSQL each write is a single statement (data-modifying CTEs plus ``pg_notify``) run
in autocommit mode, so the counter lock is held for one statement and its commit, with no
BEGIN/COMMIT round trips: that is most of the store's write throughput. SQLite has no
data-modifying CTEs and serialises writers anyway, so there the statements run one by one in
a transaction.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any

import orjson
import psycopg
from django.db import DatabaseError, connections, transaction

from cluster.store.types import EventType, Key, Object

NOTIFY_CHANNEL = "pilothouse_store"
LOST_RACE_SQLSTATE = "PH001"  # raised by pilothouse_lost_race(), see migration 0002
# Raised by pilothouse_refuse(code), see migration 0004.
PARENT_MISSING_SQLSTATE = "PH002"
PARENT_TERMINATING_SQLSTATE = "PH003"
MARK = "\x01"

_BUMP = (
    "INSERT INTO store_meta (id, revision, compacted) VALUES (1, 1, 0) "
    "ON CONFLICT (id) DO UPDATE SET revision = store_meta.revision + 1 RETURNING revision"
)


def template(obj: Object) -> str:
    """``obj`` as JSON text with its resourceVersion left as the marker to fill in."""
    nonce = MARK + secrets.token_hex(8)
    meta = obj.setdefault("metadata", {})
    meta["resourceVersion"] = nonce
    text = orjson.dumps(obj).decode()
    escaped = orjson.dumps(nonce).decode()[1:-1]
    return text.replace(escaped, MARK, 1)


def fill(text: str, revision: int) -> str:
    return text.replace(MARK, str(revision))


@dataclass(frozen=True)
class Write:
    """One write: what the object row becomes and what the event log records."""

    type: EventType
    key: Key
    data: str  # template (see ``template``); for a delete, the object as last seen
    prev: str | None = None
    labels: str = "{}"
    fields: str = "{}"
    uid: str = ""
    expected: int = 0  # the resource_version the row must still have (update, delete)
    within: Key | None = None  # a create's parent, which must exist and not be terminating


class LostRace(Exception):
    """The row changed since it was read (or, for a create, already exists)."""


class Refused(Exception):
    """A create's parent (``Write.within``) is missing, or is terminating (``missing`` False)."""

    def __init__(self, missing: bool) -> None:
        super().__init__("parent missing" if missing else "parent terminating")
        self.missing = missing


def terminating(obj: Object) -> bool:
    """Whether a parent refuses new children: it is being deleted, or (a namespace) says it is
    Terminating. The SQL of ``_PG_REFUSAL`` is the same test."""
    return bool((obj.get("metadata") or {}).get("deletionTimestamp")) or (
        (obj.get("status") or {}).get("phase") == "Terminating"
    )


def _raise_for_sqlstate(exc: BaseException) -> None:
    """Turn the store's own refusals (migrations 0002 and 0004) into LostRace or Refused."""
    sqlstate = getattr(exc, "sqlstate", None) or getattr(exc.__cause__, "sqlstate", None)
    if sqlstate == LOST_RACE_SQLSTATE:
        raise LostRace from None
    if sqlstate in (PARENT_MISSING_SQLSTATE, PARENT_TERMINATING_SQLSTATE):
        raise Refused(missing=sqlstate == PARENT_MISSING_SQLSTATE) from None


def commit(using: str, write: Write) -> int:
    """Run ``write`` as one transaction on database ``using``; return its revision.

    Raises LostRace when the write changed nothing (the row moved on, or the name is taken),
    Refused when a create's parent is missing or terminating.
    """
    connection = connections[using]
    if connection.vendor != "postgresql":
        with transaction.atomic(using=using), connection.cursor() as cursor:
            return _commit_sqlite(cursor, write)
    # One statement is its own transaction; inside a caller's transaction, a savepoint keeps
    # a lost race from aborting the caller's work.
    savepoint = transaction.atomic(using=using) if connection.in_atomic_block else nullcontext()
    try:
        with savepoint, connection.cursor() as cursor:
            return _commit_postgresql(cursor, write)
    except DatabaseError as exc:
        _raise_for_sqlstate(exc)
        raise


_EVENT_COLUMNS = "(revision, type, kind, namespace, name, object, prev_object, created_at)"

# The revision written, announced to listeners; if nothing was written, an error that rolls the
# statement back (counter bump included): see migrations 0002 and 0004.
_PG_RESULT = (
    "SELECT r, pg_notify('" + NOTIFY_CHANNEL + "', r::text) FROM "
    "(SELECT COALESCE((SELECT {column} FROM {source}), {refusal}) AS r) AS written"
)
_LOST_RACE = "pilothouse_lost_race()"

# A create with a parent reads the parent's row in the same statement; a refusal code (NULL: go
# ahead) keeps the insert from happening and names the error that rolls it back.
_PG_REFUSAL = (
    "parent AS (SELECT data::jsonb AS doc FROM store_object "
    "WHERE kind = %(pkind)s AND namespace = %(pns)s AND name = %(pname)s), "
    "refusal AS (SELECT CASE "
    f"WHEN NOT EXISTS (SELECT 1 FROM parent) THEN '{PARENT_MISSING_SQLSTATE}' "
    "WHEN EXISTS (SELECT 1 FROM parent WHERE "
    "COALESCE(doc #>> '{metadata,deletionTimestamp}', '') <> '' "
    "OR doc #>> '{status,phase}' = 'Terminating') "
    f"THEN '{PARENT_TERMINATING_SQLSTATE}' END AS code),"
)


def _pg_create(*, within: bool) -> str:
    """The create statement, with or without its parent's check (``Write.within``)."""
    refused = (
        f"pilothouse_refuse(COALESCE((SELECT code FROM refusal), '{LOST_RACE_SQLSTATE}'))"
        if within
        else _LOST_RACE
    )
    return f"""
WITH {_PG_REFUSAL if within else ""}
rev AS ({_BUMP}),
obj AS (
    INSERT INTO store_object (kind, namespace, name, uid, resource_version, labels, fields, data)
    SELECT %(kind)s, %(ns)s, %(name)s, %(uid)s, rev.revision, %(labels)s::jsonb,
           %(fields)s::jsonb, replace(%(data)s, chr(1), rev.revision::text)
    FROM {"rev, refusal WHERE refusal.code IS NULL" if within else "rev"}
    ON CONFLICT (kind, namespace, name) DO NOTHING
    RETURNING resource_version, data
),
ev AS (
    INSERT INTO store_event {_EVENT_COLUMNS}
    SELECT resource_version, 'ADDED', %(kind)s, %(ns)s, %(name)s, data, NULL, %(now)s FROM obj
)
{_PG_RESULT.format(source="obj", column="resource_version", refusal=refused)}
"""


_PG_CREATE = _pg_create(within=False)
_PG_CREATE_WITHIN = _pg_create(within=True)

_PG_UPDATE = f"""
WITH rev AS ({_BUMP}),
obj AS (
    UPDATE store_object SET resource_version = rev.revision, labels = %(labels)s::jsonb,
        fields = %(fields)s::jsonb, data = replace(%(data)s, chr(1), rev.revision::text)
    FROM rev
    WHERE kind = %(kind)s AND namespace = %(ns)s AND name = %(name)s
      AND resource_version = %(expected)s
    RETURNING store_object.resource_version, store_object.data
),
ev AS (
    INSERT INTO store_event {_EVENT_COLUMNS}
    SELECT resource_version, 'MODIFIED', %(kind)s, %(ns)s, %(name)s, data, %(prev)s, %(now)s
    FROM obj
)
{_PG_RESULT.format(source="obj", column="resource_version", refusal=_LOST_RACE)}
"""

_PG_DELETE = f"""
WITH rev AS ({_BUMP}),
obj AS (
    DELETE FROM store_object
    WHERE kind = %(kind)s AND namespace = %(ns)s AND name = %(name)s
      AND resource_version = %(expected)s
    RETURNING 1
),
ev AS (
    INSERT INTO store_event {_EVENT_COLUMNS}
    SELECT rev.revision, 'DELETED', %(kind)s, %(ns)s, %(name)s,
           replace(%(data)s, chr(1), rev.revision::text), %(prev)s, %(now)s
    FROM rev, obj
    RETURNING revision
)
{_PG_RESULT.format(source="ev", column="revision", refusal=_LOST_RACE)}
"""

_PG = {"ADDED": _PG_CREATE, "MODIFIED": _PG_UPDATE, "DELETED": _PG_DELETE}


def postgresql_statement(write: Write) -> tuple[str, dict[str, Any]]:
    """The one statement (and its parameters) that commits ``write`` on PostgreSQL."""
    key = write.key
    params = {
        "kind": key.kind,
        "ns": key.namespace,
        "name": key.name,
        "uid": write.uid,
        "labels": write.labels,
        "fields": write.fields,
        "data": write.data,
        "prev": write.prev,
        "expected": write.expected,
        "now": time.time(),
    }
    if write.within is None:
        return _PG[write.type], params
    params.update(pkind=write.within.kind, pns=write.within.namespace, pname=write.within.name)
    return _PG_CREATE_WITHIN, params


def _commit_postgresql(cursor: Any, write: Write) -> int:
    cursor.execute(*postgresql_statement(write))
    return int(cursor.fetchone()[0])


async def acommit_postgresql(conn: Any, write: Write) -> int:
    """``commit`` of one write on an autocommit psycopg ``AsyncConnection`` (see
    ``cluster.store.aio``): the same statement, raising LostRace and Refused alike."""
    # Bound server-side and prepared once per connection: PostgreSQL then neither parses nor
    # plans the statement again, which halved its CPU per API create (bench/api.py, 0.59 ms
    # to 0.33 ms). ``commit`` keeps Django's client-side binding: for the plain create that
    # store clients send, preparing measured 5% slower (PostgreSQL's generic plan).
    async with psycopg.AsyncCursor(conn) as cursor:
        try:
            await cursor.execute(*postgresql_statement(write), prepare=True)
        except psycopg.Error as exc:
            _raise_for_sqlstate(exc)
            raise
        row = await cursor.fetchone()
    assert row is not None
    return int(row[0])


def _commit_sqlite(cursor: Any, write: Write) -> int:
    key = write.key
    if write.within is not None:
        # The transaction already holds SQLite's write lock: the parent cannot change under us.
        cursor.execute(
            "SELECT data FROM store_object WHERE kind = %s AND namespace = %s AND name = %s",
            list(write.within),
        )
        row = cursor.fetchone()
        if row is None or terminating(orjson.loads(row[0])):
            raise Refused(missing=row is None)
    cursor.execute(_BUMP)
    revision = int(cursor.fetchone()[0])
    data = fill(write.data, revision)
    if write.type == "ADDED":
        cursor.execute(
            "INSERT INTO store_object (kind, namespace, name, uid, resource_version, labels, "
            "fields, data) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (kind, namespace, name) DO NOTHING",
            [*key, write.uid, revision, write.labels, write.fields, data],
        )
    elif write.type == "MODIFIED":
        cursor.execute(
            "UPDATE store_object SET resource_version = %s, labels = %s, fields = %s, data = %s "
            "WHERE kind = %s AND namespace = %s AND name = %s AND resource_version = %s",
            [revision, write.labels, write.fields, data, *key, write.expected],
        )
    else:
        cursor.execute(
            "DELETE FROM store_object WHERE kind = %s AND namespace = %s AND name = %s "
            "AND resource_version = %s",
            [*key, write.expected],
        )
    if cursor.rowcount != 1:
        raise LostRace
    cursor.execute(
        f"INSERT INTO store_event {_EVENT_COLUMNS} VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
        [revision, write.type, *key, data, write.prev, time.time()],
    )
    return revision


# -- batches: many writes, one transaction --

_LOCK_COUNTER = (
    "INSERT INTO store_meta (id, revision, compacted) VALUES (1, 0, 0) "
    "ON CONFLICT (id) DO UPDATE SET revision = store_meta.revision RETURNING revision"
)


@dataclass(frozen=True)
class Current:
    """An object's row as a batch found it: its revision, and its JSON unless it was expected."""

    revision: int
    data: str | None


class Batch:
    """A transaction that holds the revision counter from its first statement to its commit.

    Every writer bumps the counter before it touches ``store_object``, so while a batch holds
    it nothing else can change an object: what ``current`` reads stays true until the commit,
    and each of the batch's compare-and-swaps is decided before anything is written. That is
    what lets many writes share one statement and one commit without one failure aborting the
    others: a write that would fail is simply left out.
    """

    def __init__(self, cursor: Any, vendor: str) -> None:
        self._cursor = cursor
        self._vendor = vendor
        cursor.execute(_LOCK_COUNTER)
        self.revision = int(cursor.fetchone()[0])

    def current(self, expected: dict[Key, int]) -> dict[Key, Current]:
        """The rows of ``expected``'s keys that exist; JSON only where the revision differs."""
        if not expected:
            return {}
        values = ", ".join(["(%s, %s, %s, %s)"] * len(expected))
        self._cursor.execute(
            f"WITH i (kind, namespace, name, expected) AS (VALUES {values}) "
            "SELECT o.kind, o.namespace, o.name, o.resource_version, "
            "CASE WHEN o.resource_version = i.expected THEN NULL ELSE o.data END "
            "FROM i JOIN store_object o ON o.kind = i.kind AND o.namespace = i.namespace "
            "AND o.name = i.name",
            [value for key, rv in expected.items() for value in (*key, rv)],
        )
        return {
            Key(kind, ns, name): Current(int(rv), data)
            for kind, ns, name, rv, data in self._cursor.fetchall()
        }

    def write(self, writes: list[Write]) -> list[int]:
        """Commit-to-be ``writes`` (creates and updates whose outcome ``current`` settled), each
        with the next revision; return the revisions."""
        revisions = [self.revision + n for n in range(1, len(writes) + 1)]
        if not writes:
            return revisions
        rows: list[_BatchRow] = [
            (w.type, *w.key, w.uid, rev, w.expected, w.labels, w.fields, fill(w.data, rev), w.prev)
            for w, rev in zip(writes, revisions, strict=True)
        ]
        now, top = time.time(), revisions[-1]
        if self._vendor == "postgresql":
            written = _write_batch_postgresql(self._cursor, rows, now, top)
        else:
            written = _write_batch_sqlite(self._cursor, rows, now, top)
        if written != len(writes):
            # The counter is held, so no row could move since ``current`` read it.
            raise RuntimeError(f"store batch wrote {written} of {len(writes)} rows")
        self.revision = top
        return revisions


_BatchRow = tuple[str, str, str, str, str, int, int, str, str, str, str | None]
_BATCH_COLUMNS = "type, kind, namespace, name, uid, revision, expected, labels, fields, data, prev"

_PG_BATCH = f"""
WITH w ({_BATCH_COLUMNS}) AS (VALUES {{values}}),
upd AS (
    UPDATE store_object o SET resource_version = w.revision, labels = w.labels::jsonb,
        fields = w.fields::jsonb, data = w.data
    FROM w
    WHERE w.type = 'MODIFIED' AND o.kind = w.kind AND o.namespace = w.namespace
      AND o.name = w.name AND o.resource_version = w.expected
    RETURNING 1
),
ins AS (
    INSERT INTO store_object (kind, namespace, name, uid, resource_version, labels, fields, data)
    SELECT kind, namespace, name, uid, revision, labels::jsonb, fields::jsonb, data
    FROM w WHERE type = 'ADDED'
    RETURNING 1
),
ev AS (
    INSERT INTO store_event {_EVENT_COLUMNS}
    SELECT revision, type, kind, namespace, name, data, prev, %s FROM w
),
meta AS (UPDATE store_meta SET revision = %s WHERE id = 1)
SELECT (SELECT count(*) FROM upd) + (SELECT count(*) FROM ins),
       pg_notify('{NOTIFY_CHANNEL}', %s::text)
"""
# The first row names the types; VALUES infers the others' from it.
_PG_FIRST_ROW = (
    "(%s::text, %s::text, %s::text, %s::text, %s::text, %s::bigint, %s::bigint, %s::text, "
    "%s::text, %s::text, %s::text)"
)
_PG_ROW = "(" + ", ".join(["%s"] * 11) + ")"


def _write_batch_postgresql(cursor: Any, rows: list[_BatchRow], now: float, top: int) -> int:
    values = ", ".join([_PG_FIRST_ROW] + [_PG_ROW] * (len(rows) - 1))
    cursor.execute(
        _PG_BATCH.format(values=values), [v for row in rows for v in row] + [now, top, top]
    )
    return int(cursor.fetchone()[0])


def _write_batch_sqlite(cursor: Any, rows: list[_BatchRow], now: float, top: int) -> int:
    written = 0
    for type_, kind, ns, name, uid, rev, expected, labels, fields, data, _ in rows:
        if type_ == "ADDED":
            cursor.execute(
                "INSERT INTO store_object (kind, namespace, name, uid, resource_version, labels, "
                "fields, data) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                [kind, ns, name, uid, rev, labels, fields, data],
            )
        else:
            cursor.execute(
                "UPDATE store_object SET resource_version = %s, labels = %s, fields = %s, "
                "data = %s WHERE kind = %s AND namespace = %s AND name = %s "
                "AND resource_version = %s",
                [rev, labels, fields, data, kind, ns, name, expected],
            )
        written += cursor.rowcount
    cursor.executemany(
        f"INSERT INTO store_event {_EVENT_COLUMNS} VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
        [(row[5], row[0], *row[1:4], row[9], row[10], now) for row in rows],
    )
    cursor.execute("UPDATE store_meta SET revision = %s WHERE id = 1", [top])
    return written


@contextmanager
def batch(using: str) -> Iterator[Batch]:
    """A ``Batch`` on database ``using``, committed when the block ends (rolled back if it
    raises). Inside a caller's transaction it is a savepoint of it."""
    connection = connections[using]
    with transaction.atomic(using=using), connection.cursor() as cursor:
        yield Batch(cursor, connection.vendor)
