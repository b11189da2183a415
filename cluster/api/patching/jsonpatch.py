"""JSON patch (RFC 6902, ``application/json-patch+json``) as kube-apiserver applies it.

kube-apiserver applies JSON patches with evanphx/json-patch (gopkg.in/evanphx/json-patch.v4),
and clients depend on its behaviour where it is looser than the RFC, so this follows the
library rather than the RFC:

- ``replace`` of a missing object member adds it; only list indexes must exist.
- ``copy`` from a missing member copies ``null``; ``add`` without ``value`` adds ``null``.
- negative list indexes count from the end (``-1`` is the last item; for ``add`` it appends),
  and indexes are read like Go's ``strconv.Atoi`` (``01`` and ``+1`` are 1).
- a path without its leading ``/`` still resolves from the root (its first segment is
  ignored); the root ``""`` can be replaced (by an object or a list) and tested, not added
  to or removed.
- ``test`` of a missing member passes when ``value`` is absent or ``null``; objects are equal
  when they have the same members.

Where the library compares the JSON text of two scalars, this compares their values (so
``1.5`` equals ``1.50`` here and not there; ``1`` and ``1.0`` differ in both).
"""

from __future__ import annotations

import copy
import re
from enum import Enum

from cluster.api.patching import gojson
from cluster.api.patching.errors import PatchBadRequest, PatchInvalid, PatchTooLarge
from cluster.api.patching.govalues import JSONArray, JSONObject, JSONValue, go_equal

MAX_OPERATIONS = 10000
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
ATOI_SYNTAX = re.compile(r"[+-]?[0-9]+")

Container = JSONObject | JSONArray


class _Absent(Enum):
    """An operation member that is not there at all (``null`` is ``None``)."""

    ABSENT = "absent"


ABSENT = _Absent.ABSENT
Operand = JSONValue | _Absent


class OperationError(Exception):
    """One operation does not apply; the text is the library's error chain."""


def apply_json_patch(document: JSONObject, body: bytes | str) -> Container:
    """Apply the JSON patch ``body`` to ``document`` (modified in place) and return the result.

    The result is normally ``document``; a ``replace`` of the root returns its value instead.
    """
    operations = decode_operations(body)
    root: Container = document
    for operation in operations:
        try:
            root = _apply_operation(root, operation)
        except OperationError as error:
            raise PatchInvalid.rejected(str(error)) from error
    return root


def decode_operations(body: bytes | str) -> list[JSONObject | None]:
    """The operations of a JSON patch body, refused with kube's 400 or 413 answers."""
    try:
        value = gojson.decode(body)
    except gojson.GoJSONError as error:
        raise PatchBadRequest(str(error)) from error
    if value is None:
        return []
    if not isinstance(value, list):
        raise PatchBadRequest(gojson.type_error(value, "jsonpatch.Patch"))
    operations: list[JSONObject | None] = []
    for item in value:
        if item is not None and not isinstance(item, dict):
            raise PatchBadRequest(gojson.type_error(item, "jsonpatch.Operation"))
        operations.append(item)
    if len(operations) > MAX_OPERATIONS:
        raise PatchTooLarge(
            "Request entity too large: The allowed maximum operations in a JSON patch is "
            f"{MAX_OPERATIONS}, got {len(operations)}"
        )
    return operations


def _apply_operation(root: Container, operation: JSONObject | None) -> Container:
    op = operation or {}
    kind = op.get("op")
    if kind == "add":
        _add(root, op)
    elif kind == "remove":
        _remove(root, op)
    elif kind == "replace":
        return _replace(root, op)
    elif kind == "move":
        _move(root, op)
    elif kind == "test":
        _test(root, op)
    elif kind == "copy":
        _copy(root, op)
    else:
        raise OperationError(f"Unexpected kind: {kind if isinstance(kind, str) else 'unknown'}")
    return root


def _member(op: JSONObject, name: str, missing: str) -> str:
    """The string member ``path`` or ``from``, or the library's error for it."""
    value = op.get(name)
    if value is None:
        raise OperationError(f"{missing}: missing value")
    if not isinstance(value, str):
        raise OperationError(gojson.type_error(value, "string"))
    return value


def _path(op: JSONObject, action: str, *, keep_cause: bool) -> str:
    try:
        return _member(op, "path", "operation missing path field")
    except OperationError as error:
        cause = str(error) if keep_cause else "missing value"
        raise OperationError(f"{action} operation failed to decode path: {cause}") from error


def _from(op: JSONObject, action: str) -> str:
    try:
        return _member(op, "from", "operation, missing from field")
    except OperationError as error:
        raise OperationError(f"{action} operation failed to decode from: {error}") from error


def _decode_key(key: str) -> str:
    return key.replace("~1", "/").replace("~0", "~")


def _find(root: Container, path: str) -> tuple[Container, str] | None:
    """The container holding the last segment of ``path``, and that segment's key."""
    segments = path.split("/")
    if len(segments) < 2:
        return None
    container = root
    for segment in segments[1:-1]:
        try:
            child = _get(container, _decode_key(segment))
        except OperationError:
            return None
        if not isinstance(child, dict | list):
            return None
        container = child
    return container, _decode_key(segments[-1])


def _atoi(key: str) -> int:
    """Go's ``strconv.Atoi``, with its error text."""
    if not ATOI_SYNTAX.fullmatch(key):
        raise OperationError(f'strconv.Atoi: parsing "{key}": invalid syntax')
    index = int(key)
    if not INT64_MIN <= index <= INT64_MAX:
        raise OperationError(f'strconv.Atoi: parsing "{key}": value out of range')
    return index


def _invalid_index(index: int) -> OperationError:
    return OperationError(f"Unable to access invalid index: {index}: invalid index referenced")


