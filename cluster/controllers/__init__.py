"""The controllers, kube-controller-manager's role, as reconcilers on top of ``cluster.registry``.

Each is a level-triggered reconciler (``cluster.registry.reconcile``) keyed by
``namespace/name``: it re-reads current state, writes the difference through the registry and
is idempotent, so a lost message is repaired by the periodic resync and a duplicate one does
nothing. ``cluster.controlplane`` runs them on Celery. Nothing here imports ``cluster.api`` or
``cluster.scheduling``.
"""

from __future__ import annotations

from cluster.registry.reconcile import Reconciler


def all_controllers() -> list[Reconciler]:
    from cluster.controllers.endpoints import EndpointsController
    from cluster.controllers.endpointslices import EndpointSliceController
    from cluster.controllers.garbagecollector import GarbageCollector
    from cluster.controllers.namespace import NamespaceController
    from cluster.controllers.nodeipam import NodeIpamController
    from cluster.controllers.nodelifecycle import NodeLifecycleController
    from cluster.controllers.podgc import PodGarbageCollector
    from cluster.controllers.replication import ReplicationManager

    return [
        ReplicationManager(),
        EndpointsController(),
        EndpointSliceController(),
        NodeLifecycleController(),
        NodeIpamController(),
        GarbageCollector(),
        NamespaceController(),
        PodGarbageCollector(),
    ]
