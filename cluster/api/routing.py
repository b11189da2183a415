"""Where each request goes: API clients below Django, people through Django's full stack.

Django's usual middleware (sessions, CSRF, messages, ...) is written for browsers, and under
ASGI each of those middlewares hops to the request's sync thread and back. API clients
(kubectl, client-go, the node agent) authenticate with bearer tokens and need none of it:
measured with bench/api.py, the hops cost about half of a create's time in the worker. So a
request to an API path that carries no session cookie is served without them: watches by
``watchapp``, pod logs by ``podlogs``, exec (a WebSocket, cookie or not) by ``podexec``, the
verbs on resource paths by ``restapp`` (all below Django's request handling), and discovery,
``/version`` and ``/openapi`` by a Django handler whose only middleware is the bearer-token
check. Everything else (the admin, the API docs, a staff session reading the API in a browser)
keeps the full stack from settings.MIDDLEWARE.
"""

from __future__ import annotations

from django.conf import settings
from django.core.handlers.asgi import ASGIHandler

from cluster.api import podexec, podlogs, restapp, watchapp
from cluster.api.watchapp import Receive, Scope, Send

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
        if scope.get("type") in ("http", "websocket") and podexec.is_exec(scope):
            await podexec.exec_app(scope, receive, send)
        elif not is_api_request(scope):
            await self.full(scope, receive, send)
        elif watchapp.is_watch(scope):
            await watchapp.watch_app(scope, receive, send)
        elif podlogs.is_log(scope):
            await podlogs.log_app(scope, receive, send)
        elif (route := restapp.resource_route(scope["path"])) is not None:
            await restapp.rest_app(scope, receive, send, route)
        else:
            await self.lean(scope, receive, send)
