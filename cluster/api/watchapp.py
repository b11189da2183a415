"""Watch streams served straight on ASGI, below Django's request handling.

A watch lasts minutes; everything Django does per request (signals, the middleware chain)
runs sync code on a thread created for that request, and that thread lives as long as the
request: a thousand open watches were a thousand threads in one worker (bench/api.py). Here a
watch costs its queue, its socket and this coroutine. It reads the same options, resolves the
same paths and authenticates with the same bearer tokens as the rest of the API; watches from
a browser session (a session cookie, no token) still go through Django (cluster.api.routing).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

import orjson
from asgiref.sync import sync_to_async
from django.db import connections
from django.http import QueryDict

from cluster.api import tables, watch
from cluster.api.authentication import bearer_token
from cluster.api.authorization import authorize
from cluster.api.options import parse_options
from cluster.api.status import error_status, failure_status
from cluster.api.target import Target, not_found, resolve
from cluster.api.tokens import user_for_token
from cluster.registry.catalog import RESOURCES
from cluster.registry.errors import StoreError

if TYPE_CHECKING:
    from django.contrib.auth.models import User

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[Mapping[str, Any]], Awaitable[None]]

_TRUE = ("true", "1", "True")


def is_watch(scope: Scope) -> bool:
    """A GET on a resource path with ``watch=true``."""
    if scope.get("method") != "GET":
        return False
    path: str = scope.get("path", "")
    if not (path.startswith("/api/v1/") or path.startswith("/apis/")):
        return False
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    return any(value in _TRUE for value in query.get("watch", ()))


def _target(path: str) -> Target:
    if path.startswith("/api/v1/"):
        return resolve(RESOURCES, "", "v1", path[len("/api/v1/") :])
    parts = path[len("/apis/") :].split("/", 2)
    if len(parts) < 3:
        raise not_found()
    return resolve(RESOURCES, parts[0], parts[1], parts[2])


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}


async def _answer(send: Send, status: dict[str, Any]) -> None:
    code = int(status["code"])
    await send(
        {
            "type": "http.response.start",
            "status": code,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": orjson.dumps(status)})


def _authenticate(token: str) -> User | None:
    """The token's user; the lookup's database connection goes back to the pool at once."""
    try:
        return user_for_token(token)
    finally:
        connections.close_all()


async def watch_app(scope: Scope, receive: Receive, send: Send) -> None:
    headers = _headers(scope)
    token = bearer_token(headers.get("authorization", ""))
    user = await sync_to_async(_authenticate, thread_sensitive=False)(token)
    if user is None:
        await _answer(send, failure_status(code=401, reason="Unauthorized", message="Unauthorized"))
        return
    query = QueryDict(scope.get("query_string", b"").decode("latin-1"))
    try:
        target = _target(scope["path"])
        opts = parse_options(query)
        authorize(user.get_username(), target, "watch", lambda: None)
        subscription = await sync_to_async(watch.open_watch, thread_sensitive=False)(target, opts)
    except StoreError as exc:
        await _answer(send, error_status(exc))
        return
    as_table = tables.accepts_table(headers.get("accept", ""))
    include = query.get("includeObject", "Metadata")
    events = watch.events(subscription, target, opts, as_table, include)
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"application/json"),
                (b"cache-control", b"no-cache, private"),
            ],
        }
    )
    streaming = asyncio.ensure_future(_stream(events, send))
    gone = asyncio.ensure_future(_disconnected(receive))
    try:
        await asyncio.wait({streaming, gone}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (streaming, gone):
            task.cancel()
        await asyncio.gather(streaming, gone, return_exceptions=True)
        await events.aclose()


async def _stream(events: Any, send: Send) -> None:
    async for chunk in events:
        await send({"type": "http.response.body", "body": chunk, "more_body": True})
    await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _disconnected(receive: Receive) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
