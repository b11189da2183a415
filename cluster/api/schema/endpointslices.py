"""discovery.k8s.io/v1 EndpointSlice: the backends of a Service as current clients read them.

``kubectl describe svc`` and kube-proxy read EndpointSlices, not the older core/v1 Endpoints;
the EndpointSlice controller keeps them in step with the pods each Service selects.
"""

from __future__ import annotations

from cluster.api.schema.fields import boolean, int32, string, string_map, strings
from cluster.api.schema.meta import (
    LIST_METADATA_DOC,
    METADATA_DOC,
    ListMetaSerializer,
    ObjectMetaSerializer,
    api_version,
    kind,
)
from cluster.api.schema.naming import (
    DISCOVERY,
    GroupVersionKind,
    Serializer,
    kube_type,
    nested,
    nested_list,
)
from cluster.api.schema.pods import ObjectReferenceSerializer
from cluster.api.schema.services import PROTOCOL


def discovery(kind_name: str) -> GroupVersionKind:
    return GroupVersionKind("discovery.k8s.io", "v1", kind_name)


@kube_type(DISCOVERY + "EndpointConditions")
class EndpointConditionsSerializer(Serializer):
    """The current condition of an endpoint."""

    ready = boolean(
        "Whether the endpoint is ready to receive traffic: for a pod, its Ready condition, "
        "unless it is terminating. Unset means unknown; consumers should read it as ready."
    )
    serving = boolean(
        "Whether the endpoint can serve traffic, terminating or not: for a pod, its Ready "
        "condition. Unset means unknown; consumers should read it as serving."
    )
    terminating = boolean(
        "Whether the endpoint is terminating: for a pod, whether it has a deletion timestamp. "
        "Unset means unknown; consumers should read it as not terminating."
    )


@kube_type(DISCOVERY + "ForZone")
class ForZoneSerializer(Serializer):
    """A zone an endpoint should serve."""

    name = string("The name of the zone.", required=True)


@kube_type(DISCOVERY + "ForNode")
class ForNodeSerializer(Serializer):
    """A node an endpoint should serve."""

    name = string("The name of the node.", required=True)


@kube_type(DISCOVERY + "EndpointHints")
class EndpointHintsSerializer(Serializer):
    """Hints on how an endpoint should be consumed (topology aware routing)."""

    forZones = nested_list(ForZoneSerializer, "The zones this endpoint should serve.")
    forNodes = nested_list(ForNodeSerializer, "The nodes this endpoint should serve.")


@kube_type(DISCOVERY + "Endpoint")
class EndpointSerializer(Serializer):
    """A single logical backend of a Service: a pod, or an address set by hand."""

    addresses = strings(
        "The addresses of this endpoint, of the slice's addressType; consumers use the first. "
        "At least one, at most 100.",
        required=True,
    )
    conditions = nested(EndpointConditionsSerializer, "The current condition of the endpoint.")
    hostname = string("The hostname of this endpoint, a DNS label.")
    targetRef = nested(ObjectReferenceSerializer, "The object that provides the endpoint.")
    deprecatedTopology = string_map(
        "Deprecated topology labels of the endpoint; use nodeName and zone instead."
    )
    nodeName = string("The name of the node hosting this endpoint.")
    zone = string("The name of the zone this endpoint is in.")
    hints = nested(EndpointHintsSerializer, "Hints on how the endpoint should be consumed.")


@kube_type(DISCOVERY + "EndpointPort")
class EndpointPortSerializer(Serializer):
    """A port of the endpoints of a slice."""

    name = string(
        "The name of this port: the Service port's name, a DNS label or empty. Unique in the slice."
    )
    protocol = string(
        "The IP protocol of this port: TCP (the default), UDP or SCTP.", go_type=PROTOCOL
    )
    port = int32(
        "The port number of the endpoint. Unset means any port, interpreted by the consumer."
    )
    appProtocol = string("The application protocol of this port, such as kubernetes.io/h2c.")


@kube_type(DISCOVERY + "EndpointSlice", discovery("EndpointSlice"))
class EndpointSliceSerializer(Serializer):
    """A subset of the endpoints of a Service. A Service's slices, together, are its backends;
    each slice holds up to 100 endpoints of one address type."""

    apiVersion = api_version()
    kind = kind()
    metadata = nested(ObjectMetaSerializer, METADATA_DOC)
    addressType = string(
        "The type of address the slice carries: IPv4, IPv6 or FQDN. Immutable.",
        required=True,
        go_type="v1.AddressType",
    )
    endpoints = nested_list(
        EndpointSerializer, "The endpoints of this slice; at most 1000.", required=True
    )
    ports = nested_list(
        EndpointPortSerializer,
        "The ports every endpoint of the slice exposes. Empty means no port is exposed; a port "
        "without a number means all ports are.",
    )


@kube_type(DISCOVERY + "EndpointSliceList", discovery("EndpointSliceList"))
class EndpointSliceListSerializer(Serializer):
    """A list of endpoint slices."""

    apiVersion = api_version()
    kind = kind()
    metadata = nested(ListMetaSerializer, LIST_METADATA_DOC)
    items = nested_list(EndpointSliceSerializer, "The endpoint slices.", required=True)
