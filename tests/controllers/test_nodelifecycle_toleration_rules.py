"""The taint eviction rules on their own: which toleration matches a taint, and until when.

Pure logic, no store: kube's ``ToleratesTaint``, ``GetMatchingTolerations`` and
``getMinTolerationTime``, with time counted from each taint's ``timeAdded``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cluster.controllers.tainteviction import AT_ONCE, eviction_time, tolerates

ADDED = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)
UNREACHABLE = {"key": "node.kubernetes.io/unreachable", "effect": "NoExecute"}
TIMED = {**UNREACHABLE, "timeAdded": "2025-01-01T12:00:00Z"}


def pod(*tolerations: dict[str, Any]) -> dict[str, Any]:
    return {"spec": {"tolerations": list(tolerations)}}


@pytest.mark.parametrize(
    ("toleration", "expected"),
    [
        ({"operator": "Exists"}, True),
        ({"key": "dedicated", "operator": "Exists"}, True),
        ({"key": "dedicated", "operator": "Exists", "effect": "NoExecute"}, True),
        ({"key": "dedicated", "operator": "Exists", "effect": "NoSchedule"}, False),
        ({"key": "dedicated", "value": "db"}, True),
        ({"key": "dedicated", "operator": "Equal", "value": "db"}, True),
        ({"key": "dedicated", "operator": "Equal", "value": "web"}, False),
        ({"key": "other", "operator": "Exists"}, False),
        ({"key": "dedicated", "operator": "Gt", "value": "db"}, False),
    ],
)
def test_a_toleration_matches_a_taint_by_effect_key_operator_and_value(
    toleration: dict[str, Any], expected: bool
) -> None:
    taint = {"key": "dedicated", "value": "db", "effect": "NoExecute"}
    assert tolerates(toleration, taint) is expected


def test_a_pod_without_a_matching_toleration_goes_at_once() -> None:
    other = {"key": "other", "operator": "Exists", "effect": "NoExecute"}
    assert eviction_time(pod(other), [TIMED]) == AT_ONCE
    assert eviction_time({"spec": {}}, [TIMED]) == AT_ONCE


def test_a_bounded_toleration_lasts_its_seconds_from_when_the_taint_was_added() -> None:
    toleration = {**UNREACHABLE, "operator": "Exists", "tolerationSeconds": 300}
    assert eviction_time(pod(toleration), [TIMED]) == ADDED + timedelta(seconds=300)


def test_a_toleration_without_seconds_lasts_forever() -> None:
    assert eviction_time(pod({**UNREACHABLE, "operator": "Exists"}), [TIMED]) is None


def test_zero_or_negative_seconds_end_when_the_taint_was_added() -> None:
    for seconds in (0, -5):
        toleration = {**UNREACHABLE, "operator": "Exists", "tolerationSeconds": seconds}
        assert eviction_time(pod(toleration), [TIMED]) == ADDED


def test_the_first_toleration_that_matches_a_taint_is_the_one_used() -> None:
    forever = {"operator": "Exists"}
    bounded = {**UNREACHABLE, "operator": "Exists", "tolerationSeconds": 10}
    assert eviction_time(pod(forever, bounded), [TIMED]) is None
    assert eviction_time(pod(bounded, forever), [TIMED]) == ADDED + timedelta(seconds=10)


def test_with_several_taints_the_earliest_end_wins() -> None:
    later = {"key": "dedicated", "effect": "NoExecute", "timeAdded": "2025-01-01T12:01:00Z"}
    tolerations = (
        {**UNREACHABLE, "operator": "Exists", "tolerationSeconds": 300},
        {"key": "dedicated", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 30},
    )
    assert eviction_time(pod(*tolerations), [TIMED, later]) == ADDED + timedelta(seconds=90)


def test_no_taints_evict_nobody() -> None:
    assert eviction_time(pod(), []) is None
