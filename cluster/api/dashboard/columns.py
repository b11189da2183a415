"""The list columns of a kind's admin page: the ones ``kubectl get`` prints, from its printer.

Each column is a callable for ``list_display`` that decodes the stored JSON and asks the kind's
printer (``cluster.api.tables.PRINTERS``) for its cell, so the page and ``kubectl get`` cannot
disagree. Only the default columns are shown, not the ``-o wide`` ones (priority 1).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.contrib import admin

from cluster.api import tables
from cluster.registry.vocabulary import Object, StoredObject

ListColumn = Callable[[StoredObject], Any]

# What kube-apiserver prints for a kind without printer columns of its own.
_NAME_AND_AGE = tables.Printer(
    (tables.NAME, tables.AGE), lambda obj: [tables.name_of(obj), tables.age(obj)]
)


def decoded(obj: StoredObject) -> Object:
    """The Kubernetes object a stored row holds."""
    value: Object = json.loads(obj.data)
    return value


def printer_for(kind: str) -> tables.Printer:
    return tables.PRINTERS.get(kind, _NAME_AND_AGE)


def _cell_column(printer: tables.Printer, index: int) -> ListColumn:
    column = printer.columns[index]

    # The NAME cell is the row's name, so the list can sort by the indexed column.
    @admin.display(
        description=column.name.upper(), ordering="name" if column is tables.NAME else None
    )
    def cell(obj: StoredObject) -> Any:
        return printer.cells(decoded(obj))[index]

    cell.__name__ = column.name.lower().replace(" ", "_")
    return cell


@admin.display(description="NAMESPACE", ordering="namespace")
def namespace(obj: StoredObject) -> str:
    return obj.namespace


def list_columns(kind: str, *, namespaced: bool) -> list[ListColumn]:
    """NAMESPACE (as ``kubectl get -A`` prints it) for namespaced kinds, then the default cells."""
    printer = printer_for(kind)
    cells = [_cell_column(printer, i) for i, c in enumerate(printer.columns) if c.priority == 0]
    return [namespace, *cells] if namespaced else cells
