"""Turn protobuf-encoded messages into the dicts Go's JSON encoder would have written.

The walk is driven by the schema (``cluster.api.protobuf.schema``): each record's field number
names a field, its value is converted by the field's type, and the flags decide which zero
values stay. Unknown field numbers are skipped and their paths collected, so that the API can
treat them as it treats unknown JSON fields. Anything malformed raises ``ProtobufError``.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from cluster.api.protobuf.schema import Field, Message
from cluster.api.protobuf.wire import (
    LENGTH_DELIMITED,
    VARINT,
    WireError,
    packed_varints,
    records,
    signed,
)

MAGIC = b"k8s\x00"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_VARINT_TYPES = frozenset({"int", "bool"})
# Go's JSON drops these zero values from omitempty fields; "keep" fields hold on to them.
_ZEROS: tuple[Any, ...] = ("", 0)
# A RawExtension may hold a whole protobuf object, which may hold another: bound the nesting.
_MAX_NESTING = 16


class ProtobufError(ValueError):
    """A body that is not a well-formed protobuf object of a kind we know. Once the envelope
    has named the object's kind, ``kind`` and ``api_version`` say it, for kube's 400 message
    (``Pod in version "v1" cannot be handled as a Pod: ...``)."""

    def __init__(self, message: str, *, kind: str = "", api_version: str = "") -> None:
        super().__init__(message)
        self.kind = kind
        self.api_version = api_version


class UnknownKind(ProtobufError):
    """A well-formed protobuf object of a kind we have no schema for."""


Kinds = Callable[[str, str], str]


class Decoder:
    """Decodes objects against one schema (a mapping of message names to messages)."""

    def __init__(self, messages: Mapping[str, Message]) -> None:
        self.messages = messages

    def object(
        self, body: bytes, *, kinds: Kinds | None = None, unknown: list[str]
    ) -> dict[str, Any]:
        """A whole object: the ``k8s\\x00`` magic, then a runtime.Unknown wrapping the typed
        message. ``kinds`` maps (apiVersion, kind) to a message name (default: the kind);
        the paths of unknown fields are appended to ``unknown``."""
        return _Walk(self.messages, kinds or _same_name, unknown, nesting=0).object(body, "")


class _Walk:
    """One decoding: the schema and its kinds, where unknown field paths go, and how deep
    objects nest. ``path`` arguments say where a value sits in the object, for unknown field
    paths and error messages."""

    def __init__(
        self, messages: Mapping[str, Message], kinds: Kinds, unknown: list[str], nesting: int
    ) -> None:
        self.messages = messages
        self.kinds = kinds
        self.unknown = unknown
        self.nesting = nesting

    def object(self, body: bytes, path: str) -> dict[str, Any]:
        if not body.startswith(MAGIC):
            raise ProtobufError(
                "provided data does not appear to be a protobuf message, "
                f"expected prefix {list(MAGIC)}"
            )
        api_version, kind, raw = _unwrap(body[len(MAGIC) :])
        name = self.kinds(api_version, kind)
        if name not in self.messages:
            raise UnknownKind(f'no protobuf schema for kind "{kind}" in version "{api_version}"')
        obj: dict[str, Any] = {"kind": kind, "apiVersion": api_version}
        try:
            obj.update(self.message(raw, name, path))
        except ProtobufError as exc:
            if exc.kind:  # raised for an object nested in this one
                raise
            raise ProtobufError(str(exc), kind=kind, api_version=api_version) from None
        return obj

    def message(self, data: bytes, name: str, path: str) -> dict[str, Any]:
        """The JSON form of the message ``name`` encoded in ``data``."""
        message = self.messages[name]
        found: dict[int, list[int | bytes]] = {}
        try:
            for record in records(data):
                field = message.fields.get(record.number)
                if field is None:
                    self.unknown.append(_path(path, f"#{record.number}"))
                    continue
                _check_wire_type(field, record.wire_type, _path(path, field.name))
                found.setdefault(record.number, []).append(record.value)
        except WireError as exc:
            raise ProtobufError(f"{path or 'object'}: {exc}") from None
        out: dict[str, Any] = {}
        # Schema order is Go's struct order, so the dict reads like Go's JSON.
        for number, field in message.fields.items():
            if number in found:
                self._put(out, field, found[number], _path(path, field.name))
        return out

    def _put(self, out: dict[str, Any], field: Field, values: list[int | bytes], path: str) -> None:
        if field.map:
            out[field.name] = self._map(field, values, path)
        elif field.repeated:
            out[field.name] = self._list(field, values, path)
        elif field.is_message:
            # Proto merges repeated occurrences of a message field: decode them as one.
            decoded = self.message(b"".join(_as_bytes(v) for v in values), field.type, path)
            if field.inline:
                out.update(decoded)
            else:
                out[field.name] = decoded
        else:
            value = self._scalar(field.type, values[-1], path)
            if value is None:
                if not field.omitzero:
                    out[field.name] = None
            elif field.keep or value not in _ZEROS:
                out[field.name] = value

    def _list(self, field: Field, values: list[int | bytes], path: str) -> list[Any]:
        if field.is_message:
            return [
                self.message(_as_bytes(v), field.type, f"{path}[{i}]") for i, v in enumerate(values)
            ]
        items: list[int | bytes] = []
        for value in values:
            # Repeated varints arrive one record each, or packed into one length-delimited one.
            if field.type in _VARINT_TYPES and isinstance(value, bytes):
                items.extend(_packed(value, path))
            else:
                items.append(value)
        return [self._scalar(field.type, v, f"{path}[{i}]") for i, v in enumerate(items)]

    def _map(self, field: Field, values: list[int | bytes], path: str) -> dict[str, Any]:
        entries: dict[str, Any] = {}
        for entry in values:
            key_data: bytes = b""
            value_data: int | bytes | None = None
            try:
                for record in records(_as_bytes(entry)):
                    if record.number == 1 and record.wire_type == LENGTH_DELIMITED:
                        key_data = _as_bytes(record.value)
                    elif record.number == 2:
                        _check_wire_type(field, record.wire_type, path, map_value=True)
                        value_data = record.value
            except WireError as exc:
                raise ProtobufError(f"{path}: {exc}") from None
            key = _text(key_data)
            here = _path(path, key)
            if field.is_message:
                data = b"" if value_data is None else _as_bytes(value_data)
                entries[key] = self.message(data, field.type, here)
            else:
                raw = _zero_wire_value(field.type) if value_data is None else value_data
                entries[key] = self._scalar(field.type, raw, here)
        return entries

    def _scalar(self, type_name: str, value: int | bytes, path: str) -> Any:
        if type_name == "raw":
            return self._raw_extension(_as_bytes(value), path)
        try:
            return _CONVERTERS[type_name](value)
        except (WireError, ValueError, OverflowError) as exc:
            raise ProtobufError(f"{path}: {exc}") from None

    def _raw_extension(self, data: bytes, path: str) -> Any:
        """runtime.RawExtension {raw=1}: an embedded object, as JSON or as protobuf."""
        try:
            raw = _field_bytes(data, 1)
        except WireError as exc:
            raise ProtobufError(f"{path}: {exc}") from None
        if not raw:
            return None
        if raw.startswith(MAGIC):
            if self.nesting >= _MAX_NESTING:
                raise ProtobufError(f"{path}: objects nested more than {_MAX_NESTING} deep")
            nested = _Walk(self.messages, self.kinds, self.unknown, self.nesting + 1)
            return nested.object(raw, path)
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise ProtobufError(f"{path}: embedded object is not JSON: {exc}") from None


def _path(parent: str, name: str) -> str:
    return f"{parent}.{name}" if parent else name


def _same_name(api_version: str, kind: str) -> str:
    return kind


def _unwrap(data: bytes) -> tuple[str, str, bytes]:
    """apiVersion, kind and raw bytes of a runtime.Unknown (typeMeta=1, raw=2,
    contentEncoding=3, contentType=4)."""
    type_meta, raw, encoding = b"", b"", b""
    try:
        for record in records(data):
            if record.wire_type != LENGTH_DELIMITED:
                continue
            if record.number == 1:
                type_meta += _as_bytes(record.value)
            elif record.number == 2:
                raw = _as_bytes(record.value)
            elif record.number == 3:
                encoding = _as_bytes(record.value)
        # runtime.TypeMeta: apiVersion=1, kind=2 (the reverse of metav1.TypeMeta).
        api_version = _text(_field_bytes(type_meta, 1))
        kind = _text(_field_bytes(type_meta, 2))
    except WireError as exc:
        raise ProtobufError(f"malformed runtime.Unknown envelope: {exc}") from None
    if encoding:
        raise ProtobufError(f"unsupported content encoding {_text(encoding)!r}")
    if not kind or not api_version:
        raise ProtobufError("the protobuf object does not say its apiVersion and kind")
    return api_version, kind, raw


def _check_wire_type(field: Field, wire_type: int, path: str, *, map_value: bool = False) -> None:
    """A record of ``field`` (or a value in its map entries) must have the wire type its type
    is written with; repeated varints may also come packed."""
    if (field.map and not map_value) or field.type not in _VARINT_TYPES:
        expected = {LENGTH_DELIMITED}
    elif field.repeated:
        expected = {VARINT, LENGTH_DELIMITED}
    else:
        expected = {VARINT}
    if wire_type not in expected:
        raise ProtobufError(f"{path}: wrong wire type {wire_type} for a {field.type} field")


def _packed(data: bytes, path: str) -> list[int]:
    try:
        return packed_varints(data)
    except WireError as exc:
        raise ProtobufError(f"{path}: {exc}") from None


def _as_bytes(value: int | bytes) -> bytes:
    if not isinstance(value, bytes):
        raise WireError("expected a length-delimited value")
    return value


def _as_int(value: int | bytes) -> int:
    if isinstance(value, bytes):
        raise WireError("expected a varint")
    return value


def _text(data: bytes) -> str:
    # Go keeps invalid UTF-8 in strings and its JSON encoder writes U+FFFD for it.
    return data.decode("utf-8", errors="replace")


def _fields(data: bytes) -> dict[int, int | bytes]:
    """The last value of each field of a small wrapper message."""
    return {record.number: record.value for record in records(data)}


def _field_bytes(data: bytes, number: int) -> bytes:
    value = _fields(data).get(number, b"")
    return _as_bytes(value)


def _zero_wire_value(type_name: str) -> int | bytes:
    return 0 if type_name in _VARINT_TYPES else b""


def _quantity(value: int | bytes) -> str:
    # resource.Quantity {string=1}; Go writes its zero value as "0".
    return _text(_field_bytes(_as_bytes(value), 1)) or "0"


def _int_or_string(value: int | bytes) -> int | str:
    # intstr.IntOrString {type=1 (0 int, 1 string), intVal=2, strVal=3}.
    fields = _fields(_as_bytes(value))
    if _as_int(fields.get(1, 0)) == 1:
        return _text(_as_bytes(fields.get(3, b"")))
    return signed(_as_int(fields.get(2, 0)), 32)


def _timestamp(value: int | bytes) -> tuple[int, int] | None:
    """(seconds, nanos) of a metav1.Time/MicroTime {seconds=1, nanos=2}; None for the zero
    time, which Go encodes as an empty message."""
    data = _as_bytes(value)
    if not data:
        return None
    fields = _fields(data)
    return signed(_as_int(fields.get(1, 0))), signed(_as_int(fields.get(2, 0)), 32)


def _time(value: int | bytes) -> str | None:
    # Go's Time.Unmarshal keeps the seconds only.
    stamp = _timestamp(value)
    if stamp is None:
        return None
    return (_EPOCH + timedelta(seconds=stamp[0])).strftime("%Y-%m-%dT%H:%M:%SZ")


def _micro_time(value: int | bytes) -> str | None:
    stamp = _timestamp(value)
    if stamp is None:
        return None
    seconds, nanos = stamp
    moment = _EPOCH + timedelta(seconds=seconds, microseconds=nanos // 1000)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _fields_v1(value: int | bytes) -> Any:
    raw = _field_bytes(_as_bytes(value), 1)
    return json.loads(raw) if raw else None


_CONVERTERS: dict[str, Callable[[int | bytes], Any]] = {
    "str": lambda v: _text(_as_bytes(v)),
    "int": lambda v: signed(_as_int(v)),
    "bool": lambda v: _as_int(v) != 0,
    "bytes": lambda v: base64.b64encode(_as_bytes(v)).decode("ascii"),
    "quantity": _quantity,
    "intstr": _int_or_string,
    "time": _time,
    "microtime": _micro_time,
    "fieldsv1": _fields_v1,
}
