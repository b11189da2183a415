"""Which pods go first on scale-down: kube's ActivePodsWithRanks order, as pure logic.

Each test builds two pods that differ in one respect (and are equal in every earlier one) and
checks which is deleted first, in both input orders.
"""

from __future__ import annotations

from typing import Any

import pytest

from cluster.controllers.activepods import in_deletion_order
from cluster.registry.vocabulary import Object


def pod(
    name: str,
    *,
    node: str = "node-a",
    phase: str = "Running",
    ready_since: str | None = "2024-05-01T10:00:00Z",
    restarts: int = 0,
    created: str = "2024-05-01T09:00:00Z",
    cost: str | None = None,
) -> Object:
    conditions: list[dict[str, Any]] = []
    if ready_since is not None:
        conditions.append({"type": "Ready", "status": "True", "lastTransitionTime": ready_since})
    else:
        conditions.append({"type": "Ready", "status": "False"})
    meta: dict[str, Any] = {"name": name, "uid": f"uid-{name}", "creationTimestamp": created}
    if cost is not None:
        meta["annotations"] = {"controller.kubernetes.io/pod-deletion-cost": cost}
    return {
        "metadata": meta,
        "spec": {"nodeName": node, "containers": [{"name": "c"}]},
        "status": {
            "phase": phase,
            "conditions": conditions,
            "containerStatuses": [{"name": "c", "restartCount": restarts}],
        },
    }


def first_of(a: Object, b: Object) -> str:
    one = in_deletion_order([a, b])[0]["metadata"]["name"]
    other = in_deletion_order([b, a])[0]["metadata"]["name"]
    assert one == other
    return str(one)


@pytest.mark.parametrize(
    ("doomed", "kept"),
    [
        pytest.param(pod("x", node=""), pod("y"), id="unscheduled before scheduled"),
        pytest.param(
            pod("x", phase="Pending", ready_since=None),
            pod("y", phase="Unknown", ready_since=None),
            id="pending before unknown",
        ),
        pytest.param(pod("x", phase="Unknown"), pod("y"), id="unknown before running"),
        pytest.param(pod("x", ready_since=None), pod("y"), id="not ready before ready"),
        pytest.param(pod("x", cost="-5"), pod("y", cost="10"), id="cheaper before dearer"),
        pytest.param(
            pod("x", ready_since="2024-05-01T10:05:00Z"),
            pod("y", ready_since="2024-05-01T10:00:00Z"),
            id="ready more recently before ready longer",
        ),
        pytest.param(pod("x", restarts=3), pod("y", restarts=1), id="more restarts first"),
        pytest.param(
            pod("x", created="2024-05-01T09:30:00Z"),
            pod("y", created="2024-05-01T09:00:00Z"),
            id="newer before older",
        ),
    ],
)
def test_the_pod_that_costs_least_to_lose_goes_first(doomed: Object, kept: Object) -> None:
    assert first_of(doomed, kept) == "x"


def test_an_earlier_rule_outweighs_every_later_one() -> None:
    running_new_flaky = pod("x", ready_since=None, restarts=9, created="2024-05-02T00:00:00Z")
    unscheduled_old = pod("y", node="", phase="Running", created="2024-01-01T00:00:00Z")

    assert first_of(running_new_flaky, unscheduled_old) == "y"


def test_ready_times_are_compared_only_between_ready_pods() -> None:
    # Two not-ready pods: the (stale) ready time must not matter; creation time decides.
    old = pod("x", ready_since=None, created="2024-05-01T09:00:00Z")
    new = pod("y", ready_since=None, created="2024-05-01T09:30:00Z")
    new["status"]["conditions"][0]["lastTransitionTime"] = "2024-04-01T00:00:00Z"

    assert first_of(old, new) == "y"


def test_a_full_ranking_matches_kube() -> None:
    pods = [
        pod("ready-old", ready_since="2024-05-01T08:00:00Z"),
        pod("unscheduled", node="", phase="Pending", ready_since=None),
        pod("ready-new", ready_since="2024-05-01T10:00:00Z"),
        pod("pending", phase="Pending", ready_since=None),
        pod("not-ready", ready_since=None),
    ]

    order = [p["metadata"]["name"] for p in in_deletion_order(pods)]

    assert order == ["unscheduled", "pending", "not-ready", "ready-new", "ready-old"]
