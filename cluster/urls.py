"""The URL map: the Django admin and the health endpoints kubelet-style probes call.

The Kubernetes API groups (``/api``, ``/apis``, ``/version``, ``/openapi``) join here as
``cluster.api`` grows.
"""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from cluster.api import health

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", health.healthz),
    path("livez", health.livez),
    path("readyz", health.readyz),
    path("", include("cluster.api.urls")),
]
