"""coordination.k8s.io/v1 Lease: what node agents renew to say they are alive."""

from __future__ import annotations

from cluster.api.schema.fields import int32, micro_time, string
from cluster.api.schema.meta import (
    LIST_METADATA_DOC,
    METADATA_DOC,
    ListMetaSerializer,
    ObjectMetaSerializer,
    api_version,
    kind,
)
from cluster.api.schema.naming import (
    COORDINATION,
    GroupVersionKind,
    Serializer,
    kube_type,
    nested,
    nested_list,
)


def coordination(kind_name: str) -> GroupVersionKind:
    return GroupVersionKind("coordination.k8s.io", "v1", kind_name)


@kube_type(COORDINATION + "LeaseSpec")
class LeaseSpecSerializer(Serializer):
    """Who holds a lease, and until when."""

    holderIdentity = string("The identity of the current holder.")
    leaseDurationSeconds = int32(
        "How long candidates wait after the last renewal before they may take the lease."
    )
    acquireTime = micro_time("When the current holder acquired the lease.")
    renewTime = micro_time("When the current holder last renewed the lease.")
    leaseTransitions = int32("How many times the lease changed holders.")
    strategy = string("How the holder is chosen in coordinated leader election.")
    preferredHolder = string("The holder the lease should move to.")


@kube_type(COORDINATION + "Lease", coordination("Lease"))
class LeaseSerializer(Serializer):
    """A lease: node heartbeats and leader election."""

    apiVersion = api_version()
    kind = kind()
    metadata = nested(ObjectMetaSerializer, METADATA_DOC)
    spec = nested(LeaseSpecSerializer, "Who holds the lease.")


@kube_type(COORDINATION + "LeaseList", coordination("LeaseList"))
class LeaseListSerializer(Serializer):
    """A list of leases."""

    apiVersion = api_version()
    kind = kind()
    metadata = nested(ListMetaSerializer, LIST_METADATA_DOC)
    items = nested_list(LeaseSerializer, "The leases.", required=True)
