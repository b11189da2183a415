"""The schema language: a short text per message, transcribed from Kubernetes' generated.proto
files, plus what the JSON form of each field looks like (from the ``json:`` tags in types.go).

One message is a header line ``Name:`` and one indented line per field::

    ContainerPort:
      1 name str
      3 containerPort int keep

A field line is ``<number> <json name> <type> [flags]``; ``#`` starts a comment line. Types:

- scalars: ``str``, ``int`` (any varint integer: int32, int64), ``bool``, ``bytes`` (base64 in
  JSON, as Go encodes ``[]byte``);
- Kubernetes wrappers: ``quantity`` (resource.Quantity, its string), ``intstr``
  (intstr.IntOrString, an int or a string), ``time`` (metav1.Time, RFC 3339 to the second),
  ``microtime`` (metav1.MicroTime, RFC 3339 to the microsecond), ``fieldsv1`` (metav1.FieldsV1,
  raw JSON), ``raw`` (runtime.RawExtension, an embedded object);
- any other word is a message name; ``[]T`` is a repeated field and ``{T}`` a
  ``map<string, T>``.

Why flags: Go's generated protobuf code writes every non-pointer field, zero or not, while Go's
JSON encoder drops zero values of ``omitempty`` fields. So a zero on the wire means "unset"
unless the Go field is a pointer or its JSON tag has no ``omitempty``. Flags say which:

- ``keep``: a zero value is kept (a pointer field such as ``replicas *int32``, or a field whose
  JSON tag has no ``omitempty``). Without it a zero string, number or boolean is dropped.
- ``inline``: the Go field is embedded with ``json:",inline"``; its fields belong to the parent.
- ``omitzero``: a zero time is dropped; without it a zero time is JSON ``null``, as Go writes it.

Messages and lists are kept whenever they are on the wire, even empty (``"resources": {}``),
as Go's JSON writes struct values.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

SCALARS = frozenset(
    {"str", "int", "bool", "bytes", "quantity", "intstr", "time", "microtime", "fieldsv1", "raw"}
)
FLAGS = frozenset({"keep", "inline", "omitzero"})
_HEADER = re.compile(r"^([A-Z]\w*):$")
_FIELD = re.compile(r"^\s+(\d+) (\w+) (\[\]|\{)?(\w+)(\})?((?: \w+)*)$")


class SchemaError(ValueError):
    """A schema text that does not parse, or that names a message nobody defined."""


@dataclass(frozen=True)
class Field:
    number: int
    name: str
    type: str  # a scalar from SCALARS, or a message name
    repeated: bool = False
    map: bool = False
    keep: bool = False
    inline: bool = False
    omitzero: bool = False

    @property
    def is_message(self) -> bool:
        return self.type not in SCALARS


@dataclass(frozen=True)
class Message:
    name: str
    fields: Mapping[int, Field]


def parse_messages(text: str) -> dict[str, Message]:
    """The messages a schema text defines, by name."""
    messages: dict[str, Message] = {}
    name: str | None = None
    fields: dict[int, Field] = {}

    def close() -> None:
        if name is not None:
            if name in messages:
                raise SchemaError(f"message {name} is defined twice")
            messages[name] = Message(name, fields)

    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if header := _HEADER.match(line):
            close()
            name, fields = header.group(1), {}
            continue
        if name is None:
            raise SchemaError(f"field outside a message: {line!r}")
        field = _parse_field(line, name)
        if field.number in fields:
            raise SchemaError(f"{name}: field {field.number} is defined twice")
        fields[field.number] = field
    close()
    return messages


def _parse_field(line: str, message: str) -> Field:
    match = _FIELD.match(line)
    if match is None:
        raise SchemaError(f"{message}: cannot parse field line {line!r}")
    number, name, opening, type_name, closing, flag_text = match.groups()
    if (opening == "{") != (closing == "}"):
        raise SchemaError(f"{message}: unbalanced map braces in {line!r}")
    flags = set(flag_text.split())
    if not flags <= FLAGS:
        raise SchemaError(f"{message}.{name}: unknown flags {sorted(flags - FLAGS)}")
    field = Field(
        number=int(number),
        name=name,
        type=type_name,
        repeated=opening == "[]",
        map=opening == "{",
        keep="keep" in flags,
        inline="inline" in flags,
        omitzero="omitzero" in flags,
    )
    if field.inline and (not field.is_message or field.repeated or field.map):
        raise SchemaError(f"{message}.{name}: only a single message can be inline")
    return field


def merge(*parts: Mapping[str, Message]) -> dict[str, Message]:
    """One schema from several texts' messages; every referenced message must be defined."""
    messages: dict[str, Message] = {}
    for part in parts:
        for name, message in part.items():
            if name in messages:
                raise SchemaError(f"message {name} is defined twice")
            messages[name] = message
    missing = sorted(_undefined(messages.values(), messages))
    if missing:
        raise SchemaError(f"messages used but not defined: {', '.join(missing)}")
    return messages


def _undefined(messages: Iterable[Message], defined: Mapping[str, Message]) -> set[str]:
    return {
        field.type
        for message in messages
        for field in message.fields.values()
        if field.is_message and field.type not in defined
    }
