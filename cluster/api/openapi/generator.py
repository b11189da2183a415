"""drf-spectacular generates the OpenAPI document from the serializers and the declarations.

drf-spectacular discovers operations by walking URL patterns of DRF views. Our resource paths
are served by one async dispatcher, so for generation only we build a DRF ``APIView`` class per
declared path (``cluster.api.openapi.operations``) whose handlers carry ``@extend_schema`` with
the declared operation, and hand their URL patterns to drf-spectacular's ``SchemaGenerator``.
These views are never routed; they are how the declarations reach drf-spectacular's public
API. Everything about bodies (components, ``$ref``, descriptions, required fields, the named
Quantity, IntOrString and Time components) therefore comes from drf-spectacular mapping the
serializers, the one source of truth.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from django.urls import URLPattern, path
from drf_spectacular.extensions import (
    OpenApiAuthenticationExtension,
    OpenApiSerializerExtension,
)
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.exceptions import MethodNotAllowed
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cluster.api.authentication import BearerTokenAuthentication
from cluster.api.openapi.operations import Operation, PathItem
from cluster.api.schema.meta import PatchSerializer

SECURITY_SCHEME = "BearerToken"


class BearerTokenScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    """How drf-spectacular describes our bearer tokens: kube's ``BearerToken`` scheme."""

    target_class = BearerTokenAuthentication
    name = SECURITY_SCHEME

    def get_security_definition(self, auto_schema: AutoSchema) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A bearer token, as in a kubeconfig ('manage.py createtoken').",
        }


class PatchBody(OpenApiSerializerExtension):  # type: ignore[no-untyped-call]
    """The body of a PATCH is any JSON (an array for JSON patch, an object otherwise).

    A schema without a type says so; drf-spectacular would drop a field-less ``object``.
    """

    target_class = PatchSerializer

    def map_serializer(self, auto_schema: AutoSchema, direction: str) -> dict[str, str]:
        return {"description": inspect.getdoc(PatchSerializer) or ""}


class DescribedOperationSchema(AutoSchema):
    """The AutoSchema of the schema-only views.

    drf-spectacular renders request bodies for POST, PUT and PATCH only; kube's DELETE
    operations also take one (DeleteOptions), so DELETE is rendered like POST.
    """

    def _get_request_body(self, direction: str = "request") -> Any:
        if self.method != "DELETE":
            return super()._get_request_body(direction)  # type: ignore[no-untyped-call]
        self.method = "POST"
        try:
            return super()._get_request_body(direction)  # type: ignore[no-untyped-call]
        finally:
            self.method = "DELETE"


def _extensions(operation: Operation) -> dict[str, Any]:
    extensions: dict[str, Any] = {}
    if operation.action:
        extensions["x-kubernetes-action"] = operation.action
    if operation.gvk is not None:
        extensions["x-kubernetes-group-version-kind"] = operation.gvk.extension()
    return extensions


def _handler(operation: Operation, item: PathItem) -> Callable[..., Response]:
    def described_only(self: APIView, request: Request, *args: Any, **kwargs: Any) -> Response:
        # Never routed: cluster.api.views serves this path. The view exists to describe it.
        raise MethodNotAllowed(request.method or "")

    responses = {
        (response.code, media_type): OpenApiResponse(
            response.body, description=response.description
        )
        for response in operation.responses
        for media_type in response.media_types
    }
    decorated: Callable[..., Response] = extend_schema(
        operation_id=operation.operation_id,
        description=operation.description,
        tags=[operation.tag],
        parameters=[*item.path_parameters, *operation.parameters],
        request=operation.request or None,
        responses=responses,
        extensions=_extensions(operation) or None,
    )(described_only)
    return decorated


def _view(item: PathItem) -> type[APIView]:
    attributes: dict[str, Any] = {
        "authentication_classes": [BearerTokenAuthentication],
        "permission_classes": [],
        "schema": DescribedOperationSchema(),
    }
    for operation in item.operations:
        attributes[operation.method] = _handler(operation, item)
    return type("DescribedPath", (APIView,), attributes)


def url_patterns(items: list[PathItem]) -> list[URLPattern]:
    return [path(item.route, _view(item).as_view()) for item in items if item.operations]


def generate(items: list[PathItem]) -> dict[str, Any]:
    """The OpenAPI document of ``items``, as drf-spectacular generates it."""
    generator = SchemaGenerator(patterns=url_patterns(items))  # type: ignore[no-untyped-call]
    document: dict[str, Any] = generator.get_schema(  # type: ignore[no-untyped-call]
        request=None, public=True
    )
    return document
