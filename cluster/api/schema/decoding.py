"""What kube-apiserver's decoder would say about a request body: unknown fields and wrong types.

Kubernetes decodes a body into its Go types before anything else looks at it. Two things can
go wrong there, and these functions reproduce both, with kube's wording, by walking the body
against the kind's field tree (``cluster.api.schema.tree``):

- A field the type does not have. With ``fieldValidation=Strict`` that is a 400,
  ``strict decoding error: unknown field "spec.containers[0].imagee"``; with ``Warn`` a
  ``Warning: unknown field "..."`` header; with ``Ignore`` the field is dropped, because a Go
  struct has nowhere to keep it (``prune_unknown``). Paths name list items by index and map
  entries by key, as kube's strict decoder does.
- A value of the wrong JSON type. Kube refuses it whatever ``fieldValidation`` says, with
  Go's ``encoding/json`` message: ``json: cannot unmarshal string into Go struct field
  ContainerPort.spec.containers.ports.containerPort of type int32``. There the path has no
  indexes, and the struct named is the one holding the field. The API answers 400 with
  ``cannot_handle(kind, version, message)`` of the first error, as Go stops at the first.

A kind without a schema passes unchanged: no unknown fields, no type errors.
"""

from __future__ import annotations

from typing import Any, cast

from cluster.api.schema.fields import INT32_RANGE
from cluster.api.schema.tree import Node, Shape, tree_for

# kube's Quantity.UnmarshalJSON error, for a value that is neither a string nor a number.
QUANTITY_FORMAT_ERROR = (
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
)


def unknown_fields(kind: str, obj: dict[str, Any]) -> list[str]:
    """The paths of the fields of ``obj`` that ``kind`` does not have, in document order."""
    tree = tree_for(kind)
    found: list[str] = []
    if tree is not None:
        _find_unknown(tree, obj, "", found)
    return found


def prune_unknown(kind: str, obj: dict[str, Any]) -> dict[str, Any]:
    """``obj`` without the fields ``kind`` does not have, as a new object (``obj`` itself for a
    kind without a schema); ``obj`` is not changed."""
    tree = tree_for(kind)
    if tree is None:
        return obj
    pruned: dict[str, Any] = _prune(tree, obj)
    return pruned


def type_errors(kind: str, obj: dict[str, Any]) -> list[str]:
    """Go-style messages for the values of ``obj`` that have the wrong JSON type."""
    tree = tree_for(kind)
    found: list[str] = []
    if tree is not None:
        _find_mistyped(tree, obj, [], "", found)
    return found


def unknown_field_message(path: str) -> str:
    """``unknown field "<path>"``: one entry of a strict decoding error, or one warning."""
    return f'unknown field "{path}"'


def strict_decoding_error(paths: list[str]) -> str:
    """The message of the 400 that ``fieldValidation=Strict`` gives for unknown fields."""
    return "strict decoding error: " + ", ".join(unknown_field_message(p) for p in paths)


def cannot_handle(kind: str, version: str, message: str) -> str:
    """kube's 400 message for a body it cannot decode: ``Pod in version "v1" cannot be
    handled as a Pod: <message>``."""
    return f'{kind} in version "{version}" cannot be handled as a {kind}: {message}'


# -- the walks --


def _find_unknown(node: Node, value: Any, path: str, found: list[str]) -> None:
    shape = node.shape
    if shape is Shape.OBJECT:
        if isinstance(value, dict):
            fields = node.fields
            for key, child in value.items():
                sub = fields.get(key)
                if sub is None:
                    found.append(f"{path}.{key}" if path else key)
                elif sub.structured:
                    _find_unknown(sub, child, f"{path}.{key}" if path else key, found)
    elif shape is Shape.LIST:
        if isinstance(value, list):
            assert node.item is not None
            for i, item in enumerate(value):
                _find_unknown(node.item, item, f"{path}[{i}]", found)
    elif shape is Shape.MAP and isinstance(value, dict):
        assert node.item is not None
        for key, item in value.items():
            _find_unknown(node.item, item, f"{path}.{key}", found)


