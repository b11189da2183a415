"""The agent's view of API failures: one exception per HTTP outcome it acts on differently.

Callers catch what they can handle (``NotFound`` on a deleted pod, ``Conflict`` on a stale
write, ``Expired`` to relist) and let the rest reach the loop that retries on its next period.
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """The API answered with an error ``Status`` (or could not be reached: ``Unreachable``)."""

    def __init__(self, code: int, message: str, reason: str = "") -> None:
        super().__init__(f"{code} {reason}: {message}" if reason else f"{code}: {message}")
        self.code = code
        self.message = message
        self.reason = reason


class NotFound(ApiError):
    pass


class AlreadyExists(ApiError):
    pass


class Conflict(ApiError):
    pass


class Expired(ApiError):
    """410 Gone: the resourceVersion asked for was compacted away; list again."""


class Unreachable(ApiError):
    """No answer from the API (connection refused, reset, timed out) or it is overloaded."""


def from_status(code: int, body: Any) -> ApiError:
    """The exception for an error response, from its code and ``Status`` body (if it has one)."""
    status = body if isinstance(body, dict) else {}
    message = str(status.get("message") or body or "")
    reason = str(status.get("reason") or "")
    if code == 404:
        return NotFound(code, message, reason)
    if code == 409 and reason == "AlreadyExists":
        return AlreadyExists(code, message, reason)
    if code == 409:
        return Conflict(code, message, reason)
    if code == 410:
        return Expired(code, message, reason)
    if code == 429 or code >= 500:
        return Unreachable(code, message, reason)
    return ApiError(code, message, reason)
