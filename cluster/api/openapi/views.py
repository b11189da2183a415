"""The OpenAPI endpoints: ``/openapi/v3`` and its documents for kubectl, ``/api/docs/`` for
people.

They follow kube-openapi's handler: the index lists each group version's document under a
URL carrying the hash of its bytes; a request with the current hash may be cached for good
(``Cache-Control: public, immutable``), one with an old hash is redirected to the current one,
and ``If-None-Match`` with the ETag gets 304. Like every API path they need credentials
(``cluster.api.authentication``); the Django admin session may read them in a browser.
"""

from __future__ import annotations

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


@require_safe
def full_document(request: HttpRequest) -> HttpResponse:
    """Every group version in one document, for the Swagger UI."""
    return _serve(request, documents().full)


swagger_ui = SpectacularSwaggerView.as_view(
    url_name=DOCS_SCHEMA_URL_NAME, title="Pilothouse Kubernetes API"
)
