"""apimachinery's messages (meta/v1), shared by every kind: object metadata, owner references,
selectors, conditions and delete options. Transcribed from
``staging/src/k8s.io/apimachinery/pkg/apis/meta/v1/generated.proto``; the JSON flags follow the
``json:`` tags of ``types.go`` (see ``cluster.api.protobuf.schema``).
"""

from __future__ import annotations

from cluster.api.protobuf.schema import parse_messages

MESSAGES = parse_messages(
    """
ObjectMeta:
  1 name str
  2 generateName str
  3 namespace str
  4 selfLink str
  5 uid str
  6 resourceVersion str
  7 generation int
  8 creationTimestamp time omitzero
  9 deletionTimestamp time
  10 deletionGracePeriodSeconds int keep
  11 labels {str}
  12 annotations {str}
  13 ownerReferences []OwnerReference
  14 finalizers []str
  17 managedFields []ManagedFieldsEntry

OwnerReference:
  5 apiVersion str keep
  1 kind str keep
  3 name str keep
  4 uid str keep
  6 controller bool keep
  7 blockOwnerDeletion bool keep

ManagedFieldsEntry:
  1 manager str
  2 operation str
  3 apiVersion str
  4 time time
  6 fieldsType str
  7 fieldsV1 fieldsv1
  8 subresource str

LabelSelector:
  1 matchLabels {str}
  2 matchExpressions []LabelSelectorRequirement

LabelSelectorRequirement:
  1 key str keep
  2 operator str keep
  3 values []str

Condition:
  1 type str keep
  2 status str keep
  3 observedGeneration int
  4 lastTransitionTime time
  5 reason str keep
  6 message str keep

DeleteOptions:
  1 gracePeriodSeconds int keep
  2 preconditions Preconditions
  3 orphanDependents bool keep
  4 propagationPolicy str keep
  5 dryRun []str
  6 ignoreStoreReadErrorWithClusterBreakingPotential bool keep

Preconditions:
  1 uid str keep
  2 resourceVersion str keep
"""
)
