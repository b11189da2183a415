"""Server-side printing: the ``meta.k8s.io/v1 Table`` that ``kubectl get`` asks for.

kubectl sends ``Accept: application/json;as=Table;v=v1;g=meta.k8s.io`` and prints the columns
we return, so each kind's columns (``table_columns.py``) decide what ``kubectl get`` shows,
exactly as kube-apiserver's printers do. A kind without its own columns gets NAME and AGE.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.http import HttpRequest

from cluster.registry.resources import Resource
from cluster.registry.vocabulary import Object

Cell = Any


@dataclass(frozen=True)
class Column:
    name: str
    type: str = "string"
    format: str = ""
    description: str = ""
    priority: int = 0  # 1: only with -o wide

    def definition(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "format": self.format,
            "description": self.description,
            "priority": self.priority,
        }


@dataclass(frozen=True)
class Printer:
    columns: tuple[Column, ...]
    cells: Callable[[Object], list[Cell]]
    # Row conditions, as kube marks a finished pod's row ``Completed``; none when unset.
    conditions: Callable[[Object], list[dict[str, str]]] | None = None


NAME = Column("Name", format="name", description="Name must be unique within a namespace.")
AGE = Column(
    "Age",
    description="CreationTimestamp is a timestamp representing the server time "
    "when this object was created.",
)

PRINTERS: dict[str, Printer] = {}


def register(kind: str, printer: Printer) -> None:
    PRINTERS[kind] = printer


def _accepts(accept: str) -> list[dict[str, str]]:
    ranges = []
    for part in accept.split(","):
        pieces = [p.strip() for p in part.split(";")]
        params = dict(p.split("=", 1) for p in pieces[1:] if "=" in p)
        params["_type"] = pieces[0]
        ranges.append(params)
    return ranges


def wants_table(request: HttpRequest) -> bool:
    return accepts_table(request.headers.get("Accept", ""))


def accepts_table(accept: str) -> bool:
    """Whether an ``Accept`` header asks for ``meta.k8s.io`` Tables."""
    return any(
        r.get("as") == "Table" and r.get("g") == "meta.k8s.io" and r.get("v") in ("v1", "v1beta1")
        for r in _accepts(accept)
    )


def human_duration(seconds: float) -> str:
    """kube's HumanDuration: 5s, 90s, 4m, 3h, 2d5h, 400d, 2y100d, ..."""
    s = int(seconds)
    # kube tolerates a second of clock skew between machines: that is "0s", not invalid.
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return f"{s}s"
    minutes = s // 60
    if minutes < 10:
        rem = s % 60
        return f"{minutes}m{rem}s" if rem else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = s // 3600
    if hours < 8:
        rem = minutes % 60
        return f"{hours}h{rem}m" if rem else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        rem = hours % 24
        return f"{hours // 24}d{rem}h" if rem else f"{hours // 24}d"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        days = (hours // 24) % 365
        return f"{hours // 24 // 365}y{days}d" if days else f"{hours // 24 // 365}y"
    return f"{hours // 24 // 365}y"


def age(obj: Object) -> str:
    created = (obj.get("metadata") or {}).get("creationTimestamp")
    if not created:
        return "<unknown>"
    when = datetime.strptime(created, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    return human_duration((datetime.now(UTC) - when).total_seconds())


def name_of(obj: Object) -> str:
    return str((obj.get("metadata") or {}).get("name", ""))


_DEFAULT = Printer((NAME, AGE), lambda obj: [name_of(obj), age(obj)])


def _row(printer: Printer, obj: Object, include_object: str) -> dict[str, Any]:
    row: dict[str, Any] = {"cells": printer.cells(obj)}
    if printer.conditions is not None and (conditions := printer.conditions(obj)):
        row["conditions"] = conditions
    if include_object == "Object":
        row["object"] = obj
    elif include_object != "None":
        row["object"] = {
            "kind": "PartialObjectMetadata",
            "apiVersion": "meta.k8s.io/v1",
            "metadata": obj.get("metadata") or {},
        }
    return row


def to_table(
    resource: Resource,
    body: Object,
    *,
    include_object: str = "Metadata",
    with_columns: bool = True,
) -> Object:
    """A list or a single object of ``resource`` as a Table."""
    printer = PRINTERS.get(resource.kind, _DEFAULT)
    items = body["items"] if body.get("kind", "").endswith("List") and "items" in body else [body]
    meta = body.get("metadata") or {}
    table_meta = {
        k: meta[k] for k in ("resourceVersion", "continue", "remainingItemCount") if k in meta
    }
    if "items" not in body:
        table_meta = {"resourceVersion": meta.get("resourceVersion", "")}
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": table_meta,
        "columnDefinitions": [c.definition() for c in printer.columns] if with_columns else [],
        "rows": [_row(printer, item, include_object) for item in items],
    }


# The built-in kinds' printers register themselves; imported last because they import this.
import cluster.api.table_columns  # noqa: E402, F401
