"""The store's vocabulary, as the layers above the registry use it.

The API, the scheduler and the controllers sit on the registry (ARCHITECTURE.md): they speak
of objects, preconditions, selectors and watches, but never reach into the store for them.
This module is where they get those names; ``.importlinter`` holds them to it.
"""

from __future__ import annotations

from cluster.store.models import StoredObject
from cluster.store.protocol import Watch
from cluster.store.selectors import (
    FieldRequirement,
    FieldSelector,
    LabelRequirement,
    LabelSelector,
    parse_field_selector,
    parse_label_selector,
)
from cluster.store.types import Object, Preconditions

__all__ = [
    "FieldRequirement",
    "FieldSelector",
    "LabelRequirement",
    "LabelSelector",
    "Object",
    "Preconditions",
    "StoredObject",
    "Watch",
    "parse_field_selector",
    "parse_label_selector",
]
