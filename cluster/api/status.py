"""``v1 Status``: the body of every error the API returns, shaped as kube-apiserver shapes it.

kubectl and client-go read ``reason`` and ``code`` to decide what to print and whether to retry
(``You must be logged in to the server`` comes from ``reason: Unauthorized``), so an error in
any other shape degrades every client's messages.
"""

from __future__ import annotations

from typing import Any

import orjson
from django.http import HttpResponse, JsonResponse

from cluster.registry.errors import StoreError


def failure_status(*, code: int, reason: str, message: str) -> dict[str, Any]:
    """The ``Status`` object for a failed request."""
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }


def failure_response(*, code: int, reason: str, message: str) -> JsonResponse:
    """An HTTP response carrying :func:`failure_status` with the matching status code."""
    return JsonResponse(failure_status(code=code, reason=reason, message=message), status=code)


def error_status(exc: StoreError) -> dict[str, Any]:
    """The ``Status`` for an error raised by the registry or the store, with its details."""
    status = failure_status(code=exc.code, reason=exc.reason, message=exc.message)
    details: dict[str, Any] = {k: v for k, v in exc.details.items() if v}
    causes = getattr(exc, "causes", None)
    if causes:
        details["causes"] = [
            {"reason": c.reason, "message": c.message, "field": c.field} for c in causes
        ]
    if details:
        status["details"] = details
    return status


def error_response(exc: StoreError) -> HttpResponse:
    """An HTTP response for ``exc``: its Status body and matching status code."""
    return json_response(error_status(exc), status=exc.code)


def json_response(
    body: Any, *, status: int = 200, headers: dict[str, str] | None = None
) -> HttpResponse:
    """A JSON response encoded with orjson (kube objects can be large; speed matters)."""
    response = HttpResponse(
        orjson.dumps(body), status=status, content_type="application/json", headers=headers
    )
    return response
