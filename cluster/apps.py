"""The project's own Django app, which exists to carry the process entry points.

Management commands must live in an installed app; ``runapi`` starts the API server and is
not part of any layer of ARCHITECTURE.md, so it belongs to the project rather than to
``cluster.api``.
"""

from __future__ import annotations

from django.apps import AppConfig


class ClusterConfig(AppConfig):
    name = "cluster"
    label = "cluster"
    verbose_name = "Pilothouse"
