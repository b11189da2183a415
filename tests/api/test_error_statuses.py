"""Every failure is a v1 Status with kube's code and reason, including the rare ones: an
unsupported method (405 with Allow), an unknown body type (415), overload (429 with
Retry-After) and a bug (500, never an HTML page)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from cluster.api import rest, views
from cluster.api.tokens import ensure_admin_user, issue_token
from cluster.registry.bootstrap import ensure_system_namespaces
from cluster.registry.catalog import default_registry

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def api() -> Client:
    ensure_system_namespaces(default_registry())
    return Client(HTTP_AUTHORIZATION=f"Bearer {issue_token(ensure_admin_user(), name='t')}")


def _status(response: Any) -> tuple[int, str, int]:
    body = response.json()
    assert body["kind"] == "Status"
    assert body["status"] == "Failure"
    return response.status_code, body["reason"], body["code"]


def test_a_method_a_collection_does_not_have_is_405_with_allow(api: Client) -> None:
    response = api.put("/api/v1/namespaces/default/pods", "{}", content_type="application/json")

    assert _status(response) == (405, "MethodNotAllowed", 405)
    assert response["Allow"] == "DELETE, GET, POST"


def test_a_body_in_an_unknown_media_type_is_415(api: Client) -> None:
    response = api.post("/api/v1/namespaces/default/pods", "x", content_type="text/plain")

    assert _status(response) == (415, "UnsupportedMediaType", 415)


def test_an_unknown_resource_is_404(api: Client) -> None:
    assert _status(api.get("/api/v1/namespaces/default/widgets")) == (404, "NotFound", 404)


def test_past_the_in_flight_limit_requests_get_429_with_retry_after(
    api: Client, settings: Any
) -> None:
    settings.CLUSTER_API_MAX_REQUESTS_INFLIGHT = 2
    views.IN_FLIGHT.count = 2  # two requests are being served
    try:
        refused = api.get("/api/v1/namespaces/default/pods")
    finally:
        views.IN_FLIGHT.count = 0

    assert _status(refused) == (429, "TooManyRequests", 429)
    assert refused["Retry-After"] == "1"
    assert api.get("/api/v1/namespaces/default/pods").status_code == 200


def test_a_bug_in_a_handler_is_a_500_status_not_an_html_page(
    api: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object) -> object:
        raise RuntimeError("boom")

    monkeypatch.setattr(rest, "list_objects", broken)
    monkeypatch.setitem(rest._ROUTES_COLLECTION, "GET", broken)

    response = api.get("/api/v1/namespaces/default/pods")

    assert _status(response) == (500, "InternalError", 500)
    assert response.json()["message"] == "Internal error occurred: boom"
    assert views.IN_FLIGHT.count == 0  # the slot was given back
