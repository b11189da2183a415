"""Label and field selectors: parsed once from Kubernetes syntax, matched in SQL or in memory.

The grammar follows ``k8s.io/apimachinery/pkg/labels`` and ``.../fields``:
label requirements ``k=v``, ``k==v``, ``k!=v``, ``k in (a,b)``, ``k notin (a,b)``, ``k`` and
``!k``; field requirements ``f=v``, ``f==v``, ``f!=v``. Requirements are ANDed. As in
Kubernetes, ``!=`` and ``notin`` also match objects that lack the key.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from cluster.store.errors import BadRequest, Cause

LabelOperator = Literal["=", "!=", "in", "notin", "exists", "!"]
FieldOperator = Literal["=", "!="]

_NAME = r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?"
_LABEL_NAME_RE = re.compile(rf"^{_NAME}$")
_LABEL_VALUE_RE = re.compile(rf"^({_NAME})?$")
_DNS_SUBDOMAIN_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


@dataclass(frozen=True)
class LabelRequirement:
    key: str
    operator: LabelOperator
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        present = self.key in labels
        if self.operator == "exists":
            return present
        if self.operator == "!":
            return not present
        if self.operator in ("=", "in"):
            return present and labels[self.key] in self.values
        return not present or labels[self.key] not in self.values


@dataclass(frozen=True)
class FieldRequirement:
    field: str
    operator: FieldOperator
    value: str

    def matches(self, fields: Mapping[str, str]) -> bool:
        equal = fields.get(self.field, "") == self.value
        return equal if self.operator == "=" else not equal


@dataclass(frozen=True)
class LabelSelector:
    requirements: tuple[LabelRequirement, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        return all(r.matches(labels) for r in self.requirements)

    def __bool__(self) -> bool:
        return bool(self.requirements)

    def __str__(self) -> str:
        return ",".join(_format_label(r) for r in self.requirements)


@dataclass(frozen=True)
class FieldSelector:
    requirements: tuple[FieldRequirement, ...] = ()

    def matches(self, fields: Mapping[str, str]) -> bool:
        return all(r.matches(fields) for r in self.requirements)

    def __bool__(self) -> bool:
        return bool(self.requirements)

    @property
    def fields(self) -> set[str]:
        return {r.field for r in self.requirements}


EVERYTHING = LabelSelector()
NO_FIELDS = FieldSelector()


def _format_label(r: LabelRequirement) -> str:
    if r.operator == "exists":
        return r.key
    if r.operator == "!":
        return f"!{r.key}"
    if r.operator in ("in", "notin"):
        return f"{r.key} {r.operator} ({','.join(r.values)})"
    return f"{r.key}{r.operator}{r.values[0]}"


def validate_label_key(key: str) -> str | None:
    """Return why ``key`` is not a valid label key (``[prefix/]name``), or None."""
    prefix, _, name = key.rpartition("/")
    if "/" in key and not prefix:
        return "prefix part must be non-empty"
    if prefix and (len(prefix) > 253 or not _DNS_SUBDOMAIN_RE.match(prefix)):
        return "prefix part must be a lowercase RFC 1123 subdomain"
    if not name or len(name) > 63 or not _LABEL_NAME_RE.match(name):
        return (
            "name part must consist of alphanumeric characters, '-', '_' or '.', and must "
            "start and end with an alphanumeric character, at most 63 characters"
        )
    return None


def validate_label_value(value: str) -> str | None:
    """Return why ``value`` is not a valid label value, or None."""
    if len(value) > 63 or not _LABEL_VALUE_RE.match(value):
        return (
            "a valid label must be an empty string or consist of alphanumeric characters, "
            "'-', '_' or '.', and must start and end with an alphanumeric character, "
            "at most 63 characters"
        )
    return None


_LABEL_TOKEN_RE = re.compile(r"\s*(!=|==|=|\(|\)|,|!|[^\s!=(),]+)")


def _tokenize(text: str) -> list[str]:
    tokens: list[str] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _LABEL_TOKEN_RE.match(text, pos)
        if m is None:  # pragma: no cover - the token pattern accepts any character
            raise _label_error(text, f"unexpected character at {pos}")
        tokens.append(m.group(1))
        pos = m.end()
    return tokens


def _label_error(text: str, why: str) -> BadRequest:
    return BadRequest(
        f"unable to parse requirement: {why}",
        [Cause(field="labelSelector", message=f"{text!r}: {why}", reason="FieldValueInvalid")],
    )


def parse_label_selector(text: str) -> LabelSelector:
    """Parse a ``labelSelector`` query string; raise BadRequest with the reason if malformed."""
    tokens = _tokenize(text)
    requirements: list[LabelRequirement] = []
    i = 0

    def take() -> str:
        nonlocal i
        if i >= len(tokens):
            raise _label_error(text, "unexpected end of selector")
        i += 1
        return tokens[i - 1]

    while i < len(tokens):
        tok = take()
        if tok == "!":
            key = take()
            _check_key(text, key)
            requirements.append(LabelRequirement(key, "!"))
        else:
            key = tok
            _check_key(text, key)
            op = tokens[i] if i < len(tokens) else ","
            if op == ",":
                requirements.append(LabelRequirement(key, "exists"))
            elif op in ("=", "==", "!="):
                take()
                value = "" if i >= len(tokens) or tokens[i] == "," else take()
                _check_value(text, value)
                requirements.append(LabelRequirement(key, "!=" if op == "!=" else "=", (value,)))
            elif op in ("in", "notin"):
                take()
                set_op: LabelOperator = "in" if op == "in" else "notin"
                requirements.append(LabelRequirement(key, set_op, _parse_set(text, take)))
            else:
                raise _label_error(text, f"found '{op}', expected: '=', '!=', '==', 'in', notin'")
        if i < len(tokens):
            if take() != ",":
                raise _label_error(text, "expected ',' between requirements")
            if i >= len(tokens):
                raise _label_error(text, "found trailing ','")
    return LabelSelector(tuple(requirements))


def _parse_set(text: str, take: Callable[[], str]) -> tuple[str, ...]:
    if take() != "(":
        raise _label_error(text, "expected '(' after set operator")
    values: list[str] = []
    while True:
        tok = take()
        if tok == ")" and not values:
            break
        if tok in (",", ")"):
            values.append("")
        else:
            _check_value(text, tok)
            values.append(tok)
            tok = take()
        if tok == ")":
            break
        if tok != ",":
            raise _label_error(text, f"found '{tok}', expected ',' or ')'")
    if not values:
        raise _label_error(text, "for 'in', 'notin' operators, values set can't be empty")
    return tuple(sorted(set(values)))


def _check_key(text: str, key: str) -> None:
    if key in ("(", ")", ",", "=", "==", "!=", "!", "in", "notin"):
        raise _label_error(text, f"found '{key}', expected: identifier")
    why = validate_label_key(key)
    if why:
        raise _label_error(text, f"invalid label key {key!r}: {why}")


def _check_value(text: str, value: str) -> None:
    why = validate_label_value(value)
    if why:
        raise _label_error(text, f"invalid label value {value!r}: {why}")


def selector_from_labels(labels: Mapping[str, str]) -> LabelSelector:
    """The selector ``k1=v1,k2=v2`` that an RC's or a Service's ``selector`` map means."""
    return LabelSelector(tuple(LabelRequirement(k, "=", (v,)) for k, v in sorted(labels.items())))


def _split_unescaped(text: str, sep: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    escaped = False
    for ch in text:
        if escaped:
            current.append(ch)
            escaped = False
        elif ch == "\\":
            escaped = True
            current.append(ch)
        elif ch == sep:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return parts


def _unescape_field_value(value: str, text: str) -> str:
    out: list[str] = []
    it = iter(value)
    for ch in it:
        if ch == "\\":
            nxt = next(it, "")
            if nxt not in ("\\", ",", "="):
                raise _field_error(text, f"invalid escape sequence in {value!r}")
            out.append(nxt)
        elif ch in (",", "="):
            raise _field_error(text, f"unescaped {ch!r} in value {value!r}")
        else:
            out.append(ch)
    return "".join(out)


def _field_error(text: str, why: str) -> BadRequest:
    return BadRequest(
        f"invalid field selector: {why}",
        [Cause(field="fieldSelector", message=f"{text!r}: {why}", reason="FieldValueInvalid")],
    )


def parse_field_selector(text: str) -> FieldSelector:
    """Parse a ``fieldSelector`` query string; raise BadRequest with the reason if malformed."""
    if not text.strip():
        return NO_FIELDS
    requirements: list[FieldRequirement] = []
    for part in _split_unescaped(text, ","):
        if not part:
            continue  # "a=b," and ",a=b" are accepted, as Kubernetes does
        operators: tuple[tuple[str, FieldOperator], ...] = (("!=", "!="), ("==", "="), ("=", "="))
        for op, name in operators:
            field, sep, raw = _partition_unescaped(part, op)
            if sep:
                field = field.strip()
                if not field:
                    raise _field_error(text, f"missing field name in {part!r}")
                value = _unescape_field_value(raw, text)
                requirements.append(FieldRequirement(field, name, value))
                break
        else:
            raise _field_error(text, f"{part!r} is not of the form field=value or field!=value")
    return FieldSelector(tuple(requirements))


def _partition_unescaped(text: str, sep: str) -> tuple[str, str, str]:
    i = 0
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text.startswith(sep, i):
            return text[:i], sep, text[i + len(sep) :]
        i += 1
    return text, "", ""
