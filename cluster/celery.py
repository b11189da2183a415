"""The Celery application on which the scheduler and the controllers run as tasks.

Configuration comes from Django settings under the ``CELERY_`` prefix, so the broker is chosen
by the same environment as everything else (``CELERY_BROKER_URL``). Tasks are discovered in
the installed apps' ``tasks`` modules.
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cluster.settings")

app = Celery("cluster")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
