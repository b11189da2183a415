"""The protobuf wire format, read without a schema: a message is a run of (field number, wire
type, value) records, and this module splits bytes into those records and nothing more.

Only the wire types proto2 messages of Kubernetes use occur in practice (varint, 64-bit,
length-delimited, 32-bit); the deprecated groups (3, 4) are refused as malformed, as Go's
generated decoders refuse them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

VARINT, FIXED64, LENGTH_DELIMITED, FIXED32 = 0, 1, 2, 5
_MAX_VARINT_BYTES = 10
_MAX_FIELD_NUMBER = 2**29 - 1


class WireError(ValueError):
    """The bytes are not a well-formed protobuf message."""


@dataclass(frozen=True)
class Record:
    """One field occurrence. ``value`` is an int for varint and fixed types, bytes otherwise."""

    number: int
    wire_type: int
    value: int | bytes


def read_varint(data: bytes, pos: int) -> tuple[int, int]:
    """The unsigned varint at ``pos`` and the position after it."""
    result = shift = 0
    for i in range(_MAX_VARINT_BYTES):
        if pos + i >= len(data):
            raise WireError("unexpected end of data in a varint")
        byte = data[pos + i]
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result & 0xFFFF_FFFF_FFFF_FFFF, pos + i + 1
        shift += 7
    raise WireError("varint longer than 10 bytes")


def records(data: bytes) -> Iterator[Record]:
    """The records of one message, in wire order."""
    pos = 0
    while pos < len(data):
        key, pos = read_varint(data, pos)
        number, wire_type = key >> 3, key & 0x7
        if not 0 < number <= _MAX_FIELD_NUMBER:
            raise WireError(f"illegal field number {number}")
        value: int | bytes
        if wire_type == VARINT:
            value, pos = read_varint(data, pos)
        elif wire_type == LENGTH_DELIMITED:
            length, pos = read_varint(data, pos)
            if length > len(data) - pos:
                raise WireError(f"field {number} is longer than the data that is left")
            value, pos = data[pos : pos + length], pos + length
        elif wire_type in (FIXED64, FIXED32):
            size = 8 if wire_type == FIXED64 else 4
            if size > len(data) - pos:
                raise WireError(f"unexpected end of data in field {number}")
            value, pos = int.from_bytes(data[pos : pos + size], "little"), pos + size
        else:
            raise WireError(f"field {number} has unsupported wire type {wire_type}")
        yield Record(number, wire_type, value)


def signed(value: int, bits: int = 64) -> int:
    """A varint read as a two's complement integer (how int32 and int64 are encoded)."""
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value


def packed_varints(data: bytes) -> list[int]:
    """The varints of a packed repeated field."""
    values, pos = [], 0
    while pos < len(data):
        value, pos = read_varint(data, pos)
        values.append(value)
    return values
