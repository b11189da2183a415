"""A pass is bounded in time: past its deadline it stops and asks to be run again at once."""

from __future__ import annotations

import pytest

from cluster.registry.bootstrap import ensure_system_namespaces
from cluster.registry.reconcile import DONE, Outcome
from cluster.registry.registry import Registry
from cluster.scheduling.reconciler import KEY, Scheduler
from tests.scheduling.schedulingkit import NS, PODS, create_node, create_pod

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _namespaces(registry: Registry) -> None:
    ensure_system_namespaces(registry)


def bound(registry: Registry) -> int:
    return sum(1 for p in registry.list(PODS, NS).items if p["spec"].get("nodeName"))


def test_a_pass_out_of_time_still_makes_progress_and_asks_for_another(registry: Registry) -> None:
    create_node(registry, "n1")
    for i in range(3):
        create_pod(registry, f"web-{i}")
    hurried = Scheduler(pass_seconds=0)

    outcomes = [hurried.reconcile(KEY, registry) for _ in range(3)]

    # One bind per pass; the third finds nothing left after its pod and is done.
    assert outcomes == [Outcome(requeue_after=0), Outcome(requeue_after=0), DONE]
    assert bound(registry) == 3


def test_a_pass_with_time_to_spare_places_everything_at_once(registry: Registry) -> None:
    create_node(registry, "n1")
    for i in range(3):
        create_pod(registry, f"web-{i}")

    assert Scheduler().reconcile(KEY, registry) == DONE
    assert bound(registry) == 3
