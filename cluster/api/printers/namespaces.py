"""``kubectl get namespaces``: NAME STATUS AGE, the status being the namespace's phase."""

from __future__ import annotations

from cluster.api.printers.common import status_of
from cluster.api.tables import AGE, NAME, Cell, Column, Printer, age, name_of
from cluster.registry.vocabulary import Object

COLUMNS = (NAME, Column("Status", description="The status of the namespace"), AGE)


def namespace_cells(namespace: Object) -> list[Cell]:
    return [name_of(namespace), status_of(namespace).get("phase", ""), age(namespace)]


NAMESPACE: Printer = Printer(COLUMNS, namespace_cells)
