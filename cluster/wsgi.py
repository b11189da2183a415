"""WSGI entry point, for tools that expect one. It cannot stream watches; serve ASGI instead."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cluster.settings")

application = get_wsgi_application()
