"""Resource quantities ("100m", "1.5", "128Mi", "1G", "1e3") as kube-apiserver reads and prints.

Kubernetes keeps a quantity as an exact decimal and prints it in a canonical form that keeps the
family of suffix the client used: "0.5" comes back as "500m", "1.5Gi" as "1536Mi", "1000" as
"1k", "1e3" as "1e3". Resource lists are further rounded up to a thousandth, so "0.1m" of CPU is
stored as "1m". Values are ``Fraction``s here, never floats, for the reason kube avoids floats:
"100m" + "200m" must be exactly "300m".

Parsing is cached by text: a pod's few quantities ("100m", "64Mi") are read by its defaulting,
its validation and its QoS class, and the scheduler reads them again, while a manifest repeats
the same handful across thousands of pods. The Fraction arithmetic cost a pod create about 0.1
ms of API worker CPU (bench/api.py); a ``Quantity`` is immutable, so sharing one is safe.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

FORMAT_ERROR = (
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
)
SUFFIX_ERROR = "unable to parse quantity's suffix"

DECIMAL_SI = "DecimalSI"
BINARY_SI = "BinarySI"
DECIMAL_EXPONENT = "DecimalExponent"

_DECIMAL_SUFFIXES = {
    "n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18
}  # fmt: skip
_BINARY_SUFFIXES = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_DECIMAL_BY_EXPONENT = {exp: suffix for suffix, exp in _DECIMAL_SUFFIXES.items()}
_BINARY_BY_EXPONENT = {exp: suffix for suffix, exp in _BINARY_SUFFIXES.items()}
# Kube's scanner: sign, digits, an optional fraction, then suffix letters, a sign and digits.
_SHAPE = re.compile(r"([+-]?)([0-9]*)(?:\.([0-9]*))?([eEinumkKMGTP]*[-+]?[0-9]*)")
_EXPONENT = re.compile(r"[eE]([+-]?[0-9]{1,4})")
# Quantities are at most nano-precise; finer values round up so that asking for a little of a
# resource never becomes asking for none.
_NANO = 9
_MILLI = 3
# Distinct quantity texts whose parse is kept (see the module docstring); a bound, not a need.
_CACHED_TEXTS = 4096
_CACHED_LENGTH = 64  # longer texts are parsed every time, so that the cache stays small


class QuantityError(ValueError):
    """The text is not a quantity; the message is kube-apiserver's."""


@dataclass(frozen=True)
class Quantity:
    value: Fraction
    format: str

    def __str__(self) -> str:
        return _canonical(self.value, self.format)

    def rounded_up(self, digits: int = _MILLI) -> Quantity:
        """Rounded away from zero to ``digits`` decimal places, as kube rounds resource lists."""
        return Quantity(_round_up(self.value, digits), self.format)

    def whole(self) -> int:
        """The value rounded up to an integer (kube's ``Quantity.Value``)."""
        return int(_round_up(self.value, 0))


def parse(raw: Any) -> Quantity:
    """Read a quantity from JSON: a string, or a number as kube also accepts."""
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise QuantityError(FORMAT_ERROR)
    text = raw if isinstance(raw, str) else str(raw)
    return _parse_cached(text) if len(text) <= _CACHED_LENGTH else _parse_text(text)


def rounded_text(raw: Any) -> str:
    """``raw`` rounded up to a thousandth and printed canonically, as kube stores the
    quantities of a resource list; QuantityError if it is not a quantity."""
    text = raw if isinstance(raw, str) else None
    if text is not None and len(text) <= _CACHED_LENGTH:
        return _rounded_cached(text)
    return str(parse(raw).rounded_up())


@functools.lru_cache(maxsize=_CACHED_TEXTS)
def _rounded_cached(text: str) -> str:
    return str(_parse_cached(text).rounded_up())


@functools.lru_cache(maxsize=_CACHED_TEXTS)
def _parse_cached(text: str) -> Quantity:
    # Errors are raised, never cached: malformed input costs a parse each time, as before.
    return _parse_text(text)


def _parse_text(text: str) -> Quantity:
    match = _SHAPE.fullmatch(text)
    if not text or match is None:
        raise QuantityError(FORMAT_ERROR)
    sign, whole, fraction, suffix = match.groups()
    base, exponent, fmt = _interpret(suffix)
    amount = Fraction(int(whole or "0"))
    if fraction:
        amount += Fraction(int(fraction), 10 ** len(fraction))
    amount *= Fraction(base) ** exponent
    if sign == "-":
        amount = -amount
    amount = _round_up(amount, _NANO)
    if fmt == BINARY_SI and 0 < abs(amount) < 1:
        fmt = DECIMAL_SI
    return Quantity(amount, fmt)


def _interpret(suffix: str) -> tuple[int, int, str]:
    if suffix in _DECIMAL_SUFFIXES:
        return 10, _DECIMAL_SUFFIXES[suffix], DECIMAL_SI
    if suffix in _BINARY_SUFFIXES:
        return 2, _BINARY_SUFFIXES[suffix], BINARY_SI
    exponent = _EXPONENT.fullmatch(suffix)
    if exponent is None:
        raise QuantityError(SUFFIX_ERROR)
    return 10, int(exponent.group(1)), DECIMAL_EXPONENT


def _round_up(value: Fraction, digits: int) -> Fraction:
    scaled = abs(value) * 10**digits
    rounded = Fraction(math.ceil(scaled), 10**digits)
    return -rounded if value < 0 else rounded


def _canonical(value: Fraction, fmt: str) -> str:
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    magnitude = abs(value)
    if fmt == BINARY_SI and magnitude >= 1024 and magnitude.denominator == 1:
        mantissa, exponent = int(magnitude), 0
        while mantissa % 1024 == 0 and exponent < 60:
            mantissa //= 1024
            exponent += 10
        return f"{sign}{mantissa}{_BINARY_BY_EXPONENT[exponent]}"
    mantissa, exponent = _decimal_parts(magnitude)
    if fmt == DECIMAL_EXPONENT:
        return f"{sign}{mantissa}" + (f"e{exponent}" if exponent else "")
    while exponent > 18:
        mantissa, exponent = mantissa * 1000, exponent - 3
    return f"{sign}{mantissa}{_DECIMAL_BY_EXPONENT[exponent]}"


def _decimal_parts(magnitude: Fraction) -> tuple[int, int]:
    """An integer mantissa and the largest exponent, a multiple of three, that keep it exact."""
    exponent = 0
    while magnitude.denominator != 1:
        magnitude *= 10
        exponent -= 1
    mantissa = int(magnitude)
    while mantissa % 10 == 0:
        mantissa //= 10
        exponent += 1
    shift = exponent % 3
    return mantissa * 10**shift, exponent - shift
