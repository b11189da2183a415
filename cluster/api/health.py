"""Liveness and readiness endpoints, answered the way kube-apiserver answers them.

``/livez`` and ``/healthz`` say the process is alive; ``/readyz`` says it can serve, which
needs the database. Probes, load balancers and ``kubectl get --raw='/readyz?verbose'`` read
them: the plain answer is ``ok``; with ``?verbose`` each check gets an ``[+]name ok`` line.
A failing check reads ``[-]name failed: reason`` with a short reason and never the error text,
because these endpoints answer without authentication (the detail goes to the log).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)

# A check returns None when healthy, else a short reason for the failure.
Check = Callable[[], str | None]


def check_ping() -> str | None:
    """Always healthy: answering at all proves the process serves requests."""
    return None


def check_database() -> str | None:
    """Healthy when the default database answers ``SELECT 1``."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as e:
        logger.warning("database check failed: %s", e)
        return f"database unavailable ({type(e).__name__})"
    return None


@never_cache
@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    return _report(request, "healthz", [("ping", check_ping)])


@never_cache
@require_safe
def livez(request: HttpRequest) -> HttpResponse:
    return _report(request, "livez", [("ping", check_ping)])


@never_cache
@require_safe
def readyz(request: HttpRequest) -> HttpResponse:
    return _report(request, "readyz", [("ping", check_ping), ("database", check_database)])


def _report(
    request: HttpRequest, endpoint: str, checks: Sequence[tuple[str, Check]]
) -> HttpResponse:
    lines: list[str] = []
    failed = False
    for name, check in checks:
        reason = check()
        if reason is None:
            lines.append(f"[+]{name} ok")
        else:
            failed = True
            lines.append(f"[-]{name} failed: {reason}")
    if failed:
        return _text("\n".join([*lines, f"{endpoint} check failed\n"]), status=503)
    if "verbose" in request.GET:
        return _text("\n".join([*lines, f"{endpoint} check passed\n"]))
    return _text("ok")


def _text(body: str, status: int = 200) -> HttpResponse:
    return HttpResponse(body, status=status, content_type="text/plain; charset=utf-8")
