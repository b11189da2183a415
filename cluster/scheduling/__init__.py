"""The scheduler, kube-scheduler's role, as Celery tasks on top of ``cluster.registry``.

It will filter nodes (Ready, not cordoned, resources fit, nodeSelector, taints and
tolerations), score them (least allocated, spread) and bind pods in batches through the
``pods/binding`` subresource, reading and writing in-process through the registry, never over
HTTP and never through ``cluster.api`` or ``cluster.controllers``.
"""
