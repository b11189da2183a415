"""Every resource Pilothouse serves, with its strategies: the one table discovery and the API
route by, and the ``default_registry()`` every in-process writer shares."""

from __future__ import annotations

import threading

from cluster.registry.kinds.endpoints import EndpointsStrategy
from cluster.registry.kinds.endpointslices import EndpointSliceStrategy
from cluster.registry.kinds.events import EventStrategy
from cluster.registry.kinds.leases import LeaseStrategy
from cluster.registry.kinds.namespaces import (
    NamespaceFinalizeStrategy,
    NamespaceStatusStrategy,
    NamespaceStrategy,
)
from cluster.registry.kinds.nodes import NodeStatusStrategy, NodeStrategy
from cluster.registry.kinds.pods import PodStatusStrategy, PodStrategy
from cluster.registry.kinds.replicationcontrollers import (
    ReplicationControllerStatusStrategy,
    ReplicationControllerStrategy,
)
from cluster.registry.kinds.services import ServiceStatusStrategy, ServiceStrategy
from cluster.registry.registry import Registry
from cluster.registry.resources import ALL_VERBS, Resource, ResourceTable
from cluster.store import default_store


def _build() -> ResourceTable:
    namespace, node, pod = NamespaceStrategy(), NodeStrategy(), PodStrategy()
    service, rc = ServiceStrategy(), ReplicationControllerStrategy()
    core = "", "v1"
    return ResourceTable(
        [
            Resource(
                *core, "Namespace", "namespaces", "namespace", namespace,
                namespaced=False, short_names=("ns",), return_deleted_object=True,
                verbs=tuple(v for v in ALL_VERBS if v != "deletecollection"),
                subresources={
                    "status": NamespaceStatusStrategy(namespace),
                    "finalize": NamespaceFinalizeStrategy(namespace),
                },
            ),
            Resource(
                *core, "Node", "nodes", "node", node, namespaced=False, short_names=("no",),
                subresources={"status": NodeStatusStrategy(node)},
            ),
            Resource(
                *core, "Pod", "pods", "pod", pod, short_names=("po",), categories=("all",),
                return_deleted_object=True,
                subresources={"status": PodStatusStrategy(pod)},
            ),
            Resource(
                *core, "Service", "services", "service", service,
                short_names=("svc",), categories=("all",), return_deleted_object=True,
                subresources={"status": ServiceStatusStrategy(service)},
            ),
            Resource(
                *core, "ReplicationController", "replicationcontrollers",
                "replicationcontroller", rc, short_names=("rc",), categories=("all",),
                subresources={"status": ReplicationControllerStatusStrategy(rc)},
            ),
            Resource(
                *core, "Endpoints", "endpoints", "endpoints", EndpointsStrategy(),
                short_names=("ep",),
            ),
            Resource(*core, "Event", "events", "event", EventStrategy(), short_names=("ev",)),
            Resource("coordination.k8s.io", "v1", "Lease", "leases", "lease", LeaseStrategy()),
            Resource(
                "discovery.k8s.io", "v1", "EndpointSlice", "endpointslices", "endpointslice",
                EndpointSliceStrategy(),
            ),
        ]
    )  # fmt: skip


RESOURCES = _build()

_registry: Registry | None = None
_lock = threading.Lock()


def default_registry() -> Registry:
    """The registry of this process, over its default store."""
    global _registry
    with _lock:
        if _registry is None:
            _registry = Registry(default_store())
        return _registry
