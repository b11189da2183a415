"""Errors the store raises, one class per Kubernetes failure a client must tell apart.

The API layer maps each to a ``v1 Status`` (``reason`` and ``code``); nothing above the store
needs to know about SQL errors. Every error carries the key it concerns where there is one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cluster.store.types import Key


@dataclass(frozen=True)
class Cause:
    """One problem with a request, as ``details.causes`` of a Status reports it."""

    field: str
    message: str
    reason: str = "FieldValueInvalid"


class StoreError(Exception):
    """Base of every error the store raises on purpose."""

    reason = "InternalError"
    code = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = {}


class NotFound(StoreError):
    reason = "NotFound"
    code = 404


class ParentNotFound(NotFound):
    """A create's ``within`` object (``Store.create``) does not exist; ``key`` names it."""

    def __init__(self, message: str, key: Key) -> None:
        super().__init__(message)
        self.key = key


class ParentTerminating(StoreError):
    """A create's ``within`` object is being deleted; ``key`` names it. Kubernetes refuses
    new content in a terminating namespace with 403 Forbidden."""

    reason = "Forbidden"
    code = 403

    def __init__(self, message: str, key: Key) -> None:
        super().__init__(message)
        self.key = key


class AlreadyExists(StoreError):
    reason = "AlreadyExists"
    code = 409


class Conflict(StoreError):
    """A precondition (resourceVersion or uid) no longer holds: the caller read stale data."""

    reason = "Conflict"
    code = 409


class Expired(StoreError):
    """The revision asked for has been compacted away; the client must relist."""

    reason = "Expired"
    code = 410


class TooLargeResourceVersion(StoreError):
    """The revision asked for is newer than anything committed (kube-apiserver answers 504)."""

    reason = "Timeout"
    code = 504


class BadRequest(StoreError):
    """The request itself is malformed (a bad selector, an unknown field label, ...)."""

    reason = "BadRequest"
    code = 400

    def __init__(self, message: str, causes: list[Cause] | None = None) -> None:
        super().__init__(message)
        self.causes: list[Cause] = causes or []
