"""Static files are served with DEBUG off, without collectstatic, and without costing async views.

The admin's stylesheet and the API docs' Swagger UI are found in their packages by WhiteNoise.
Under ASGI the middleware chain must stay async: a sync-only middleware would send every request,
watch streams included, through the process's one sync thread.
"""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import django.contrib.admin
from asgiref.sync import async_to_sync, iscoroutinefunction
from django.conf import settings
from django.core.handlers.asgi import ASGIHandler
from django.test import Client

ADMIN_CSS = Path(django.contrib.admin.__file__).parent / "static" / "admin" / "css" / "base.css"


def test_the_admin_stylesheet_is_served_with_debug_off_without_signing_in(
    client: Client,
) -> None:
    assert settings.DEBUG is False
    response = client.get("/static/admin/css/base.css")
    assert response.status_code == 200
    assert response["Content-Type"] == 'text/css; charset="utf-8"'
    assert response.getvalue() == ADMIN_CSS.read_bytes()


def test_the_api_docs_assets_are_served(client: Client) -> None:
    response = client.get("/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css")
    assert response.status_code == 200
    assert response["Content-Type"] == 'text/css; charset="utf-8"'


def test_a_missing_static_file_is_not_found(client: Client) -> None:
    assert client.get("/static/admin/css/missing.css").status_code == 404


async def asgi_get(path: str) -> tuple[int, dict[bytes, bytes], bytes]:
    """GET ``path`` from the ASGI application as uvicorn would: status, headers and body."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [(b"host", b"localhost")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    requests: list[dict[str, Any]] = [{"type": "http.request", "body": b"", "more_body": False}]
    sent: list[Mapping[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if requests:
            return requests.pop()
        await asyncio.Event().wait()  # the client never disconnects; Django stops listening
        raise AssertionError("unreachable")

    async def send(message: Mapping[str, Any]) -> None:
        sent.append(message)

    await asyncio.wait_for(ASGIHandler()(scope, receive, send), timeout=10)
    start, *bodies = sent
    return start["status"], dict(start["headers"]), b"".join(m.get("body", b"") for m in bodies)


def test_under_asgi_the_stylesheet_is_served_without_a_warning() -> None:
    with warnings.catch_warnings():
        # Django warns when it has to read a file response's sync iterator for an ASGI server.
        warnings.simplefilter("error")
        status, headers, body = async_to_sync(asgi_get)("/static/admin/css/base.css")
    assert status == 200
    assert headers[b"Content-Type"] == b'text/css; charset="utf-8"'
    assert body == ADMIN_CSS.read_bytes()


def test_under_asgi_the_middleware_chain_stays_async() -> None:
    # ``_middleware_chain`` is what Django calls per request; were any middleware sync-only,
    # it would be a SyncToAsync wrapper running the whole chain in the sync thread.
    assert iscoroutinefunction(ASGIHandler()._middleware_chain)  # type: ignore[attr-defined]
