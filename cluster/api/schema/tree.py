"""The serializers, compiled once into a tree of plain nodes that requests are checked against.

Running DRF validation on every request would be slow and would also do the registry's job.
What the API needs per request is much less: which fields exist, and which JSON type each one
has. So each kind's serializer is walked once, on first use, into immutable ``Node`` objects
(shared between kinds: every kind has one ObjectMeta node), and the checks in
``cluster.api.schema.decoding`` walk a request body against them with plain dict lookups.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from rest_framework import serializers

from cluster.api.schema import fields as kube_fields
from cluster.api.schema.kinds import serializer_for
from cluster.api.schema.naming import TYPES, Serializer


class Shape(enum.Enum):
    OBJECT = "object"  # a struct: known fields only
    LIST = "list"
    MAP = "map"  # string keys, values of one type
    STRING = "string"
    INT = "int"
    BOOL = "bool"
    QUANTITY = "quantity"
    INT_OR_STRING = "int-or-string"
    TIME = "time"
    OPAQUE_OBJECT = "opaque-object"  # an object whose fields are not described
    ANY = "any"  # any JSON value


_NO_FIELDS: Mapping[str, Node] = MappingProxyType({})


@dataclass(frozen=True, slots=True, eq=False)
class Node:
    """One field's type: its shape, its Go type name, and what is inside it."""

    shape: Shape
    go_type: str
    struct: str = ""  # OBJECT: the Go struct name decoding errors start with
    fields: Mapping[str, Node] = field(default_factory=lambda: _NO_FIELDS)  # OBJECT
    item: Node | None = None  # LIST and MAP: the type of the elements
    bounds: tuple[int, int] | None = None  # INT
    # The one Python type a valid value has, when there is one (str, bool, int): lets the
    # type check accept most values with a single comparison.
    plain: type | None = None
    # Whether unknown fields can occur below: an OBJECT somewhere in the subtree. The walks
    # skip the rest (lists of strings, label maps) without looking inside.
    structured: bool = False


@functools.cache
def tree_for(kind: str) -> Node | None:
    """The tree of ``kind``, built on first use; None for a kind without a schema."""
    serializer = serializer_for(kind)
    return None if serializer is None else _object(serializer)


_objects: dict[type[Serializer], Node] = {}


def _object(serializer: type[Serializer]) -> Node:
    """The node of a serializer class; one per class, shared by every field of that type."""
    node = _objects.get(serializer)
    if node is None:
        kube_type = TYPES[serializer]
        children = {name: _node(child) for name, child in serializer().fields.items()}
        node = Node(
            Shape.OBJECT,
            kube_type.go_type,
            struct=kube_type.struct,
            fields=MappingProxyType(children),
            structured=True,
        )
        _objects[serializer] = node
    return node


def _container(shape: Shape, item: Node, go_type: str) -> Node:
    return Node(shape, go_type, item=item, structured=item.structured)


def _node(f: serializers.Field[Any, Any, Any, Any] | None) -> Node:
    if f is None:
        raise TypeError("a list or map field without a child field")
    if isinstance(f, serializers.ListSerializer):
        item = _node(f.child)
        return _container(Shape.LIST, item, "[]" + item.go_type)
    if isinstance(f, serializers.Serializer):
        return _object(type(f))
    if isinstance(f, serializers.ListField):
        item = _node(f.child)
        return _container(Shape.LIST, item, "[]" + item.go_type)
    if isinstance(f, serializers.DictField):
        item = _node(f.child)
        return _container(Shape.MAP, item, getattr(f, "go_type", "map[string]" + item.go_type))
    return _scalar(f)


_SCALARS: tuple[tuple[type[serializers.Field[Any, Any, Any, Any]], Shape], ...] = (
    (kube_fields.StringField, Shape.STRING),
    (kube_fields.Int32Field, Shape.INT),
    (kube_fields.Int64Field, Shape.INT),
    (kube_fields.BoolField, Shape.BOOL),
    (kube_fields.QuantityField, Shape.QUANTITY),
    (kube_fields.IntOrStringField, Shape.INT_OR_STRING),
    (kube_fields.TimeField, Shape.TIME),
    (kube_fields.MicroTimeField, Shape.TIME),
    (kube_fields.FieldsV1Field, Shape.ANY),
    (kube_fields.OpaqueObjectField, Shape.OPAQUE_OBJECT),
)


_PLAIN = {Shape.STRING: str, Shape.BOOL: bool, Shape.INT: int, Shape.TIME: str}


def _scalar(f: serializers.Field[Any, Any, Any, Any]) -> Node:
    for cls, shape in _SCALARS:
        if isinstance(f, cls):
            go_type: str = f.go_type  # type: ignore[attr-defined]
            bounds = getattr(f, "bounds", None)
            return Node(shape, go_type, bounds=bounds, plain=_PLAIN.get(shape))
    raise TypeError(f"no Kubernetes type for the serializer field {f!r}")
