"""The Kubernetes API paths: discovery and every resource path."""

from __future__ import annotations

from django.urls import path

from cluster.api import discovery, views
from cluster.api.openapi import views as openapi

urlpatterns = [
    path("version", discovery.version),
    path("version/", discovery.version),
    path("api", discovery.api_versions),
    path("api/v1", discovery.core_resources),
    path("api/v1/<path:rest_path>", views.core_resource),
    path("apis", discovery.api_groups),
    path("apis/<str:group>", discovery.api_group),
    path("apis/<str:group>/<str:version>", discovery.group_resources),
    path("apis/<str:group>/<str:version>/<path:rest_path>", views.group_resource),
    path("openapi/v2", openapi.v2),
    path("openapi/v3", openapi.index),
    path("openapi/v3/<path:group_version>", openapi.group_version),
    path("api/docs/", openapi.swagger_ui, name="openapi-docs"),
    path("api/docs/openapi.json", openapi.full_document, name=openapi.DOCS_SCHEMA_URL_NAME),
]
