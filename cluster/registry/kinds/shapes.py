"""Reading untrusted JSON objects safely, and naming the fields a cause is about.

Objects reach a strategy as decoded JSON that no schema has checked yet, so any field may hold
any type. Kube-apiserver would refuse a wrongly typed field while decoding; the strategies here
report it as a cause on that field instead, and never fail with a TypeError. The accessors
return an empty value of the expected type when a field holds something else, so the rest of a
validation can carry on and report everything it finds in one answer.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any, TypeGuard

from cluster.registry.errors import Cause, describe_value


def child(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def index(path: str, i: int) -> str:
    return f"{path}[{i}]"


def key(path: str, name: str) -> str:
    return f"{path}[{name}]"


def mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def sequence(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def entries(value: Any) -> Iterator[tuple[int, dict[str, Any]]]:
    """The objects in a list with their indexes; entries that are not objects are skipped."""
    for i, item in enumerate(sequence(value)):
        if isinstance(item, dict):
            yield i, item


def is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def shown(value: Any) -> str:
    """A value as a message shows it: scalars as kube quotes them, the rest as JSON."""
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, separators=(",", ":"))
    return describe_value(value)


def wrong_type(path: str, value: Any, expected: str) -> Cause:
    return Cause(
        path, f"Invalid value: {shown(value)}: must be {expected}", "FieldValueTypeInvalid"
    )


_EXPECTED: dict[str, tuple[Callable[[Any], bool], str]] = {
    "string": (lambda v: isinstance(v, str), "a string"),
    "integer": (is_int, "an integer"),
    "boolean": (lambda v: isinstance(v, bool), "a boolean"),
    "object": (lambda v: isinstance(v, dict), "an object"),
    "list": (lambda v: isinstance(v, list), "a list"),
}


def check_types(obj: dict[str, Any], path: str, fields: dict[str, str]) -> list[Cause]:
    """A cause for each of ``fields`` (name -> "string", "integer", ...) that is set but mistyped.

    JSON null counts as unset, as it does for kube's decoder.
    """
    causes = []
    for name, kind in fields.items():
        value = obj.get(name)
        accepts, expected = _EXPECTED[kind]
        if value is not None and not accepts(value):
            causes.append(wrong_type(child(path, name), value, expected))
    return causes


def check_list_of(value: Any, path: str, kind: str) -> list[Cause]:
    """Causes for a field that must be a list whose items are all of one kind."""
    if value is None:
        return []
    if not isinstance(value, list):
        return [wrong_type(path, value, "a list")]
    accepts, expected = _EXPECTED[kind]
    return [wrong_type(index(path, i), v, expected) for i, v in enumerate(value) if not accepts(v)]


def check_map_of_strings(value: Any, path: str) -> list[Cause]:
    if value is None:
        return []
    if not isinstance(value, dict):
        return [wrong_type(path, value, "a map of strings")]
    return [
        wrong_type(key(path, k), v, "a string") for k, v in value.items() if not isinstance(v, str)
    ]


def invalid_object(path: str, value: Any, detail: str) -> Cause:
    """Kube's Invalid for a value that may be an object or a list, shown as JSON."""
    return Cause(path, f"Invalid value: {shown(value)}: {detail}", "FieldValueInvalid")
