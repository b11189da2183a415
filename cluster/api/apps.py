"""Django app for the HTTP layer: its one table holds the API's bearer tokens."""

from __future__ import annotations

from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "cluster.api"
    label = "api"
    verbose_name = "Kubernetes API"
    default_auto_field = "django.db.models.BigAutoField"
