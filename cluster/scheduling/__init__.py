"""The scheduler, kube-scheduler's role, as a reconciler on top of ``cluster.registry``.

It filters nodes (Ready, not cordoned, resources fit, nodeSelector, taints and tolerations,
required node affinity), scores them (least allocated, spread) and binds pods in batches
through the ``pods/binding`` semantics, reading and writing in-process through the registry,
never over HTTP and never through ``cluster.api`` or ``cluster.controllers``.
"""

from __future__ import annotations

from cluster.registry.reconcile import Reconciler


def scheduler() -> Reconciler:
    from cluster.scheduling.reconciler import Scheduler

    return Scheduler()
