"""Errors the registry raises beyond the store's, shaped as kube-apiserver words them.

The store's errors speak of keys; the registry re-raises them in the words kubectl prints
(``pods "web" not found``) with the ``details`` a Status carries. ``field_errors`` builds the
``details.causes`` of a 422 one problem at a time, each with its field path.
"""

from __future__ import annotations

import json
from typing import Any

from cluster.store.errors import (
    AlreadyExists,
    BadRequest,
    Cause,
    Conflict,
    Expired,
    NotFound,
    StoreError,
    TooLargeResourceVersion,
)

__all__ = [
    "AlreadyExists",
    "BadRequest",
    "Cause",
    "Conflict",
    "Expired",
    "Forbidden",
    "Invalid",
    "MethodNotAllowed",
    "NotFound",
    "StoreError",
    "TooLargeResourceVersion",
    "describe_value",
    "duplicate",
    "forbidden",
    "invalid",
    "not_supported",
    "required",
    "too_long",
    "too_many",
]


class Invalid(StoreError):
    """422: the object breaks a validation rule; one cause per problem."""

    reason = "Invalid"
    code = 422

    def __init__(self, kind: str, name: str, causes: list[Cause], group: str = "") -> None:
        listed = [f"{c.field}: {c.message}" if c.field else c.message for c in causes]
        body = listed[0] if len(listed) == 1 else "[" + ", ".join(listed) + "]"
        super().__init__(f'{kind}{"." + group if group else ""} "{name}" is invalid: {body}')
        self.causes = causes
        self.details = {"name": name, "group": group, "kind": kind}


class Forbidden(StoreError):
    reason = "Forbidden"
    code = 403


class MethodNotAllowed(StoreError):
    reason = "MethodNotAllowed"
    code = 405


def describe_value(value: Any) -> str:
    """A value as Kubernetes quotes it in messages: strings quoted, numbers bare."""
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, dict | list):
        # kube 1.34+ renders composite values as compact JSON with sorted keys.
        return json.dumps(value, sort_keys=True, separators=(",", ":"))
    return str(value)


def required(field: str, detail: str = "") -> Cause:
    return Cause(field, "Required value" + (f": {detail}" if detail else ""), "FieldValueRequired")


def invalid(field: str, value: Any, detail: str) -> Cause:
    return Cause(field, f"Invalid value: {describe_value(value)}: {detail}", "FieldValueInvalid")


def not_supported(field: str, value: Any, supported: list[str]) -> Cause:
    choices = ", ".join(describe_value(s) for s in supported)
    return Cause(
        field,
        f"Unsupported value: {describe_value(value)}: supported values: {choices}",
        "FieldValueNotSupported",
    )


def duplicate(field: str, value: Any) -> Cause:
    return Cause(field, f"Duplicate value: {describe_value(value)}", "FieldValueDuplicate")


def forbidden(field: str, detail: str) -> Cause:
    return Cause(field, f"Forbidden: {detail}", "FieldValueForbidden")


def too_long(field: str, limit: int) -> Cause:
    return Cause(field, f"Too long: may not be more than {limit} bytes", "FieldValueTooLong")


def too_many(field: str, actual: int, limit: int) -> Cause:
    return Cause(field, f"Too many: {actual}: must have at most {limit} items", "FieldValueTooMany")
