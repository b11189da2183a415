"""Request bodies in Kubernetes' protobuf encoding, decoded into the dicts the API works on.

kubectl's typed clients (``kubectl create namespace``, ``create service``, ``create
configmap``...) and every client-go program built on the generated clientset send
``application/vnd.kubernetes.protobuf`` bodies for built-in kinds, and client-go has no
fallback to JSON on a 415 for protobuf (only for CBOR). So the API has to read them.

The format is the ``k8s\\x00`` magic, then a ``runtime.Unknown`` message whose ``typeMeta``
names the kind and whose ``raw`` is the typed message, encoded per the kind's
``generated.proto``. ``decode_object`` returns what Go's JSON encoder would have written for
the same object, so everything after the decoder cannot tell the two encodings apart.

The schema is declarative text, one module per area: ``meta`` (apimachinery), ``pods``,
``volumes`` and ``objects`` (the other kinds). ``KINDS`` says which (apiVersion, kind) pairs
have one.
"""

from __future__ import annotations

from typing import Any

from cluster.api.protobuf import meta, objects, pods, volumes
from cluster.api.protobuf.decode import Decoder, ProtobufError, UnknownKind
from cluster.api.protobuf.schema import merge

__all__ = ["DECODER", "KINDS", "PROTOBUF", "ProtobufError", "UnknownKind", "decode_object"]

PROTOBUF = "application/vnd.kubernetes.protobuf"

# (apiVersion, kind) -> message name.
KINDS: dict[tuple[str, str], str] = {
    **{
        ("v1", kind): kind
        for kind in (
            "Namespace",
            "Pod",
            "Service",
            "ReplicationController",
            "Endpoints",
            "Event",
            "Node",
            "Binding",
            "ConfigMap",
            "Secret",
            "ServiceAccount",
        )
    },
    ("coordination.k8s.io/v1", "Lease"): "Lease",
    ("autoscaling/v1", "Scale"): "Scale",
}
# Kinds every group version carries: a client encodes them with its own group's version.
ANY_VERSION_KINDS = frozenset({"DeleteOptions"})

DECODER = Decoder(merge(meta.MESSAGES, pods.MESSAGES, volumes.MESSAGES, objects.MESSAGES))


def message_for(api_version: str, kind: str) -> str:
    """The message name of a kind, or "" if there is none."""
    if kind in ANY_VERSION_KINDS:
        return kind
    return KINDS.get((api_version, kind), "")


def decode_object(body: bytes, *, unknown_fields: list[str] | None = None) -> dict[str, Any]:
    """The object a protobuf request body holds, as the JSON kubectl would have sent.

    Field numbers the schema does not know are skipped; their paths (``spec.#99``) are
    appended to ``unknown_fields`` when it is given. Raises ``UnknownKind`` for a kind without
    a schema and ``ProtobufError`` for anything malformed.
    """
    unknown: list[str] = [] if unknown_fields is None else unknown_fields
    return DECODER.object(body, kinds=message_for, unknown=unknown)
