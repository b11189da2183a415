"""meta/v1: the metadata every object carries, lists, Status, DeleteOptions and selectors."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from cluster.api.schema.fields import (
    FieldsV1Field,
    StringField,
    boolean,
    int32,
    int64,
    string,
    string_map,
    strings,
    time,
)
from cluster.api.schema.naming import (
    META,
    GroupVersionKind,
    Serializer,
    core,
    kube_type,
    nested,
    nested_list,
)

# Every group we serve, for the meta kinds kube-apiserver registers in each of them.
SERVED_GROUP_VERSIONS = (
    ("", "v1"),
    ("autoscaling", "v1"),
    ("coordination.k8s.io", "v1"),
    ("discovery.k8s.io", "v1"),
)

API_VERSION_DOC = (
    "The versioned schema of this representation of an object: 'v1' for the core group, "
    "'<group>/<version>' for the others."
)
KIND_DOC = "The REST resource this object represents, in CamelCase, such as 'Pod'."
METADATA_DOC = "Standard object metadata: name, namespace, labels, annotations and so on."
LIST_METADATA_DOC = "Standard list metadata: the resourceVersion of the list and paging tokens."


def api_version() -> StringField:
    return string(API_VERSION_DOC)


def kind() -> StringField:
    return string(KIND_DOC)


def in_every_group(kind_name: str) -> tuple[GroupVersionKind, ...]:
    return tuple(GroupVersionKind(g, v, kind_name) for g, v in SERVED_GROUP_VERSIONS)


@kube_type(META + "OwnerReference")
class OwnerReferenceSerializer(Serializer):
    """A reference to an object that owns this one; the owner must be in the same namespace
    (or be cluster-scoped). The garbage collector deletes dependents whose owners are gone."""

    apiVersion = string("API version of the owner.", required=True)
    kind = string("Kind of the owner.", required=True)
    name = string("Name of the owner.", required=True)
    uid = string("UID of the owner.", required=True, go_type="types.UID")
    controller = boolean("If true, this owner is the managing controller of the object.")
    blockOwnerDeletion = boolean(
        "If true, and the owner has the 'foregroundDeletion' finalizer, the owner cannot be "
        "deleted from storage until this reference is removed."
    )


@kube_type(META + "ManagedFieldsEntry")
class ManagedFieldsEntrySerializer(Serializer):
    """Which fields of the object a field manager (a client or controller) set, and how."""

    manager = string("The name of the workflow managing these fields.")
    operation = string(
        "The operation that created this entry: 'Apply' or 'Update'.",
        go_type="v1.ManagedFieldsOperationType",
    )
    apiVersion = string("The version of the resource the fields are expressed in.")
    time = time("When these fields were last changed.")
    fieldsType = string("The format of the fields: only 'FieldsV1' exists.")
    fieldsV1 = FieldsV1Field(help_text="The fields this manager owns.", required=False)
    subresource = string("The subresource used to change the object, if any.")


@kube_type(META + "ObjectMeta")
class ObjectMetaSerializer(Serializer):
    """Metadata that all persisted resources must have, which includes all objects users
    must create."""

    name = string(
        "Unique within a namespace; required when creating unless generateName is set. Cannot "
        "be updated."
    )
    generateName = string(
        "A prefix the server uses to generate a unique name when name is not set."
    )
    namespace = string(
        "The namespace the object lives in; empty for cluster-scoped objects. Cannot be updated."
    )
    selfLink = string("Deprecated and no longer set by the server.")
    uid = string(
        "Unique in time and space for this object, set by the server on creation. Read-only.",
        go_type="types.UID",
    )
    resourceVersion = string(
        "An opaque version of the object, used for optimistic concurrency, change detection "
        "and watches. Set by the server. Read-only."
    )
    generation = int64(
        "A sequence number for the desired state, bumped by the server on spec changes. Read-only."
    )
    creationTimestamp = time("When the object was created, set by the server. Read-only.")
    deletionTimestamp = time(
        "When the object will be deleted; set by the server when a graceful deletion is "
        "requested. Read-only."
    )
    deletionGracePeriodSeconds = int64(
        "Seconds allowed for the object to terminate gracefully before it is removed. Read-only."
    )
    labels = string_map(
        "Key/value pairs used to organize and select objects (by replication controllers and "
        "services, for example)."
    )
    annotations = string_map(
        "Arbitrary key/value metadata set by tools and libraries; not used for selection."
    )
    ownerReferences = nested_list(
        OwnerReferenceSerializer,
        "Objects this object depends on. When all owners are deleted, the garbage collector "
        "deletes this object. At most one owner can be the managing controller.",
    )
    finalizers = strings(
        "Keys that must be empty before the object is removed from the registry; each is a "
        "responsible component's cue to clean up."
    )
    managedFields = nested_list(
        ManagedFieldsEntrySerializer,
        "Which field managers own which fields, for server-side apply. Mostly internal.",
    )


@kube_type(META + "ShardInfo")
class ShardInfoSerializer(Serializer):
    """Which shard of a collection a list holds."""

    selector = string("The shard selector the list was served for.")


@kube_type(META + "ListMeta")
class ListMetaSerializer(Serializer):
    """Metadata that lists carry."""

    selfLink = string("Deprecated and no longer set by the server.")
    resourceVersion = string(
        "The version of the collection this list was read at; start a watch from it."
    )
    remainingItemCount = int64(
        "How many items follow this page of a paged list; an estimate, and unset when unknown."
    )

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        fields = super().get_fields()
        # "continue" is a Python keyword, so it cannot be declared as a class attribute.
        fields["continue"] = string(
            "Set when more results are available: pass it as the continue parameter of the "
            "same list to read the next page. Expires with compaction (410 Gone)."
        )
        fields["shardInfo"] = nested(ShardInfoSerializer, "The shard this list holds, if any.")
        return fields


@kube_type(META + "LabelSelectorRequirement")
class LabelSelectorRequirementSerializer(Serializer):
    """A selector term: a label key, an operator and values."""

    key = string("The label key the selector applies to.", required=True)
    operator = string(
        "How the key relates to the values: In, NotIn, Exists or DoesNotExist.", required=True
    )
    values = strings(
        "Values for In and NotIn (must be non-empty); must be empty for Exists and DoesNotExist."
    )


@kube_type(META + "LabelSelector")
class LabelSelectorSerializer(Serializer):
    """A label query over a set of objects. All terms must match; an empty selector matches
    every object, a null one none."""

    matchLabels = string_map(
        "Label key/value pairs, each equivalent to a matchExpressions term with the operator "
        "In and one value."
    )
    matchExpressions = nested_list(
        LabelSelectorRequirementSerializer, "Label selector requirements, ANDed."
    )


@kube_type(META + "Condition")
class ConditionSerializer(Serializer):
    """One aspect of the current state of an object."""

    type = string("The condition's type, in CamelCase.", required=True)
    status = string("True, False or Unknown.", required=True)
    observedGeneration = int64("The metadata.generation the condition was set for.")
    lastTransitionTime = time("When the condition last changed status.", required=True)
    reason = string("A CamelCase reason for the last transition.", required=True)
    message = string("A human-readable message about the transition.", required=True)


@kube_type(META + "StatusCause")
class StatusCauseSerializer(Serializer):
    """One reason a request failed, possibly about one field."""

    reason = string("A machine-readable reason, such as FieldValueInvalid.")
    message = string("A human-readable description of the cause.")
    field = string("The field the cause is about, as a path such as 'spec.containers[0].image'.")


@kube_type(META + "StatusDetails")
class StatusDetailsSerializer(Serializer):
    """Details about a failure that clients can act on."""

    name = string("The name of the object the failure is about, when there is one.")
    group = string("The group of the resource the failure is about.")
    kind = string("The kind of the resource the failure is about.")
    uid = string("The UID of the object, when there is one.", go_type="types.UID")
    causes = nested_list(StatusCauseSerializer, "The causes of the failure, when known.")
    retryAfterSeconds = int32("If set, seconds the client should wait before retrying.")


@kube_type(META + "Status", core("Status"))
class StatusSerializer(Serializer):
    """The result of a call that does not return an object: every error, and some deletions."""

    apiVersion = api_version()
    kind = kind()
    metadata = nested(ListMetaSerializer, LIST_METADATA_DOC)
    status = string("'Success' or 'Failure'.")
    message = string("A human-readable description of the status of this operation.")
    reason = string(
        "A machine-readable reason for a failure, such as NotFound or AlreadyExists. Clients "
        "may use it to decide what to do; empty means no information.",
        go_type="v1.StatusReason",
    )
    details = nested(StatusDetailsSerializer, "More data about the reason, if any.")
    code = int32("The HTTP status code of this status; 0 if not set.")


@kube_type(META + "Preconditions")
class PreconditionsSerializer(Serializer):
    """What must still be true for a delete to proceed."""

    uid = string("The object's UID must be this.", go_type="types.UID")
    resourceVersion = string("The object's resourceVersion must be this.")


@kube_type(META + "DeleteOptions", *in_every_group("DeleteOptions"))
class DeleteOptionsSerializer(Serializer):
    """Options for deleting an object, sent as the body of a DELETE."""

    apiVersion = api_version()
    kind = kind()
    gracePeriodSeconds = int64(
        "Seconds before the object is deleted; zero means at once. Unset means the default "
        "for the kind."
    )
    preconditions = nested(
        PreconditionsSerializer,
        "Must be fulfilled before the deletion is carried out; otherwise 409 Conflict.",
    )
    orphanDependents = boolean(
        "Deprecated: use propagationPolicy. Whether dependents are orphaned."
    )
    propagationPolicy = string(
        "How the garbage collector treats dependents: 'Orphan', 'Background' (delete them "
        "after the owner) or 'Foreground' (delete them before the owner).",
        go_type="v1.DeletionPropagation",
    )
    dryRun = strings("'All' to process every stage of the request without persisting it.")
    ignoreStoreReadErrorWithClusterBreakingPotential = boolean(
        "Delete an object that cannot be read from storage. Not supported by Pilothouse."
    )


@kube_type(META + "Patch")
class PatchSerializer(Serializer):
    """The body of a PATCH: a JSON patch, a JSON merge patch, a strategic merge patch or an
    apply configuration, according to the Content-Type."""
