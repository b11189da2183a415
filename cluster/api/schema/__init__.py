"""The schema of the Kubernetes objects Pilothouse serves, as DRF serializers.

The serializers are the one source of truth about what the objects look like (ARCHITECTURE.md,
"The API"): drf-spectacular turns them into the OpenAPI documents kubectl and people read
(``cluster.api.openapi``), and they are compiled once into a field tree that every write is
checked against the way kube-apiserver's decoder checks it: unknown fields for
``fieldValidation``, and wrongly typed values (``cluster.api.schema.decoding``).

Kube's names are kept throughout: field names, component names (``io.k8s.api.core.v1.Pod``),
the Go types named in error messages. One module per area: ``meta`` (ObjectMeta, Status,
DeleteOptions), ``containers``, ``volumes``, ``scheduling``, ``pods``, ``services``,
``workloads`` (ReplicationController, Scale), ``cluster`` (Node, Namespace, Event),
``coordination`` (Lease), ``endpointslices`` (discovery.k8s.io EndpointSlice) and
``discovery`` (the discovery documents); ``kinds`` lists the top-level kinds.
"""

from __future__ import annotations

from cluster.api.schema.decoding import (
    cannot_handle,
    prune_unknown,
    strict_decoding_error,
    type_errors,
    unknown_field_message,
    unknown_fields,
)
from cluster.api.schema.kinds import SERIALIZERS, serializer_for

__all__ = [
    "SERIALIZERS",
    "cannot_handle",
    "prune_unknown",
    "serializer_for",
    "strict_decoding_error",
    "type_errors",
    "unknown_field_message",
    "unknown_fields",
]
