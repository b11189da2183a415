"""API clients are served by the lean handler; browsers and the admin by the full one."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from django.conf import settings
from django.core.asgi import get_asgi_application

from cluster.api.authentication import BearerTokenMiddleware
from cluster.api.routing import API_MIDDLEWARE, LeanASGIHandler, Router, is_api_request
from cluster.api.tokens import ensure_admin_user, issue_token


def _scope(path: str, *, cookie: bytes | None = None, auth: bytes | None = None) -> dict[str, Any]:
    headers = []
    if cookie is not None:
        headers.append((b"cookie", cookie))
    if auth is not None:
        headers.append((b"authorization", auth))
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "server": ("127.0.0.1", 6443),
        "client": ("127.0.0.1", 40000),
    }


@pytest.mark.parametrize(
    ("path", "lean"),
    [
        ("/api", True),
        ("/api/v1/namespaces/default/pods", True),
        ("/apis/coordination.k8s.io/v1", True),
        ("/version", True),
        ("/openapi/v3/api/v1", True),
        ("/api/docs/", False),
        ("/admin/", False),
        ("/healthz", False),
        ("/apiary", False),
    ],
)
def test_only_api_paths_go_to_the_lean_handler(path: str, lean: bool) -> None:
    assert is_api_request(_scope(path)) is lean


def test_a_browser_session_on_an_api_path_keeps_the_full_stack() -> None:
    cookie = f"{settings.SESSION_COOKIE_NAME}=abc; other=1".encode()
    assert is_api_request(_scope("/api/v1/pods", cookie=cookie)) is False
    assert is_api_request(_scope("/api/v1/pods", cookie=b"other=1")) is True


def test_the_lean_handler_runs_the_bearer_check_alone_and_settings_are_left_as_they_were() -> None:
    before = list(settings.MIDDLEWARE)

    handler = LeanASGIHandler()

    assert before == settings.MIDDLEWARE
    assert API_MIDDLEWARE == ("cluster.api.authentication.BearerTokenMiddleware",)
    # The chain is [bearer check] -> the view: Django wraps each link for exceptions.
    first = getattr(handler, "_middleware_chain").__wrapped__  # noqa: B009
    assert isinstance(first, BearerTokenMiddleware)
    view_link = getattr(first.get_response, "__wrapped__", None)
    assert view_link == getattr(handler, "_get_response_async")  # noqa: B009


async def _call(app: Router, scope: dict[str, Any]) -> tuple[int, bytes]:
    sent: list[dict[str, Any]] = []
    request_sent = False

    async def receive() -> dict[str, Any]:
        nonlocal request_sent
        if not request_sent:
            request_sent = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    async def send(message: Any) -> None:
        sent.append(dict(message))

    await asyncio.wait_for(app(scope, receive, send), timeout=30)
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, body


@pytest.mark.django_db(transaction=True)
def test_through_the_router_a_token_reads_the_api_and_no_token_gets_401() -> None:
    app = Router(get_asgi_application(), LeanASGIHandler())
    token = issue_token(ensure_admin_user(), name="t")

    status, body = asyncio.run(_call(app, _scope("/api/v1", auth=f"Bearer {token}".encode())))
    assert status == 200
    assert b'"APIResourceList"' in body

    status, body = asyncio.run(_call(app, _scope("/api/v1/pods")))
    assert status == 401
    assert b'"Unauthorized"' in body
