"""API clients' requests on resource paths, served on ASGI below Django (cluster.api.restapp).

The handlers are the ones the Django route runs (tests/api drives most of them through
Django's test client); these tests cover what this way in does itself: which paths it takes,
bearer-token authentication, the request body, the response it writes, the in-flight limit,
running each request's sync work on a pool thread, and creates on the event loop.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import orjson
import pytest
from django.core.asgi import get_asgi_application

from cluster.api import views
from cluster.api.restapp import resource_route
from cluster.api.routing import LeanASGIHandler, Router
from cluster.api.tokens import ensure_admin_user, issue_token
from cluster.registry.bootstrap import ensure_system_namespaces
from cluster.registry.catalog import RESOURCES, default_registry

PODS = "/api/v1/namespaces/default/pods"


@pytest.mark.parametrize(
    ("path", "route"),
    [
        ("/api/v1/pods", ("", "v1", "pods")),
        (
            "/api/v1/namespaces/default/pods/p/status",
            ("", "v1", "namespaces/default/pods/p/status"),
        ),
        (
            "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases",
            ("coordination.k8s.io", "v1", "namespaces/kube-node-lease/leases"),
        ),
        ("/api/v1/", None),
        ("/api/v1", None),
        ("/api", None),
        ("/apis/coordination.k8s.io/v1", None),
        ("/apis/coordination.k8s.io/v1/", None),
        ("/apis/coordination.k8s.io", None),
        ("/version", None),
        ("/openapi/v3/api/v1", None),
    ],
)
def test_only_resource_paths_are_served_below_django(
    path: str, route: tuple[str, str, str] | None
) -> None:
    assert resource_route(path) == route


def _scope(method: str, path: str, token: str | None, query: str = "") -> dict[str, Any]:
    headers = [(b"content-type", b"application/json"), (b"accept", b"application/json")]
    if token is not None:
        headers.append((b"authorization", f"Bearer {token}".encode()))
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "https",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": headers,
        "server": ("127.0.0.1", 6443),
        "client": ("127.0.0.1", 40000),
    }


class Answer:
    def __init__(self, sent: list[dict[str, Any]]) -> None:
        self.sent = sent

    @property
    def status(self) -> int:
        return int(next(m["status"] for m in self.sent if m["type"] == "http.response.start"))

    @property
    def headers(self) -> dict[str, str]:
        start = next(m for m in self.sent if m["type"] == "http.response.start")
        return {k.decode().lower(): v.decode() for k, v in start["headers"]}

    @property
    def body(self) -> bytes:
        return b"".join(m.get("body", b"") for m in self.sent if m["type"] == "http.response.body")

    def json(self) -> Any:
        return orjson.loads(self.body)


def _call(scope: dict[str, Any], chunks: list[bytes], *, disconnect: bool = False) -> Answer:
    """Run one request through the ASGI app, its body sent in ``chunks`` (then, with
    ``disconnect``, the client going away instead of finishing it)."""
    app = Router(get_asgi_application(), LeanASGIHandler())
    messages: list[dict[str, Any]] = [
        {"type": "http.request", "body": chunk, "more_body": disconnect or i < len(chunks) - 1}
        for i, chunk in enumerate(chunks)
    ]
    if disconnect:
        messages.append({"type": "http.disconnect"})
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if messages:
            return messages.pop(0)
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    async def send(message: Any) -> None:
        sent.append(dict(message))

    asyncio.run(asyncio.wait_for(app(scope, receive, send), timeout=30))
    return Answer(sent)


def _pod(name: str) -> bytes:
    return orjson.dumps(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name},
            "spec": {"containers": [{"name": "main", "image": "busybox"}]},
        }
    )


@pytest.fixture
def token() -> str:
    ensure_system_namespaces(default_registry())
    return issue_token(ensure_admin_user(), name="t")


def _pod_names() -> list[str]:
    pods = RESOURCES.get("", "pods")
    assert pods is not None
    listed = default_registry().list(pods, "default")
    return [item["metadata"]["name"] for item in listed.items]


@pytest.mark.django_db(transaction=True)
def test_a_client_creates_a_pod_and_the_answer_gives_its_length(token: str) -> None:
    answer = _call(_scope("POST", PODS, token), [_pod("web")])

    assert answer.status == 201
    assert answer.headers["content-type"] == "application/json"
    assert answer.headers["content-length"] == str(len(answer.body))
    created = answer.json()
    assert created["metadata"]["name"] == "web"
    assert created["metadata"]["resourceVersion"]
    assert _pod_names() == ["web"]


@pytest.mark.django_db(transaction=True)
def test_a_body_sent_in_several_chunks_is_read_whole(token: str) -> None:
    body = _pod("chunked")

    answer = _call(_scope("POST", PODS, token), [body[:10], body[10:30], body[30:]])

    assert answer.status == 201
    assert _pod_names() == ["chunked"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("credentials", [None, "not-a-token"])
def test_without_a_valid_token_a_request_is_401_and_writes_nothing(
    token: str, credentials: str | None
) -> None:
    answer = _call(_scope("POST", PODS, credentials), [_pod("web")])

    assert answer.status == 401
    assert answer.headers["www-authenticate"] == 'Bearer realm="pilothouse"'
    assert (answer.json()["kind"], answer.json()["reason"]) == ("Status", "Unauthorized")
    assert _pod_names() == []


@pytest.mark.django_db(transaction=True)
def test_a_client_that_goes_away_before_its_body_ends_gets_no_answer_and_writes_nothing(
    token: str,
) -> None:
    answer = _call(_scope("POST", PODS, token), [_pod("web")[:20]], disconnect=True)

    assert answer.sent == []
    assert _pod_names() == []


@pytest.mark.django_db(transaction=True)
def test_an_unknown_resource_is_a_404_status(token: str) -> None:
    answer = _call(_scope("GET", "/api/v1/namespaces/default/widgets", token), [b""])

    assert answer.status == 404
    assert answer.json()["reason"] == "NotFound"


@pytest.mark.django_db(transaction=True)
def test_past_the_in_flight_limit_a_client_gets_429_with_retry_after(
    token: str, settings: Any
) -> None:
    settings.CLUSTER_API_MAX_REQUESTS_INFLIGHT = 2
    views.IN_FLIGHT.count = 2  # two requests are being served
    try:
        refused = _call(_scope("GET", PODS, token), [b""])
    finally:
        views.IN_FLIGHT.count = 0

    assert refused.status == 429
    assert refused.headers["retry-after"] == "1"
    assert _call(_scope("GET", PODS, token), [b""]).status == 200


@pytest.fixture
def hops(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The name of each function a request handed to a pool thread."""
    handed: list[str] = []
    run = views.SYNC_POOL.run

    async def recorded(fn: Any, *args: object) -> Any:
        handed.append(fn.__name__)
        return await run(fn, *args)

    monkeypatch.setattr(views.SYNC_POOL, "run", recorded)
    return handed


