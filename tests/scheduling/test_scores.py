"""The scores: least allocated, spread of a controller's pods, PreferNoSchedule taints."""

from __future__ import annotations

from cluster.scheduling.filters import placement_of, untolerated_preferences
from cluster.scheduling.resources import demand_of
from cluster.scheduling.scores import least_allocated, least_requested, score, spread
from tests.scheduling.schedulingkit import info, node, pod


def test_least_requested_is_the_share_left_rounded_down_and_zero_when_overcommitted() -> None:
    assert least_requested(1000, 4000) == 75
    assert least_requested(1, 3) == 66
    assert least_requested(5000, 4000) == 0
    assert least_requested(0, 0) == 0


def test_least_allocated_averages_cpu_and_memory_with_the_pod_included() -> None:
    busy = info(node("n", cpu="4", memory="8Gi"), pod("a", cpu="1", memory="2Gi"))

    # cpu: (4 - 2) / 4 -> 50; memory: (8 - 6) / 8 -> 25
    assert least_allocated(demand_of(pod("b", cpu="1", memory="4Gi")), busy) == 37


def test_pods_without_requests_still_count_for_scoring() -> None:
    crowded = info(node("n", cpu="1", memory="1Gi"), *[pod(f"p{i}", cpu=None) for i in range(5)])
    empty = info(node("m", cpu="1", memory="1Gi"))
    candidate = demand_of(pod("b", cpu=None, memory=None))

    assert least_allocated(candidate, crowded) < least_allocated(candidate, empty)


def test_each_sibling_on_a_node_lowers_its_spread_score() -> None:
    siblings = [pod(f"p{i}", owner="web") for i in range(3)]
    candidate = demand_of(pod("new", owner="web"))

    scores = [spread(candidate, info(node("n"), *siblings[:count])) for count in range(4)]

    assert scores == [100, 50, 33, 25]


def test_pods_of_other_controllers_or_of_none_do_not_count_as_siblings() -> None:
    crowded = info(node("n"), pod("a", owner="other"), pod("b"))

    assert spread(demand_of(pod("new", owner="web")), crowded) == 100
    assert spread(demand_of(pod("bare")), crowded) == 100


def test_untolerated_prefer_no_schedule_taints_are_counted_for_scoring() -> None:
    soft = {"key": "spot", "value": "yes", "effect": "PreferNoSchedule"}
    tainted = info(node("n", taints=[soft, {"key": "gpu", "effect": "NoSchedule"}]))
    tolerating = pod("t", tolerations=[{"key": "spot", "operator": "Exists"}])

    assert untolerated_preferences(placement_of(pod("p")), tainted) == 1
    assert untolerated_preferences(placement_of(tolerating), tainted) == 0


def test_the_total_weighs_spread_twice_and_taint_preference_three_times() -> None:
    sibling_there = info(node("n"), pod("a", cpu="0", memory="0", owner="web"))
    candidate = demand_of(pod("new", cpu="1", memory="2Gi", owner="web"))

    # least allocated: a quarter of CPU and of memory taken, 75; one sibling; one taint
    assert score(candidate, sibling_there, untolerated_preferences=1) == 75 + 2 * 50 + 3 * 50
