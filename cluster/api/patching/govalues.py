"""Decoded JSON values, seen the way Go's ``interface{}`` sees them.

kube-apiserver patches ``map[string]interface{}`` trees, and several of its answers depend on
Go's view of those values: ``1`` (int64) and ``1.0`` (float64) are different values, ``true`` is
not ``1``, and an error message prints a value with ``%v`` (``map[name:c]``). Python's own
equality says ``True == 1 == 1.0``, so the patch code compares and hashes through this module.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from decimal import Decimal
from typing import TypeAlias

JSONValue: TypeAlias = None | bool | int | float | str | list["JSONValue"] | dict[str, "JSONValue"]
JSONObject: TypeAlias = dict[str, JSONValue]
JSONArray: TypeAlias = list[JSONValue]


class Uncomparable(Exception):
    """Go panics when it compares or hashes a map or a slice held in an ``interface{}``."""

    def __init__(self, value: JSONValue) -> None:
        super().__init__(f"runtime error: comparing uncomparable type {go_type_name(value)}")


def go_type_name(value: JSONValue) -> str:
    """The Go type ``encoding/json`` decodes ``value`` into, as ``%s`` prints it."""
    if value is None:
        return "%!s(<nil>)"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int64"
    if isinstance(value, float):
        return "float64"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "[]interface {}"
    return "map[string]interface {}"


def go_key(value: JSONValue) -> Hashable:
    """A hashable key that is equal for two values exactly when Go's ``==`` says so."""
    if isinstance(value, dict | list):
        raise Uncomparable(value)
    return (type(value), value)


def go_equal(left: JSONValue, right: JSONValue) -> bool:
    """Go's ``==`` on two ``interface{}`` values holding decoded JSON."""
    return go_key(left) == go_key(right)


def go_sprint(value: JSONValue) -> str:
    """``fmt.Sprintf("%v", value)`` for a decoded JSON value (maps print with sorted keys)."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _go_float(value)
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "[" + " ".join(go_sprint(item) for item in value) + "]"
    items = (f"{key}:{go_sprint(value[key])}" for key in sorted(value))
    return "map[" + " ".join(items) + "]"


def go_sprint_s(value: JSONValue) -> str:
    """``fmt.Sprintf("%s", value)``: strings print as they are, anything else is flagged."""
    if isinstance(value, str):
        return value
    if value is None:
        return "%!s(<nil>)"
    return f"%!s({go_type_name(value)}={go_sprint(value)})"


def _go_float(value: float) -> str:
    """``%v`` of a float64: shortest digits, exponent form below 1e-4 and from 1e+06 up."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    sign = "-" if math.copysign(1.0, value) < 0 else ""
    if value == 0:
        return sign + "0"
    # repr() gives the shortest digits that round-trip, which is what Go prints too.
    shape = Decimal(repr(abs(value))).normalize().as_tuple()
    digits = "".join(str(digit) for digit in shape.digits)
    exponent = len(digits) - 1 + int(shape.exponent)
    if exponent < -4 or exponent >= 6:
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{sign}{mantissa}e{'-' if exponent < 0 else '+'}{abs(exponent):02d}"
    if exponent < 0:
        return f"{sign}0.{'0' * (-exponent - 1)}{digits}"
    if len(digits) <= exponent + 1:
        return f"{sign}{digits}{'0' * (exponent + 1 - len(digits))}"
    return f"{sign}{digits[: exponent + 1]}.{digits[exponent + 1 :]}"
