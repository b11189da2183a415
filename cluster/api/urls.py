"""The Kubernetes API paths: discovery and every resource path."""

from __future__ import annotations

from django.urls import path

from cluster.api import discovery, views

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
]
