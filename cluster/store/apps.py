"""Django app for the store: its tables (objects, event log, revision counter) and migrations."""

from __future__ import annotations

from django.apps import AppConfig


class StoreConfig(AppConfig):
    name = "cluster.store"
    label = "store"
    verbose_name = "Cluster store"
    default_auto_field = "django.db.models.BigAutoField"
