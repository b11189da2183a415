"""The static filters: readiness, cordons, taints and tolerations, node selector and affinity.

Each rejected node is reported with the first filter that rejects it, in kube's order and
words.
"""

from __future__ import annotations

from typing import Any

import pytest

from cluster.scheduling.filters import (
    AFFINITY_MISMATCH,
    NOT_READY,
    UNSCHEDULABLE,
    UNTOLERATED_TAINT,
    placement_of,
    static_reason,
    tolerates,
)
from tests.scheduling.schedulingkit import expression, info, node, pod, required_affinity

GPU_TAINT = {"key": "gpu", "value": "true", "effect": "NoSchedule"}


def reason(node_manifest: dict[str, Any], **pod_spec: Any) -> str | None:
    return static_reason(placement_of(pod("p", **pod_spec)), info(node_manifest))


def test_a_ready_schedulable_untainted_node_passes() -> None:
    assert reason(node("n")) is None


@pytest.mark.parametrize("ready", ["False", "Unknown", None])
def test_a_node_that_is_not_ready_is_refused(ready: str | None) -> None:
    assert reason(node("n", ready=ready)) == NOT_READY


def test_a_cordoned_node_is_refused_unless_the_pod_tolerates_the_cordon() -> None:
    cordoned = node("n", unschedulable=True)
    tolerate = {"key": "node.kubernetes.io/unschedulable", "operator": "Exists"}

    assert reason(cordoned) == UNSCHEDULABLE
    assert reason(cordoned, tolerations=[tolerate]) is None


@pytest.mark.parametrize("effect", ["NoSchedule", "NoExecute"])
def test_a_taint_that_repels_must_be_tolerated(effect: str) -> None:
    tainted = node("n", taints=[{**GPU_TAINT, "effect": effect}])
    matching = {"key": "gpu", "operator": "Equal", "value": "true", "effect": effect}

    assert reason(tainted) == UNTOLERATED_TAINT
    assert reason(tainted, tolerations=[matching]) is None


def test_a_prefer_no_schedule_taint_does_not_filter() -> None:
    assert reason(node("n", taints=[{**GPU_TAINT, "effect": "PreferNoSchedule"}])) is None


def test_every_repelling_taint_must_be_tolerated_not_just_one() -> None:
    tainted = node("n", taints=[GPU_TAINT, {"key": "team", "value": "a", "effect": "NoExecute"}])

    assert reason(tainted, tolerations=[{"key": "gpu", "operator": "Exists"}]) == UNTOLERATED_TAINT


@pytest.mark.parametrize(
    ("toleration", "expected"),
    [
        ({"key": "gpu", "value": "true"}, True),  # operator defaults to Equal, any effect
        ({"key": "gpu", "operator": "Equal", "value": "false"}, False),
        ({"key": "gpu", "operator": "Exists", "effect": "NoSchedule"}, True),
        ({"key": "gpu", "operator": "Exists", "effect": "NoExecute"}, False),
        ({"key": "other", "operator": "Exists"}, False),
        ({"operator": "Exists"}, True),  # an empty key with Exists tolerates everything
    ],
)
def test_tolerations_match_taints_as_kube_matches_them(
    toleration: dict[str, str], expected: bool
) -> None:
    assert tolerates(toleration, GPU_TAINT) is expected


def test_the_node_selector_must_match_every_label() -> None:
    labelled = node("n", labels={"disk": "ssd", "zone": "a"})

    assert reason(labelled, nodeSelector={"disk": "ssd"}) is None
    assert reason(labelled, nodeSelector={"disk": "ssd", "zone": "b"}) == AFFINITY_MISMATCH


@pytest.mark.parametrize(
    ("requirement", "expected"),
    [
        (expression("zone", "In", "a", "b"), True),
        (expression("zone", "In", "c"), False),
        (expression("zone", "NotIn", "c"), True),
        (expression("missing", "NotIn", "c"), True),
        (expression("zone", "Exists"), True),
        (expression("missing", "Exists"), False),
        (expression("missing", "DoesNotExist"), True),
        (expression("cores", "Gt", "4"), True),
        (expression("cores", "Gt", "8"), False),
        (expression("cores", "Lt", "9"), True),
        (expression("zone", "Gt", "1"), False),  # a label that is not a number never matches
        (expression("missing", "Lt", "1"), False),
    ],
)
def test_required_node_affinity_operators(requirement: dict[str, Any], expected: bool) -> None:
    labelled = node("n", labels={"zone": "a", "cores": "8"})
    term = {"matchExpressions": [requirement]}

    assert (reason(labelled, affinity=required_affinity(term)) is None) is expected


def test_match_fields_select_the_node_by_name() -> None:
    by_name = {"matchFields": [expression("metadata.name", "In", "n1")]}

    assert reason(node("n1"), affinity=required_affinity(by_name)) is None
    assert reason(node("n2"), affinity=required_affinity(by_name)) == AFFINITY_MISMATCH


def test_terms_are_alternatives_and_requirements_within_a_term_all_hold() -> None:
    labelled = node("n", labels={"zone": "a", "disk": "hdd"})
    both = {"matchExpressions": [expression("zone", "In", "a"), expression("disk", "In", "ssd")]}
    either = {"matchExpressions": [expression("zone", "In", "a")]}

    assert reason(labelled, affinity=required_affinity(both)) == AFFINITY_MISMATCH
    assert reason(labelled, affinity=required_affinity(both, either)) is None


def test_an_empty_term_selects_no_node() -> None:
    assert reason(node("n"), affinity=required_affinity({})) == AFFINITY_MISMATCH


def test_selector_and_affinity_must_both_hold() -> None:
    labelled = node("n", labels={"zone": "a"})
    term = {"matchExpressions": [expression("zone", "In", "a")]}

    assert reason(labelled, nodeSelector={"zone": "b"}, affinity=required_affinity(term)) == (
        AFFINITY_MISMATCH
    )


def test_a_node_is_reported_with_the_first_filter_that_refuses_it() -> None:
    everything_wrong = node("n", ready="False", unschedulable=True, taints=[GPU_TAINT])
    cordoned_and_tainted = node("n", unschedulable=True, taints=[GPU_TAINT])
    tainted_elsewhere = node("n", taints=[GPU_TAINT], labels={"zone": "b"})

    assert reason(everything_wrong, nodeSelector={"zone": "a"}) == NOT_READY
    assert reason(cordoned_and_tainted, nodeSelector={"zone": "a"}) == UNSCHEDULABLE
    assert reason(tainted_elsewhere, nodeSelector={"zone": "a"}) == UNTOLERATED_TAINT
