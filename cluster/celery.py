"""The Celery application on which the scheduler and the controllers run as tasks.

Configuration comes from Django settings under the ``CELERY_`` prefix, so the broker is chosen
by the same environment as everything else (``CELERY_BROKER_URL``). The tasks live in
``cluster.controlplane.tasks``.

Processes: ``celery -A cluster worker`` runs reconciles; ``celery -A cluster beat`` (exactly
one) sends the periodic tasks and runs the dispatcher, which turns store changes into
reconcile messages.
"""

from __future__ import annotations

import os
from typing import Any

from celery import Celery
from celery.signals import beat_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cluster.settings")

app = Celery("cluster", include=["cluster.controlplane.tasks"])
app.config_from_object("django.conf:settings", namespace="CELERY")


@app.on_after_finalize.connect
def _schedule_periodic_tasks(sender: Celery, **_: Any) -> None:
    from django.conf import settings

    from cluster.controlplane.catalog import reconcilers

    def every(seconds: float, task: str, name: str, *args: str) -> None:
        # A tick that waited longer than its period is stale: the next one is on its way.
        sender.add_periodic_task(
            seconds, sender.signature(task, args=args, expires=seconds), name=name
        )

    every(settings.CLUSTER_CONTROLLER_RESYNC_SECONDS, "controlplane.resync", "resync")
    for name, reconciler in reconcilers().items():
        period = getattr(reconciler, "resync_seconds", None)
        if period:
            every(period, "controlplane.resync", f"resync {name}", name)
    every(60.0, "controlplane.compact_store", "compact store")
    every(600.0, "controlplane.expire_events", "expire events")


@beat_init.connect
def _start_dispatcher(**_: Any) -> None:
    from cluster.controlplane.catalog import reconcilers
    from cluster.controlplane.dispatch import Dispatcher
    from cluster.controlplane.tasks import send_reconcile
    from cluster.registry.catalog import default_registry

    Dispatcher(default_registry(), reconcilers().values(), send_reconcile).start()
