"""The controllers, kube-controller-manager's role, as Celery tasks on top of ``cluster.registry``.

Each will be a level-triggered reconciler keyed by ``namespace/name``: ReplicationController
(with expectations), Endpoints, node lifecycle, garbage collection, namespace deletion and node
IPAM. A task re-reads current state, writes the difference through the registry, and is
idempotent, so a lost message is repaired by periodic resync and a duplicate one does nothing.
It never imports ``cluster.api`` or ``cluster.scheduling``.
"""
