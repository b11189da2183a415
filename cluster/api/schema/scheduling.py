"""core/v1 scheduling constraints: node selection, affinity, tolerations and spreading."""

from __future__ import annotations

from cluster.api.schema.fields import int32, int64, string, strings
from cluster.api.schema.meta import LabelSelectorSerializer
from cluster.api.schema.naming import CORE, Serializer, kube_type, nested, nested_list


@kube_type(CORE + "NodeSelectorRequirement")
class NodeSelectorRequirementSerializer(Serializer):
    """A node label (or field) key, an operator and values."""

    key = string("The label key the selector applies to.", required=True)
    operator = string(
        "In, NotIn, Exists, DoesNotExist, Gt or Lt.",
        required=True,
        go_type="v1.NodeSelectorOperator",
    )
    values = strings(
        "Values for In and NotIn (non-empty), one integer for Gt and Lt, none for Exists and "
        "DoesNotExist."
    )


@kube_type(CORE + "NodeSelectorTerm")
class NodeSelectorTermSerializer(Serializer):
    """Requirements ANDed together; an empty term matches no node."""

    matchExpressions = nested_list(
        NodeSelectorRequirementSerializer, "Requirements on node labels."
    )
    matchFields = nested_list(NodeSelectorRequirementSerializer, "Requirements on node fields.")


@kube_type(CORE + "NodeSelector")
class NodeSelectorSerializer(Serializer):
    """Terms ORed together: a node matches if it matches any of them."""

    nodeSelectorTerms = nested_list(NodeSelectorTermSerializer, "The terms, ORed.", required=True)


@kube_type(CORE + "PreferredSchedulingTerm")
class PreferredSchedulingTermSerializer(Serializer):
    """A weighted preference for nodes."""

    weight = int32("Weight of the preference, 1-100.", required=True)
    preference = nested(NodeSelectorTermSerializer, "The nodes preferred.", required=True)


@kube_type(CORE + "NodeAffinity")
class NodeAffinitySerializer(Serializer):
    """Which nodes the pod is scheduled to."""

    requiredDuringSchedulingIgnoredDuringExecution = nested(
        NodeSelectorSerializer,
        "Nodes the pod must be scheduled to; a later label change does not evict it.",
    )
    preferredDuringSchedulingIgnoredDuringExecution = nested_list(
        PreferredSchedulingTermSerializer,
        "Nodes the scheduler prefers, by the sum of the weights of the terms they match.",
    )


@kube_type(CORE + "PodAffinityTerm")
class PodAffinityTermSerializer(Serializer):
    """Pods (by labels and namespaces) the pod should be co-located with, or kept apart from,
    within a topology domain."""

    labelSelector = nested(LabelSelectorSerializer, "The pods this term is about.")
    namespaces = strings("Namespaces of those pods; empty means the pod's own.")
    topologyKey = string(
        "The node label whose value defines the domain, such as kubernetes.io/hostname.",
        required=True,
    )
    namespaceSelector = nested(
        LabelSelectorSerializer, "Namespaces of those pods, by label; added to namespaces."
    )
    matchLabelKeys = strings(
        "Label keys whose values, taken from the incoming pod, are added to labelSelector."
    )
    mismatchLabelKeys = strings(
        "Label keys whose values, taken from the incoming pod, must differ."
    )


@kube_type(CORE + "WeightedPodAffinityTerm")
class WeightedPodAffinityTermSerializer(Serializer):
    """A weighted pod affinity term."""

    weight = int32("Weight of the term, 1-100.", required=True)
    podAffinityTerm = nested(PodAffinityTermSerializer, "The term.", required=True)


@kube_type(CORE + "PodAffinity")
class PodAffinitySerializer(Serializer):
    """Pods this pod should run near."""

    requiredDuringSchedulingIgnoredDuringExecution = nested_list(
        PodAffinityTermSerializer, "Terms that must all hold at scheduling time."
    )
    preferredDuringSchedulingIgnoredDuringExecution = nested_list(
        WeightedPodAffinityTermSerializer, "Terms the scheduler prefers to satisfy."
    )


@kube_type(CORE + "PodAntiAffinity")
class PodAntiAffinitySerializer(Serializer):
    """Pods this pod should not run near."""

    requiredDuringSchedulingIgnoredDuringExecution = nested_list(
        PodAffinityTermSerializer, "Terms that must all hold at scheduling time."
    )
    preferredDuringSchedulingIgnoredDuringExecution = nested_list(
        WeightedPodAffinityTermSerializer, "Terms the scheduler prefers to satisfy."
    )


@kube_type(CORE + "Affinity")
class AffinitySerializer(Serializer):
    """Scheduling constraints of a pod."""

    nodeAffinity = nested(NodeAffinitySerializer, "Constraints on nodes.")
    podAffinity = nested(PodAffinitySerializer, "Pods to run near.")
    podAntiAffinity = nested(PodAntiAffinitySerializer, "Pods to keep away from.")


@kube_type(CORE + "Toleration")
class TolerationSerializer(Serializer):
    """Lets a pod be scheduled to (or stay on) nodes with a matching taint."""

    key = string("The taint key; empty with operator Exists matches every taint.")
    operator = string("Exists or Equal (the default).", go_type="v1.TolerationOperator")
    value = string("The taint value to match; empty for Exists.")
    effect = string(
        "The taint effect to match: NoSchedule, PreferNoSchedule or NoExecute; empty matches all.",
        go_type="v1.TaintEffect",
    )
    tolerationSeconds = int64(
        "For NoExecute: how long the pod stays bound after the taint appears. Unset means forever."
    )


@kube_type(CORE + "TopologySpreadConstraint")
class TopologySpreadConstraintSerializer(Serializer):
    """How evenly matching pods must be spread across a topology."""

    maxSkew = int32(
        "The largest allowed difference in matching pods between two domains.", required=True
    )
    topologyKey = string("The node label whose value defines the domain.", required=True)
    whenUnsatisfiable = string(
        "DoNotSchedule (the default) or ScheduleAnyway.",
        required=True,
        go_type="v1.UnsatisfiableConstraintAction",
    )
    labelSelector = nested(LabelSelectorSerializer, "The pods to count.")
    minDomains = int32("The least number of eligible domains.")
    nodeAffinityPolicy = string("Honor (the default) or Ignore the pod's node affinity.")
    nodeTaintsPolicy = string("Honor or Ignore (the default) node taints.")
    matchLabelKeys = strings(
        "Label keys whose values, taken from the incoming pod, are added to labelSelector."
    )
