"""The filters: can this pod run on this node at all, and if not, why (in kube's words).

They run in kube-scheduler's default order and a node is reported with the first filter that
rejects it, so each rejected node contributes one reason, except the resource fit, which
lists every resource that is short (as kube's NodeResourcesFit does):

1. the node is Ready (kube leaves this to the not-ready taint; here it is checked directly,
   with the words of kube's former ``CheckNodeCondition`` predicate);
2. NodeUnschedulable: a cordoned node, unless the pod tolerates
   ``node.kubernetes.io/unschedulable:NoSchedule``;
3. TaintToleration: every NoSchedule and NoExecute taint must be tolerated (PreferNoSchedule
   only affects scoring);
4. NodeAffinity: ``nodeSelector`` and the required node affinity;
5. NodeResourcesFit: the pod count and every requested resource fit what is left.

The first four depend only on the pod's placement constraints and the node, so the batch
planner evaluates them once per distinct ``Placement``; the fit changes as pods are placed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import orjson

from cluster.scheduling.nodes import NodeInfo
from cluster.scheduling.resources import Demand

NOT_READY = "node(s) were not ready"
UNSCHEDULABLE = "node(s) were unschedulable"
UNTOLERATED_TAINT = "node(s) had untolerated taint(s)"
AFFINITY_MISMATCH = "node(s) didn't match Pod's node affinity/selector"
TOO_MANY_PODS = "Too many pods"

UNSCHEDULABLE_TAINT = {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}
_REPELLING_EFFECTS = ("NoSchedule", "NoExecute")
_PREFER_NO_SCHEDULE = "PreferNoSchedule"
_INTEGER = re.compile(r"[+-]?[0-9]+")


def insufficient(resource: str) -> str:
    return f"Insufficient {resource}"


@dataclass(frozen=True)
class Placement:
    """A pod's constraints on where it may run; pods with equal ``signature`` are alike."""

    signature: bytes
    node_selector: dict[str, str] = field(compare=False)
    required_terms: list[dict[str, Any]] | None = field(compare=False)
    tolerations: list[dict[str, Any]] = field(compare=False)


def placement_of(pod: dict[str, Any]) -> Placement:
    spec = pod.get("spec") or {}
    selector = spec.get("nodeSelector")
    if not isinstance(selector, dict):
        selector = {}
    node_affinity = (spec.get("affinity") or {}).get("nodeAffinity") or {}
    required = node_affinity.get("requiredDuringSchedulingIgnoredDuringExecution")
    terms = None
    if isinstance(required, dict):
        listed = required.get("nodeSelectorTerms")
        terms = [t for t in listed if isinstance(t, dict)] if isinstance(listed, list) else []
    tolerations = [t for t in spec.get("tolerations") or [] if isinstance(t, dict)]
    signature = orjson.dumps([selector, terms, tolerations], option=orjson.OPT_SORT_KEYS)
    return Placement(
        signature,
        {str(k): str(v) for k, v in selector.items()},
        terms,
        tolerations,
    )


# -- tolerations --


def tolerates(toleration: dict[str, Any], taint: dict[str, Any]) -> bool:
    """Kube's ``Toleration.ToleratesTaint``."""
    effect = toleration.get("effect") or ""
    if effect and effect != (taint.get("effect") or ""):
        return False
    key = toleration.get("key") or ""
    if key and key != (taint.get("key") or ""):
        return False
    operator = toleration.get("operator") or "Equal"
    if operator == "Exists":
        return True
    if operator == "Equal":
        return (toleration.get("value") or "") == (taint.get("value") or "")
    return False


def _tolerated(tolerations: list[dict[str, Any]], taint: dict[str, Any]) -> bool:
    return any(tolerates(t, taint) for t in tolerations)


def untolerated_preferences(placement: Placement, node: NodeInfo) -> int:
    """How many PreferNoSchedule taints of ``node`` the pod does not tolerate."""
    return sum(
        1
        for taint in node.taints
        if taint.get("effect") == _PREFER_NO_SCHEDULE
        and not _tolerated(placement.tolerations, taint)
    )


# -- node affinity --


def _requirement_matches(requirement: dict[str, Any], values: dict[str, str]) -> bool:
    """A NodeSelectorRequirement against labels (or fields), as kube's label Requirement."""
    key = str(requirement.get("key") or "")
    operator = requirement.get("operator")
    wanted = [str(v) for v in requirement.get("values") or []]
    present = key in values
    if operator == "In":
        return present and values[key] in wanted
    if operator == "NotIn":
        return not present or values[key] not in wanted
    if operator == "Exists":
        return present
    if operator == "DoesNotExist":
        return not present
    if operator in ("Gt", "Lt"):
        if not present or len(wanted) != 1:
            return False
        if not (_INTEGER.fullmatch(values[key]) and _INTEGER.fullmatch(wanted[0])):
            return False
        have, bound = int(values[key]), int(wanted[0])
        return have > bound if operator == "Gt" else have < bound
    return False


def _term_matches(term: dict[str, Any], node: NodeInfo) -> bool:
    expressions = [e for e in term.get("matchExpressions") or [] if isinstance(e, dict)]
    fields = [f for f in term.get("matchFields") or [] if isinstance(f, dict)]
    if not expressions and not fields:
        return False  # an empty term selects no node
    node_fields = {"metadata.name": node.name}
    return all(_requirement_matches(e, node.labels) for e in expressions) and all(
        _requirement_matches(f, node_fields) for f in fields
    )


def affinity_matches(placement: Placement, node: NodeInfo) -> bool:
    """``nodeSelector`` and the required node affinity (terms are ORed) both hold."""
    labels = node.labels
    for key, value in placement.node_selector.items():
        if labels.get(key) != value:
            return False
    terms = placement.required_terms
    return terms is None or any(_term_matches(term, node) for term in terms)


# -- the filters --


def static_reason(placement: Placement, node: NodeInfo) -> str | None:
    """Why ``node`` can never take a pod with this placement, or None if it can."""
    if not node.ready:
        return NOT_READY
    if node.unschedulable and not _tolerated(placement.tolerations, UNSCHEDULABLE_TAINT):
        return UNSCHEDULABLE
    for taint in node.taints:
        if taint.get("effect") in _REPELLING_EFFECTS and not _tolerated(
            placement.tolerations, taint
        ):
            return UNTOLERATED_TAINT
    if not affinity_matches(placement, node):
        return AFFINITY_MISMATCH
    return None


def fits(demand: Demand, node: NodeInfo) -> bool:
    """Whether what is left on ``node`` covers ``demand`` (kube's NodeResourcesFit)."""
    if node.pods + 1 > node.allowed_pods:
        return False
    allocatable, requested = node.allocatable, node.requested
    for name, value in demand.requests:
        if value > allocatable.get(name, 0) - requested.get(name, 0):
            return False
    return True


def fit_reasons(demand: Demand, node: NodeInfo) -> list[str]:
    """Every reason ``demand`` does not fit on ``node`` ([] if it fits)."""
    reasons = [TOO_MANY_PODS] if node.pods + 1 > node.allowed_pods else []
    reasons += [insufficient(name) for name, value in demand.requests if value > node.free(name)]
    return reasons
