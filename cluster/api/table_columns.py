"""Which printer each built-in kind gets: the columns ``kubectl get`` shows for it.

``cluster.api.tables`` imports this module, so importing ``tables`` is enough to have them.
The columns and cells themselves live in ``cluster.api.printers``, read from kube-apiserver's
printers.
"""

from __future__ import annotations

from cluster.api.printers import (
    endpointslices,
    events,
    namespaces,
    nodes,
    pods,
    services,
    workloads,
)
from cluster.api.tables import register

register("Pod", pods.POD)
register("Service", services.SERVICE)
register("Endpoints", services.ENDPOINTS)
register("ReplicationController", workloads.REPLICATION_CONTROLLER)
register("Namespace", namespaces.NAMESPACE)
register("Node", nodes.NODE)
register("Lease", nodes.LEASE)
register("Event", events.EVENT)
register("EndpointSlice", endpointslices.ENDPOINT_SLICE)
