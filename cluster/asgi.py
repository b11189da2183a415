"""ASGI entry point: what uvicorn serves (``manage.py runapi``).

ASGI rather than WSGI because watch and log streams are long-lived async views; everything
else is ordinary sync Django, which ASGI runs on a thread.
"""

from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cluster.settings")

django_application = get_asgi_application()

# Imported after Django is set up.
from cluster.api.routing import LeanASGIHandler, Router  # noqa: E402

# API clients get a handler without the browser middleware (see cluster.api.routing).
application = Router(django_application, LeanASGIHandler())
