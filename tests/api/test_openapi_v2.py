"""/openapi/v2 is a Swagger 2.0 document describing no kinds, in protobuf or JSON."""

from __future__ import annotations

import pytest
from django.test import Client

from cluster.api.openapi.views import V2_PROTOBUF, V2_PROTOBUF_ANSWER
from cluster.api.tokens import ensure_admin_user, issue_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def api() -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {issue_token(ensure_admin_user(), name='t')}")


def test_kubectl_gets_the_v2_document_in_protobuf_with_only_its_swagger_version(
    api: Client,
) -> None:
    response = api.get("/openapi/v2", HTTP_ACCEPT=f"{V2_PROTOBUF}, application/json")

    assert response.status_code == 200
    assert response["Content-Type"] == V2_PROTOBUF_ANSWER
    # field 1 (swagger), wire type 2 (length-delimited), 3 bytes: "2.0"
    assert response.content == b"\x0a\x032.0"


def test_a_json_client_gets_an_empty_swagger_document(api: Client) -> None:
    response = api.get("/openapi/v2", HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    assert response.json() == {
        "swagger": "2.0",
        "info": {"title": "Pilothouse", "version": "v1"},
        "paths": {},
        "definitions": {},
    }


def test_the_v2_document_needs_credentials() -> None:
    assert Client().get("/openapi/v2").status_code == 401
