"""Kubernetes resource quantities ("500m", "64Mi", "1e3"), read into numbers for the engine.

The agent cannot import the control plane's parser; it needs only the value, exactly (a
``Fraction``), to turn CPU limits into Docker's NanoCPUs and memory limits into bytes, rounded
up as kubelet rounds them.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

_SUFFIXES = {
    "n": Fraction(1, 10**9),
    "u": Fraction(1, 10**6),
    "m": Fraction(1, 1000),
    "": Fraction(1),
    "k": Fraction(10**3),
    "M": Fraction(10**6),
    "G": Fraction(10**9),
    "T": Fraction(10**12),
    "P": Fraction(10**15),
    "E": Fraction(10**18),
    "Ki": Fraction(2**10),
    "Mi": Fraction(2**20),
    "Gi": Fraction(2**30),
    "Ti": Fraction(2**40),
    "Pi": Fraction(2**50),
    "Ei": Fraction(2**60),
}
_QUANTITY = re.compile(
    r"^([+-]?[0-9]*\.?[0-9]*)(?:([eE][+-]?[0-9]+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?)$"
)


def parse(text: str | int | float) -> Fraction:
    """The exact value of a quantity; ``ValueError`` if it is not one."""
    if isinstance(text, int | float):
        return Fraction(text)
    match = _QUANTITY.match(text.strip())
    if not match or match.group(1) in ("", "+", "-", "."):
        raise ValueError(f"not a quantity: {text!r}")
    number, exponent, suffix = match.groups()
    value = Fraction(number)
    if exponent:
        return value * Fraction(10) ** int(exponent[1:])
    return value * _SUFFIXES[suffix or ""]


def nano_cpus(text: str | int | float) -> int:
    """A CPU quantity as Docker's NanoCPUs (billionths of a CPU), rounded up."""
    return math.ceil(parse(text) * 10**9)


def byte_count(text: str | int | float) -> int:
    """A memory quantity in bytes, rounded up."""
    return math.ceil(parse(text))
