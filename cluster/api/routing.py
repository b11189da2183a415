"""Two Django handlers under one ASGI app: a lean one for API clients, the full one for people;
and watch streams below Django altogether (``watchapp``).

Django's usual middleware (sessions, CSRF, messages, ...) is written for browsers, and under
ASGI each of those middlewares hops to the request's sync thread and back. API clients
(kubectl, client-go, the node agent) authenticate with bearer tokens and need none of it:
measured with bench/api.py, the hops cost about half of a create's time in the worker. So
requests to API paths that carry no session cookie go through a handler whose only
middleware is the bearer-token check; everything else (the admin, the API docs, a staff
session reading the API in a browser) keeps the full stack from settings.MIDDLEWARE.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from django.conf import settings
from django.core.handlers.asgi import ASGIHandler

from cluster.api import watchapp

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[Mapping[str, Any]], Awaitable[None]]

API_MIDDLEWARE = ("cluster.api.authentication.BearerTokenMiddleware",)
API_PREFIXES = ("/api", "/apis", "/version", "/openapi")
BROWSER_PREFIXES = ("/api/docs",)


def _has_session_cookie(scope: Scope) -> bool:
    cookie_name = settings.SESSION_COOKIE_NAME.encode()
    for name, value in scope.get("headers", ()):
        if name == b"cookie" and cookie_name + b"=" in value:
            return True
    return False


def is_api_request(scope: Scope) -> bool:
    """Whether the lean handler serves this request."""
    if scope.get("type") != "http":
        return False
    path: str = scope.get("path", "")
    if not any(path == p or path.startswith(p + "/") for p in API_PREFIXES):
        return False
    if any(path == p or path.startswith(p + "/") for p in BROWSER_PREFIXES):
        return False
    return not _has_session_cookie(scope)


class LeanASGIHandler(ASGIHandler):
    """Django's ASGI handler with API_MIDDLEWARE instead of settings.MIDDLEWARE."""

    def load_middleware(self, is_async: bool = False) -> None:
        # BaseHandler reads settings.MIDDLEWARE and takes no list of its own; swap it in for
        # the duration of the load (this runs once, at start-up, before any request).
        full = settings.MIDDLEWARE
        settings.MIDDLEWARE = list(API_MIDDLEWARE)
        try:
            super().load_middleware(is_async)
        finally:
            settings.MIDDLEWARE = full


class Router:
    """The ASGI application: API requests to the lean handler, the rest to the full one."""

    def __init__(self, full: ASGIHandler, lean: ASGIHandler) -> None:
        self.full = full
        self.lean = lean

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not is_api_request(scope):
            await self.full(scope, receive, send)
        elif watchapp.is_watch(scope):
            await watchapp.watch_app(scope, receive, send)
        else:
            await self.lean(scope, receive, send)
