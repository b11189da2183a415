"""Pilothouse's control plane: the Django project that serves the Kubernetes API.

The Celery app is imported here, as Celery's Django guide prescribes, so that it exists (and
``shared_task`` binds to it) whenever Django starts, in the API process and in every worker.
"""

from __future__ import annotations

from cluster.celery import app as celery_app

__all__ = ["celery_app"]
