"""Read a patch body as Go's ``encoding/json`` reads it, with its error messages.

A malformed body is a 400 whose message is the decoder's error, so clients see
"invalid character 'x' looking for beginning of value" from kube-apiserver. Python's ``json``
words errors differently and accepts things Go refuses (``NaN``, ``Infinity``), so the body is
first checked by a scanner that follows Go's grammar and wording, then parsed by ``json``.
"""

from __future__ import annotations

import json

from cluster.api.patching.govalues import JSONValue

WHITESPACE = b" \t\r\n"
ESCAPES = b'"\\/bfnrt'
HEX = b"0123456789abcdefABCDEF"
DIGITS = b"0123456789"
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


class GoJSONError(ValueError):
    """The message Go's decoder gives for a body, e.g. ``unexpected end of JSON input``."""


def decode(body: bytes | str, *, preserve_ints: bool = False) -> JSONValue:
    """Parse ``body`` or raise ``GoJSONError`` with Go's wording.

    ``preserve_ints`` mirrors ``UnmarshalCaseSensitivePreserveInts``: integer literals that fit
    int64 stay integers and larger ones become floats, as kube reads strategic merge patches.
    """
    data = body.encode() if isinstance(body, str) else body
    _Scanner(data).check()
    text = data.decode("utf-8", errors="replace")
    parsed: JSONValue = json.loads(text, parse_int=_go_int if preserve_ints else int)
    return parsed


def type_error(value: JSONValue, go_type: str) -> str:
    """Go's message for decoding ``value`` into a Go value of ``go_type``."""
    if isinstance(value, dict):
        found = "object"
    elif isinstance(value, list):
        found = "array"
    elif isinstance(value, bool):
        found = "bool"
    elif isinstance(value, str):
        found = "string"
    else:
        found = "number"
    return f"json: cannot unmarshal {found} into Go value of type {go_type}"


def _go_int(literal: str) -> int | float:
    number = int(literal)
    return number if INT64_MIN <= number <= INT64_MAX else float(number)


def _quote_char(byte: int) -> str:
    """Go's ``quoteChar``: the offending byte as it appears in a syntax error."""
    if byte == ord("'"):
        return "'\\''"
    if byte == ord('"'):
        return "'\"'"
    named = {7: "\\a", 8: "\\b", 9: "\\t", 10: "\\n", 11: "\\v", 12: "\\f", 13: "\\r"}
    if byte in named:
        return f"'{named[byte]}'"
    if byte == ord("\\"):
        return "'\\\\'"
    if byte < 0x20 or byte == 0x7F:
        return f"'\\x{byte:02x}'"
    if 0x80 <= byte < 0xA1 or byte == 0xAD:
        return f"'\\u{byte:04x}'"
    return f"'{chr(byte)}'"


class _Scanner:
    """A recursive checker that stops at the first error Go's scanner would report."""

    def __init__(self, data: bytes):
        self.data = data
        self.pos = 0

    def check(self) -> None:
        self._value()
        self._skip_space()
        if self.pos < len(self.data):
            self._fail("after top-level value")

    def _fail(self, context: str) -> None:
        raise GoJSONError(f"invalid character {_quote_char(self.data[self.pos])} {context}")

    def _peek(self) -> int:
        if self.pos >= len(self.data):
            raise GoJSONError("unexpected end of JSON input")
        return self.data[self.pos]

    def _skip_space(self) -> None:
        while self.pos < len(self.data) and self.data[self.pos] in WHITESPACE:
            self.pos += 1

    def _value(self) -> None:
        self._skip_space()
        byte = self._peek()
        if byte == ord("{"):
            self._object()
        elif byte == ord("["):
            self._array()
        elif byte == ord('"'):
            self._string()
        elif byte == ord("-") or byte in DIGITS:
            self._number()
        elif byte in b"tfn":
            self._literal({ord("t"): b"true", ord("f"): b"false", ord("n"): b"null"}[byte])
        else:
            self._fail("looking for beginning of value")

    def _object(self) -> None:
        self.pos += 1
        self._skip_space()
        if self._peek() == ord("}"):
            self.pos += 1
            return
        while True:
            self._skip_space()
            if self._peek() != ord('"'):
                self._fail("looking for beginning of object key string")
            self._string()
            self._skip_space()
            if self._peek() != ord(":"):
                self._fail("after object key")
            self.pos += 1
            self._value()
            self._skip_space()
            byte = self._peek()
            self.pos += 1
            if byte == ord("}"):
                return
            if byte != ord(","):
                self.pos -= 1
                self._fail("after object key:value pair")

    def _array(self) -> None:
        self.pos += 1
        self._skip_space()
        if self._peek() == ord("]"):
            self.pos += 1
            return
        while True:
            self._value()
            self._skip_space()
            byte = self._peek()
            self.pos += 1
            if byte == ord("]"):
                return
            if byte != ord(","):
                self.pos -= 1
                self._fail("after array element")

    def _string(self) -> None:
        self.pos += 1
        while True:
            byte = self._peek()
            if byte == ord('"'):
                self.pos += 1
                return
            if byte == ord("\\"):
                self.pos += 1
                escape = self._peek()
                if escape == ord("u"):
                    for _ in range(4):
                        self.pos += 1
                        if self._peek() not in HEX:
                            self._fail("in \\u hexadecimal character escape")
                elif escape not in ESCAPES:
                    self._fail("in string escape code")
            elif byte < 0x20:
                self._fail("in string literal")
            self.pos += 1

    def _digits(self) -> None:
        while self.pos < len(self.data) and self.data[self.pos] in DIGITS:
            self.pos += 1

    def _number(self) -> None:
        if self.data[self.pos] == ord("-"):
            self.pos += 1
            if self._peek() not in DIGITS:
                self._fail("in numeric literal")
        if self.data[self.pos] == ord("0"):
            self.pos += 1
        else:
            self._digits()
        if self.pos < len(self.data) and self.data[self.pos] == ord("."):
            self.pos += 1
            if self._peek() not in DIGITS:
                self._fail("after decimal point in numeric literal")
            self._digits()
        if self.pos < len(self.data) and self.data[self.pos] in b"eE":
            self.pos += 1
            if self._peek() in b"+-":
                self.pos += 1
            if self._peek() not in DIGITS:
                self._fail("in exponent of numeric literal")
            self._digits()

    def _literal(self, word: bytes) -> None:
        self.pos += 1
        for expected in word[1:]:
            if self._peek() != expected:
                self._fail(f"in literal {word.decode()} (expecting {_quote_char(expected)})")
            self.pos += 1
