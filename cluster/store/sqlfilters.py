"""Selectors compiled to SQL ``WHERE`` fragments for each backend.

Labels and declared fields live in JSON columns. PostgreSQL stores them as ``jsonb`` with GIN
indexes, so equality becomes containment (``labels @> '{"app": "web"}'``) and existence the
``?`` operator, both index-assisted. SQLite reads them with ``json_extract``.
"""

from __future__ import annotations

from typing import Any

import orjson

from cluster.store.selectors import FieldSelector, LabelSelector

Fragment = tuple[str, list[Any]]

_COLUMN_FIELDS = {"metadata.name": "o.name", "metadata.namespace": "o.namespace"}


def _pg_contains(column: str, key: str, values: tuple[str, ...]) -> Fragment:
    clauses = " OR ".join(f"{column} @> %s::jsonb" for _ in values)
    return f"({clauses})", [orjson.dumps({key: v}).decode() for v in values]


def _sqlite_path(key: str) -> str:
    return '$."' + key + '"'


def _label_clause(vendor: str, column: str, key: str, op: str, values: tuple[str, ...]) -> Fragment:
    if vendor == "postgresql":
        if op in ("=", "in"):
            return _pg_contains(column, key, values)
        if op in ("!=", "notin"):
            sql, params = _pg_contains(column, key, values)
            return f"NOT {sql}", params
        if op == "exists":
            return f"({column} ? %s)", [key]
        return f"NOT ({column} ? %s)", [key]
    extract = f"json_extract({column}, %s)"
    path = _sqlite_path(key)
    marks = ", ".join("%s" for _ in values)
    if op in ("=", "in"):
        return f"({extract} IN ({marks}))", [path, *values]
    if op in ("!=", "notin"):
        return f"({extract} IS NULL OR {extract} NOT IN ({marks}))", [path, path, *values]
    if op == "exists":
        return f"({extract} IS NOT NULL)", [path]
    return f"({extract} IS NULL)", [path]


def compile_selectors(
    vendor: str, labels: LabelSelector | None, fields: FieldSelector | None
) -> Fragment:
    """AND of every requirement, as SQL over ``store_object o``; ("", []) when unfiltered."""
    clauses: list[str] = []
    params: list[Any] = []
    for req in labels.requirements if labels else ():
        sql, p = _label_clause(vendor, "o.labels", req.key, req.operator, req.values)
        clauses.append(sql)
        params.extend(p)
    for freq in fields.requirements if fields else ():
        column = _COLUMN_FIELDS.get(freq.field)
        if column is not None:
            clauses.append(f"{column} {'=' if freq.operator == '=' else '<>'} %s")
            params.append(freq.value)
            continue
        op = "=" if freq.operator == "=" else "!="
        sql, p = _label_clause(vendor, "o.fields", freq.field, op, (freq.value,))
        clauses.append(sql)
        params.extend(p)
    return " AND ".join(clauses), params
