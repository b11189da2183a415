"""The OpenAPI endpoints: ``/openapi/v3`` and its documents for kubectl, ``/api/docs/`` for
people.

They follow kube-openapi's handler: the index lists each group version's document under a
URL carrying the hash of its bytes; a request with the current hash may be cached for good
(``Cache-Control: public, immutable``), one with an old hash is redirected to the current one,
and ``If-None-Match`` with the ETag gets 304. Like every API path they need credentials
(``cluster.api.authentication``); the Django admin session may read them in a browser.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.utils.http import http_date
from django.views.decorators.http import require_safe
from drf_spectacular.views import SpectacularSwaggerView

from cluster.api.openapi.documents import Encoded, documents
from cluster.api.status import failure_response

JSON = "application/json"
DOCS_SCHEMA_URL_NAME = "openapi-docs-schema"


def _serve(request: HttpRequest, document: Encoded) -> HttpResponse:
    etag = f'"{document.hash}"'
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(document.body, content_type=JSON)
    response["ETag"] = etag
    return response


@require_safe
def index(request: HttpRequest) -> HttpResponse:
    """``/openapi/v3``: where each group version's document is."""
    return HttpResponse(documents().index.body, content_type=JSON)


@require_safe
def group_version(request: HttpRequest, group_version: str) -> HttpResponse:
    """``/openapi/v3/<group version>``, such as ``/openapi/v3/api/v1``."""
    document = documents().get(group_version)
    if document is None:
        return failure_response(
            code=404, reason="NotFound", message="the server could not find the requested resource"
        )
    requested = request.GET.get("hash")
    if requested is None:
        return _serve(request, document)
    if requested != document.hash:
        return HttpResponsePermanentRedirect(f"{request.path}?hash={document.hash}")
    response = _serve(request, document)
    # The URL names these exact bytes, so they never change: cache them for a year.
    response["Cache-Control"] = "public, immutable"
    response["Expires"] = http_date((datetime.now(UTC) + timedelta(days=365)).timestamp())
    response["Vary"] = "Accept"
    return response


# kube-openapi's media types for the v2 document in protobuf (gnostic's openapi_v2.Document):
# clients ask with the first; the answer carries the second (Go's mime parser refuses "@").
V2_PROTOBUF = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"
V2_PROTOBUF_ANSWER = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"
# That message with only field 1, ``swagger``, set to "2.0".
_V2_DOCUMENT_PROTOBUF = b"\x0a\x032.0"


@require_safe
def v2(request: HttpRequest) -> HttpResponse:
    """``/openapi/v2``: a Swagger 2.0 document that describes no kinds.

    Pilothouse publishes its schemas in v3 only. kubectl asks for v2 just for kinds it did not
    find in v3, that is, kinds this server does not serve; finding none in v2 either, it
    skips client-side validation and reports what kube-apiserver leads it to report
    (``no matches for kind "X" in version "v1"``). Without this document it would stop at
    "failed to download openapi" instead.
    """
    if V2_PROTOBUF in request.headers.get("Accept", ""):
        return HttpResponse(_V2_DOCUMENT_PROTOBUF, content_type=V2_PROTOBUF_ANSWER)
    body = {
        "swagger": "2.0",
        "info": {"title": "Pilothouse", "version": "v1"},
        "paths": {},
        "definitions": {},
    }
    return HttpResponse(json.dumps(body), content_type=JSON)


@require_safe
def full_document(request: HttpRequest) -> HttpResponse:
    """Every group version in one document, for the Swagger UI."""
    return _serve(request, documents().full)


swagger_ui = SpectacularSwaggerView.as_view(
    url_name=DOCS_SCHEMA_URL_NAME, title="Pilothouse Kubernetes API"
)
