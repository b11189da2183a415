"""List filters over the fields the store indexes for selectors (a pod's phase and node, ...).

The store keeps each kind's selectable fields in the JSON column ``fields``, keyed by their
dotted path (``{"status.phase": "Running", "spec.nodeName": "node-1"}``), "" where unset. A
filter offers the values present among the objects of its kind and narrows the list with a key
lookup, which Django compiles for PostgreSQL (``->>``) and SQLite (``json_extract``) alike.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.db.models.fields.json import KeyTextTransform
from django.db.models.lookups import Exact
from django.http import HttpRequest

from cluster.registry.vocabulary import StoredObject

# How kubectl prints an unset value; no phase or node name can be spelt so.
UNSET = "<none>"

# Per kind: (dotted field path, filter title), each a field the store indexes for that kind.
FIELD_FILTERS: dict[str, tuple[tuple[str, str], ...]] = {
    "Pod": (("status.phase", "phase"), ("spec.nodeName", "node")),
    "Namespace": (("status.phase", "phase"),),
    "Event": (("type", "type"),),
}


def field_values(queryset: QuerySet[StoredObject], path: str) -> list[str]:
    """The values of field ``path`` among ``queryset``'s objects, sorted, "" for unset."""
    values = (
        queryset.annotate(value=KeyTextTransform(path, "fields"))
        .order_by("value")
        .values_list("value", flat=True)
        .distinct()
    )
    # NULL: an object stored before its kind declared the field; it has no value to offer.
    return [value for value in values if value is not None]


def with_field(queryset: QuerySet[StoredObject], path: str, value: str) -> QuerySet[StoredObject]:
    """The objects of ``queryset`` whose field ``path`` is ``value`` ("": unset)."""
    # An explicit Exact over the text of the key: a lookup on an annotation of it would compare
    # JSON on SQLite, where "" is not a JSON document.
    return queryset.filter(Exact(KeyTextTransform(path, "fields"), value))


class FieldFilter(admin.SimpleListFilter):
    """Filter a kind's objects on one of the fields in the store's ``fields`` column."""

    path: str

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]
    ) -> list[tuple[str, str]]:
        values = field_values(model_admin.get_queryset(request), self.path)
        return [(value or UNSET, value or UNSET) for value in values]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[StoredObject]
    ) -> QuerySet[StoredObject]:
        chosen = self.value()
        if chosen is None:
            return queryset
        return with_field(queryset, self.path, "" if chosen == UNSET else chosen)


def field_filters(kind: str) -> list[type[FieldFilter]]:
    """The filters of ``kind``, one per field it declares in ``FIELD_FILTERS``."""
    return [
        type(
            f"{title.capitalize()}Filter",
            (FieldFilter,),
            {"path": path, "title": title, "parameter_name": title},
        )
        for path, title in FIELD_FILTERS.get(kind, ())
    ]