def _list_index(items: JSONArray, key: str) -> int:
    """An existing position in ``items``; negative keys count from the end."""
    index = _atoi(key)
    if index < 0:
        if index < -len(items):
            raise _invalid_index(index)
        index += len(items)
    if index >= len(items):
        raise _invalid_index(index)
    return index


def _get(container: Container, key: str) -> JSONValue:
    if isinstance(container, dict):
        return container.get(key)
    return container[_list_index(container, key)]


def _insert(container: Container, key: str, value: JSONValue) -> None:
    if isinstance(container, dict):
        container[key] = value
        return
    if key == "-":
        container.append(value)
        return
    try:
        index = _atoi(key)
    except OperationError as error:
        raise OperationError(f"value was not a proper array index: '{key}': {error}") from error
    size = len(container) + 1
    if index >= size or index < -size:
        raise _invalid_index(index)
    container.insert(index + size if index < 0 else index, value)


def _delete(container: Container, key: str) -> None:
    if isinstance(container, dict):
        if key not in container:
            raise OperationError(f"Unable to remove nonexistent key: {key}: missing value")
        del container[key]
        return
    del container[_list_index(container, key)]


def _operand(op: JSONObject) -> Operand:
    return op.get("value", ABSENT)


def _add(root: Container, op: JSONObject) -> None:
    path = _path(op, "add", keep_cause=False)
    found = _find(root, path)
    if found is None:
        raise OperationError(
            f'add operation does not apply: doc is missing path: "{path}": missing value'
        )
    container, key = found
    value = _operand(op)
    try:
        _insert(container, key, None if value is ABSENT else value)
    except OperationError as error:
        raise OperationError(f"error in add for path: '{path}': {error}") from error


def _remove(root: Container, op: JSONObject) -> None:
    path = _path(op, "remove", keep_cause=False)
    found = _find(root, path)
    if found is None:
        raise OperationError(
            f'remove operation does not apply: doc is missing path: "{path}": missing value'
        )
    try:
        _delete(*found)
    except OperationError as error:
        raise OperationError(f"error in remove for path: '{path}': {error}") from error


def _replace(root: Container, op: JSONObject) -> Container:
    path = _path(op, "replace", keep_cause=True)
    value = _operand(op)
    if path == "":
        if not isinstance(value, dict | list):
            raise OperationError("replace operation value must be object or array: %!w(<nil>)")
        return value
    found = _find(root, path)
    if found is None:
        raise OperationError(
            f"replace operation does not apply: doc is missing path: {path}: missing value"
        )
    container, key = found
    try:
        _get(container, key)
    except OperationError as error:
        raise OperationError(
            f"replace operation does not apply: doc is missing key: {path}: missing value"
        ) from error
    new = None if value is ABSENT else value
    if isinstance(container, dict):
        container[key] = new
    else:
        container[_list_index(container, key)] = new
    return root


def _move(root: Container, op: JSONObject) -> None:
    source = _from(op, "move")
    found = _find(root, source)
    if found is None:
        raise OperationError(
            f"move operation does not apply: doc is missing from path: {source}: missing value"
        )
    container, key = found
    try:
        value = _get(container, key)
        _delete(container, key)
    except OperationError as error:
        raise OperationError(f"error in move for path: '{key}': {error}") from error
    path = _path(op, "move", keep_cause=True)
    target = _find(root, path)
    if target is None:
        raise OperationError(
            f"move operation does not apply: doc is missing destination path: {path}: missing value"
        )
    try:
        _insert(*target, value)
    except OperationError as error:
        raise OperationError(f"error in move for path: '{path}': {error}") from error


def _copy(root: Container, op: JSONObject) -> None:
    source = _from(op, "copy")
    found = _find(root, source)
    if found is None:
        raise OperationError(
            f"copy operation does not apply: doc is missing from path: {source}: missing value"
        )
    try:
        value = _get(*found)
    except OperationError as error:
        raise OperationError(f"error in copy for from: '{source}': {error}") from error
    path = _path(op, "copy", keep_cause=False)
    target = _find(root, path)
    if target is None:
        raise OperationError(
            f"copy operation does not apply: doc is missing destination path: {path}: missing value"
        )
    try:
        _insert(*target, copy.deepcopy(value))
    except OperationError as error:
        raise OperationError(f"error while adding value during copy: {error}") from error


def _test(root: Container, op: JSONObject) -> None:
    path = _path(op, "test", keep_cause=True)
    expected = _operand(op)
    failed = OperationError(f"testing value {path} failed: test failed")
    if path == "":
        if not _equal(root, expected):
            raise failed
        return
    found = _find(root, path)
    if found is None:
        raise OperationError(
            f"test operation does not apply: is missing path: {path}: missing value"
        )
    try:
        actual = _get(*found)
    except OperationError as error:
        raise OperationError(f"error in test for path: '{path}': {error}") from error
    if actual is None:
        if expected is ABSENT or expected is None:
            return
        raise failed
    if not _equal(actual, expected):
        raise failed


def _equal(actual: JSONValue, expected: Operand) -> bool:
    """The library's ``equal``: the document's value against the operation's."""
    if isinstance(actual, dict):
        if not isinstance(expected, dict) or len(actual) != len(expected):
            return False
        for key, value in actual.items():
            if key not in expected:
                return False
            other = expected[key]
            if (value is None) != (other is None):
                return False
            if value is not None and not _equal(value, other):
                return False
        return True
    if isinstance(actual, list):
        if not isinstance(expected, list) or len(actual) != len(expected):
            return False
        return all(_equal(mine, theirs) for mine, theirs in zip(actual, expected, strict=True))
    if isinstance(expected, dict | list) or expected is ABSENT:
        return False
    return go_equal(actual, expected)
