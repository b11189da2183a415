"""Watch streams served on ASGI below Django: authentication, events, errors, disconnects."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import pytest
from django.db import connections

from cluster.api.tokens import ensure_admin_user, issue_token
from cluster.api.watchapp import is_watch, watch_app
from cluster.registry.bootstrap import ensure_system_namespaces
from cluster.registry.catalog import RESOURCES, default_registry

pytestmark = pytest.mark.django_db(transaction=True)


def _scope(path: str, query: str, token: str | None) -> dict[str, Any]:
    headers = [(b"authorization", f"Bearer {token}".encode())] if token else []
    return {
        "type": "http",
        "method": "GET",
        "path": path,
        "query_string": query.encode(),
        "headers": headers,
    }


async def _run(scope: dict[str, Any], *, disconnect_after: float) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        await asyncio.sleep(disconnect_after)
        return {"type": "http.disconnect"}

    async def send(message: Any) -> None:
        sent.append(dict(message))

    await asyncio.wait_for(watch_app(scope, receive, send), timeout=20)
    return sent


def _events(sent: list[dict[str, Any]]) -> list[dict[str, Any]]:
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return [orjson.loads(line) for line in body.splitlines() if line]


def test_only_get_requests_with_watch_true_on_resource_paths_are_watches() -> None:
    assert is_watch({"method": "GET", "path": "/api/v1/pods", "query_string": b"watch=true"})
    assert is_watch({"method": "GET", "path": "/apis/x/v1/leases", "query_string": b"watch=1"})
    assert not is_watch({"method": "GET", "path": "/api/v1/pods", "query_string": b""})
    assert not is_watch({"method": "POST", "path": "/api/v1/pods", "query_string": b"watch=1"})
    assert not is_watch({"method": "GET", "path": "/healthz", "query_string": b"watch=1"})


def test_a_watch_without_a_valid_token_is_401() -> None:
    sent = asyncio.run(_run(_scope("/api/v1/pods", "watch=true", "nope"), disconnect_after=5))

    assert sent[0]["status"] == 401
    assert _events(sent) == [
        {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": "Unauthorized",
            "reason": "Unauthorized",
            "code": 401,
        }
    ]


def test_a_watch_streams_the_current_state_and_ends_when_the_client_goes() -> None:
    ensure_system_namespaces(default_registry())
    token = issue_token(ensure_admin_user(), name="t")
    scope = _scope("/api/v1/namespaces", "watch=true", token)

    sent = asyncio.run(_run(scope, disconnect_after=1.0))

    assert sent[0]["status"] == 200
    names = [e["object"]["metadata"]["name"] for e in _events(sent) if e["type"] == "ADDED"]
    assert names == ["default", "kube-node-lease", "kube-public", "kube-system"]


def test_a_watch_from_a_compacted_revision_gets_a_410_error_event() -> None:
    ensure_system_namespaces(default_registry())
    store = default_registry().store
    store.compact(store.current_revision())
    token = issue_token(ensure_admin_user(), name="t")
    scope = _scope("/api/v1/namespaces", "watch=true&resourceVersion=1", token)

    sent = asyncio.run(_run(scope, disconnect_after=5))

    events = _events(sent)
    assert [e["type"] for e in events] == ["ERROR"]
    assert (events[0]["object"]["code"], events[0]["object"]["reason"]) == (410, "Expired")


def test_a_watch_on_an_unknown_resource_is_a_404_status() -> None:
    token = issue_token(ensure_admin_user(), name="t")
    sent = asyncio.run(_run(_scope("/api/v1/widgets", "watch=1", token), disconnect_after=5))

    assert sent[0]["status"] == 404
    assert _events(sent)[0]["reason"] == "NotFound"


def test_a_change_reaches_the_stream_as_one_json_line_with_the_object_as_stored() -> None:
    registry = default_registry()
    ensure_system_namespaces(registry)
    token = issue_token(ensure_admin_user(), name="t")
    since = registry.store.current_revision()
    scope = _scope("/api/v1/namespaces", f"watch=true&resourceVersion={since}", token)
    namespaces = RESOURCES.get("", "namespaces")
    assert namespaces is not None

    def create() -> Any:
        try:
            return registry.create(namespaces, None, {"metadata": {"name": "fresh"}}).object
        finally:
            connections.close_all()  # this thread's, so that the test database can be dropped

    async def watch_while_creating() -> tuple[Any, list[dict[str, Any]]]:
        streaming = asyncio.ensure_future(_run(scope, disconnect_after=2.0))
        await asyncio.sleep(0.5)
        created = await asyncio.to_thread(create)
        return created, await streaming

    created, sent = asyncio.run(watch_while_creating())

    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    line, rest = body.split(b"\n", 1)
    assert rest == b""
    assert orjson.loads(line) == {"type": "ADDED", "object": created}