def _prune(node: Node, value: Any) -> Any:
    if not node.structured:
        return value
    if node.shape is Shape.OBJECT and isinstance(value, dict):
        fields = node.fields
        return {k: _prune(fields[k], v) for k, v in value.items() if k in fields}
    if node.shape is Shape.LIST and isinstance(value, list):
        assert node.item is not None
        return [_prune(node.item, v) for v in value]
    if node.shape is Shape.MAP and isinstance(value, dict):
        assert node.item is not None
        return {k: _prune(node.item, v) for k, v in value.items()}
    return value


def _find_mistyped(node: Node, value: Any, keys: list[str], struct: str, found: list[str]) -> None:
    """Check ``value`` against ``node``. ``keys`` are the field names leading to it (list
    indexes and map keys are not part of Go's path) and ``struct`` the Go struct that holds
    the field, as Go's UnmarshalTypeError names them."""
    shape = node.shape
    if shape is Shape.OBJECT:
        if not isinstance(value, dict):
            found.append(_mismatch(_described(value), node, keys, struct))
            return
        fields = node.fields
        for key, child in value.items():
            sub = fields.get(key)
            if sub is not None and not _fits_plainly(sub, child):
                keys.append(key)
                _find_mistyped(sub, child, keys, node.struct, found)
                keys.pop()
    elif shape is Shape.LIST or shape is Shape.MAP:
        if not isinstance(value, list if shape is Shape.LIST else dict):
            found.append(_mismatch(_described(value), node, keys, struct))
            return
        item_node = node.item
        assert item_node is not None
        for item in value if isinstance(value, list) else value.values():
            if not _fits_plainly(item_node, item):
                _find_mistyped(item_node, item, keys, struct, found)
    else:
        message = _scalar_error(node, value, keys, struct)
        if message is not None:
            found.append(message)


def _fits_plainly(node: Node, value: Any) -> bool:
    """The quick answer for the common case: null, or a string, bool or in-range integer in a
    field of that type. False means "look closer", not "wrong"."""
    if value is None:  # null leaves any Go field at its zero value
        return True
    plain = node.plain
    if plain is None or type(value) is not plain:
        return False
    bounds = node.bounds
    # Only INT nodes have bounds, and their plain type is int.
    return bounds is None or bounds[0] <= cast(int, value) <= bounds[1]


def _scalar_error(node: Node, value: Any, keys: list[str], struct: str) -> str | None:
    """None if ``value`` fits the scalar ``node``, else the message Go's decoder gives."""
    shape = node.shape
    if shape is Shape.QUANTITY:
        fits = isinstance(value, str | int | float) and not isinstance(value, bool)
        return None if fits else QUANTITY_FORMAT_ERROR
    # IntOrString and Time decode themselves with a nested json.Unmarshal: no field named.
    if shape is Shape.INT_OR_STRING:
        problem = None if isinstance(value, str) else _int_error(value, INT32_RANGE)
        return None if problem is None else _go_value(problem, "int32")
    if shape is Shape.TIME:
        return None if isinstance(value, str) else _go_value(_described(value), "string")
    problem = _plain_error(node, value)
    return None if problem is None else _mismatch(problem, node, keys, struct)


def _plain_error(node: Node, value: Any) -> str | None:
    """None if ``value`` fits, else how Go's UnmarshalTypeError describes the value."""
    shape = node.shape
    if shape is Shape.STRING:
        return None if isinstance(value, str) else _described(value)
    if shape is Shape.BOOL:
        return None if isinstance(value, bool) else _described(value)
    if shape is Shape.INT:
        return _int_error(value, node.bounds or INT32_RANGE)
    if shape is Shape.OPAQUE_OBJECT:
        return None if isinstance(value, dict) else _described(value)
    return None


def _int_error(value: Any, bounds: tuple[int, int]) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return _described(value)
    if isinstance(value, float) or not bounds[0] <= value <= bounds[1]:
        return f"number {value!r}"
    return None


def _described(value: Any) -> str:
    """The JSON type of ``value`` in the words of Go's UnmarshalTypeError."""
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, list):
        return "array"
    return "object"


def _mismatch(described: str, node: Node, keys: list[str], struct: str) -> str:
    return (
        f"json: cannot unmarshal {described} into Go struct field {struct}.{'.'.join(keys)} "
        f"of type {node.go_type}"
    )


def _go_value(described: str, go_type: str) -> str:
    """The message of a type that decodes itself with a nested json.Unmarshal (no field)."""
    return f"json: cannot unmarshal {described} into Go value of type {go_type}"
