"""The batch planner: many pods in one pass, each seeing the placements before it.

Its heaps must choose exactly what a full scan of every node would choose for every pod;
the last test checks that against a plain implementation on random clusters.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from cluster.scheduling.batch import Planner
from cluster.scheduling.filters import fits, placement_of, static_reason, untolerated_preferences
from cluster.scheduling.nodes import NodeInfo
from cluster.scheduling.resources import demand_of
from cluster.scheduling.scores import score
from tests.scheduling.schedulingkit import info, node, place, pod


def test_identical_pods_fill_identical_nodes_evenly_starting_with_the_first_name() -> None:
    planner = Planner([info(node(name)) for name in ("c", "a", "b")])

    chosen = [place(planner, pod(f"p{i}")).node for i in range(6)]

    assert chosen == ["a", "b", "c", "a", "b", "c"]


def test_a_pod_goes_to_the_least_allocated_node() -> None:
    busy = info(node("a"), pod("x", cpu="3", memory="1Gi"))
    planner = Planner([busy, info(node("b"))])

    assert place(planner, pod("p")).node == "b"


def test_pods_of_one_controller_spread_over_nodes_even_when_one_node_is_much_bigger() -> None:
    def planner() -> Planner:
        return Planner([info(node("big", cpu="64", memory="256Gi")), info(node("small"))])

    spread_out = planner()
    together = planner()

    assert [place(spread_out, pod(f"w{i}", owner="web")).node for i in range(2)] == [
        "big",
        "small",
    ]
    assert [place(together, pod(f"b{i}")).node for i in range(2)] == ["big", "big"]


def test_a_pod_that_fits_nowhere_is_told_why_each_node_refused_it() -> None:
    planner = Planner(
        [
            info(node("cordoned", unschedulable=True)),
            info(node("small", cpu="1", memory="1Gi")),
            info(node("tiny", cpu="500m", memory="256Mi")),
            info(node("full", pods=1), pod("x")),
        ]
    )

    decision = place(planner, pod("p", cpu="2", memory="512Mi"))

    assert decision.node is None
    assert decision.message == (
        "0/4 nodes are available: 1 Insufficient memory, 1 Too many pods, "
        "1 node(s) were unschedulable, 2 Insufficient cpu."
    )


def test_the_last_room_goes_to_the_pods_that_fit_it() -> None:
    planner = Planner([info(node("n", cpu="1"))])

    first, too_big, second, third = (
        place(planner, pod(name, cpu=cpu))
        for name, cpu in (("a", "600m"), ("b", "600m"), ("c", "400m"), ("d", "100m"))
    )

    assert (first.node, too_big.node, second.node, third.node) == ("n", None, "n", None)
    assert too_big.message == "0/1 nodes are available: 1 Insufficient cpu."


def test_without_nodes_every_pod_is_told_there_are_none() -> None:
    assert place(Planner([]), pod("p")).message == "no nodes available to schedule pods"


# -- the planner against a full scan --


def full_scan(nodes: list[NodeInfo], manifest: dict[str, Any]) -> str | None:
    """kube-scheduler's way: filter and score every node, keep the best (ties: first name)."""
    placement, demand = placement_of(manifest), demand_of(manifest)
    best: tuple[int, str] | None = None
    for candidate in sorted(nodes, key=lambda n: n.name):
        if static_reason(placement, candidate) is None and fits(demand, candidate):
            prefs = untolerated_preferences(placement, candidate)
            total = score(demand, candidate, untolerated_preferences=prefs)
            if best is None or total > best[0]:
                best = (total, candidate.name)
    if best is None:
        return None
    next(n for n in nodes if n.name == best[1]).add(demand)
    return best[1]


def random_cluster(rng: random.Random) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    nodes = []
    for i in range(25):
        taints = []
        if rng.random() < 0.2:
            effect = rng.choice(["NoSchedule", "PreferNoSchedule"])
            taints.append({"key": "spot", "value": "yes", "effect": effect})
        nodes.append(
            node(
                f"n{i:02d}",
                cpu=rng.choice(["1", "2", "4"]),
                memory=rng.choice(["1Gi", "2Gi", "4Gi"]),
                pods=rng.choice([3, 8, 110]),
                labels={"zone": rng.choice("ab")},
                taints=taints,
                unschedulable=rng.random() < 0.1,
                ready=rng.choice(["True"] * 9 + ["False"]),
            )
        )
    pods = []
    for i in range(250):
        spec: dict[str, Any] = {}
        if rng.random() < 0.3:
            spec["nodeSelector"] = {"zone": rng.choice("ab")}
        if rng.random() < 0.3:
            spec["tolerations"] = [{"key": "spot", "operator": "Exists"}]
        pods.append(
            pod(
                f"p{i:03d}",
                cpu=rng.choice(["100m", "250m", "500m", "1", None]),
                memory=rng.choice(["64Mi", "256Mi", "1Gi", None]),
                owner=rng.choice([None, "web", "api", "db"]),
                **spec,
            )
        )
    return nodes, pods


@pytest.mark.parametrize("seed", range(8))
def test_the_planner_chooses_what_a_full_scan_of_every_node_chooses(seed: int) -> None:
    nodes, pods = random_cluster(random.Random(seed))
    planner = Planner([info(n) for n in nodes])
    scanned = [info(n) for n in nodes]

    planned = [place(planner, p).node for p in pods]
    expected = [full_scan(scanned, p) for p in pods]

    assert planned == expected
    assert None in planned  # the clusters are small enough to run out of room
