"""core/v1 ReplicationController and its autoscaling/v1 Scale subresource."""

from __future__ import annotations

from cluster.api.schema.fields import int32, int64, string, string_map, time
from cluster.api.schema.meta import (
    LIST_METADATA_DOC,
    METADATA_DOC,
    ListMetaSerializer,
    ObjectMetaSerializer,
    api_version,
    kind,
)
from cluster.api.schema.naming import (
    AUTOSCALING,
    CORE,
    GroupVersionKind,
    Serializer,
    core,
    kube_type,
    nested,
    nested_list,
)
from cluster.api.schema.pods import PodTemplateSpecSerializer


@kube_type(CORE + "ReplicationControllerSpec")
class ReplicationControllerSpecSerializer(Serializer):
    """The desired state of a replication controller."""

    replicas = int32("How many pods should run. Defaults to 1.")
    minReadySeconds = int32(
        "Seconds a new pod must be ready, without crashing, to count as available."
    )
    selector = string_map(
        "Labels of the pods the controller counts; defaults to the template's labels, which "
        "must match it."
    )
    template = nested(PodTemplateSpecSerializer, "The pods the controller makes.")


@kube_type(CORE + "ReplicationControllerCondition")
class ReplicationControllerConditionSerializer(Serializer):
    """One aspect of the controller's state, such as ReplicaFailure."""

    type = string("The condition's type.", required=True)
    status = string("True, False or Unknown.", required=True, go_type="v1.ConditionStatus")
    lastTransitionTime = time("When the condition last changed status.")
    reason = string("A CamelCase reason for the last transition.")
    message = string("A human-readable message about the last transition.")


@kube_type(CORE + "ReplicationControllerStatus")
class ReplicationControllerStatusSerializer(Serializer):
    """The most recently observed state of a replication controller."""

    replicas = int32("How many pods exist.", required=True)
    fullyLabeledReplicas = int32("How many pods have all the labels of the template.")
    readyReplicas = int32("How many pods are ready.")
    availableReplicas = int32("How many pods have been ready for minReadySeconds.")
    observedGeneration = int64("The metadata.generation the controller last acted on.")
    conditions = nested_list(
        ReplicationControllerConditionSerializer, "The current conditions of the controller."
    )


@kube_type(CORE + "ReplicationController", core("ReplicationController"))
class ReplicationControllerSerializer(Serializer):
    """Keeps a number of copies of a pod running."""

    apiVersion = api_version()
    kind = kind()
    metadata = nested(ObjectMetaSerializer, METADATA_DOC)
    spec = nested(ReplicationControllerSpecSerializer, "The desired state of the controller.")
    status = nested(ReplicationControllerStatusSerializer, "The observed state of the controller.")


@kube_type(CORE + "ReplicationControllerList", core("ReplicationControllerList"))
class ReplicationControllerListSerializer(Serializer):
    """A list of replication controllers."""

    apiVersion = api_version()
    kind = kind()
    metadata = nested(ListMetaSerializer, LIST_METADATA_DOC)
    items = nested_list(
        ReplicationControllerSerializer, "The replication controllers.", required=True
    )


@kube_type(AUTOSCALING + "ScaleSpec")
class ScaleSpecSerializer(Serializer):
    """The desired scale."""

    replicas = int32("The desired number of replicas.")


@kube_type(AUTOSCALING + "ScaleStatus")
class ScaleStatusSerializer(Serializer):
    """The observed scale."""

    replicas = int32("The actual number of replicas.", required=True)
    selector = string("The label selector of the counted pods, in query-string form.")


@kube_type(AUTOSCALING + "Scale", GroupVersionKind("autoscaling", "v1", "Scale"))
class ScaleSerializer(Serializer):
    """The scale subresource of a resource: how many replicas it wants and has."""

    apiVersion = api_version()
    kind = kind()
    metadata = nested(ObjectMetaSerializer, METADATA_DOC)
    spec = nested(ScaleSpecSerializer, "The desired scale.")
    status = nested(ScaleStatusSerializer, "The observed scale; read-only.")
