"""Every kind with a schema: the objects the API serves, their lists, and the kinds requests
and errors carry (DeleteOptions, Status, Binding, Scale, discovery documents)."""

from __future__ import annotations

from collections.abc import Mapping

from cluster.api.schema.cluster import (
    EventListSerializer,
    EventSerializer,
    NamespaceListSerializer,
    NamespaceSerializer,
    NodeListSerializer,
    NodeSerializer,
)
from cluster.api.schema.coordination import LeaseListSerializer, LeaseSerializer
from cluster.api.schema.discovery import (
    APIGroupListSerializer,
    APIGroupSerializer,
    APIResourceListSerializer,
    APIVersionsSerializer,
)
from cluster.api.schema.endpointslices import (
    EndpointSliceListSerializer,
    EndpointSliceSerializer,
)
from cluster.api.schema.meta import DeleteOptionsSerializer, StatusSerializer
from cluster.api.schema.naming import TYPES, Serializer
from cluster.api.schema.pods import BindingSerializer, PodListSerializer, PodSerializer
from cluster.api.schema.services import (
    EndpointsListSerializer,
    EndpointsSerializer,
    ServiceListSerializer,
    ServiceSerializer,
)
from cluster.api.schema.workloads import (
    ReplicationControllerListSerializer,
    ReplicationControllerSerializer,
    ScaleSerializer,
)

_SERIALIZERS: tuple[type[Serializer], ...] = (
    PodSerializer,
    PodListSerializer,
    ServiceSerializer,
    ServiceListSerializer,
    ReplicationControllerSerializer,
    ReplicationControllerListSerializer,
    EndpointsSerializer,
    EndpointsListSerializer,
    EventSerializer,
    EventListSerializer,
    NamespaceSerializer,
    NamespaceListSerializer,
    NodeSerializer,
    NodeListSerializer,
    LeaseSerializer,
    LeaseListSerializer,
    EndpointSliceSerializer,
    EndpointSliceListSerializer,
    ScaleSerializer,
    BindingSerializer,
    DeleteOptionsSerializer,
    StatusSerializer,
    APIVersionsSerializer,
    APIGroupSerializer,
    APIGroupListSerializer,
    APIResourceListSerializer,
)


def _by_kind() -> dict[str, type[Serializer]]:
    found: dict[str, type[Serializer]] = {}
    for serializer in _SERIALIZERS:
        for gvk in TYPES[serializer].gvks:
            found[gvk.kind] = serializer
    return found


SERIALIZERS: Mapping[str, type[Serializer]] = _by_kind()


def serializer_for(kind: str) -> type[Serializer] | None:
    """The serializer that is the schema of ``kind`` (``Pod``, ``Lease``, ...), if any."""
    return SERIALIZERS.get(kind)