@pytest.mark.django_db(transaction=True)
def test_a_create_is_served_on_the_event_loop_without_a_pool_thread(
    token: str, hops: list[str]
) -> None:
    assert _call(_scope("GET", PODS, token), [b""]).status == 200  # the token is now cached
    hops.clear()

    answer = _call(_scope("POST", PODS, token), [_pod("web")])

    assert answer.status == 201
    assert hops == []
    assert _pod_names() == ["web"]


@pytest.mark.django_db(transaction=True)
def test_a_dry_run_create_and_other_verbs_take_a_pool_thread(token: str, hops: list[str]) -> None:
    assert _call(_scope("GET", PODS, token), [b""]).status == 200
    hops.clear()

    dry = _call(_scope("POST", PODS, token, "dryRun=All"), [_pod("web")])
    listed = _call(_scope("GET", PODS, token), [b""])

    assert dry.status == 201
    assert listed.status == 200
    assert listed.json()["items"] == []
    assert hops == ["_run", "_run"]


def _slow_then(release: threading.Event, value: int) -> int:
    release.wait(10)
    return value


def _fails() -> int:
    raise LookupError("from the pool thread")


def test_an_exception_on_a_pool_thread_is_raised_to_the_awaiting_request() -> None:
    pool = views._SyncPool(1)

    with pytest.raises(LookupError, match="from the pool thread"):
        asyncio.run(pool.run(_fails))


def test_a_pool_thread_serves_on_after_a_request_whose_loop_closed_before_its_answer() -> None:
    pool = views._SyncPool(1)
    release = threading.Event()

    async def give_up_early() -> None:
        await asyncio.wait_for(pool.run(_slow_then, release, 1), 0.05)

    with pytest.raises(TimeoutError):
        asyncio.run(give_up_early())  # the loop closes while the thread is still at work
    release.set()

    async def ask_again() -> int:
        return await asyncio.wait_for(pool.run(_slow_then, release, 2), 10)

    assert asyncio.run(ask_again()) == 2
