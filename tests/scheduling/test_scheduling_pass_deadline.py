"""A pass is bounded in time: past its deadline it stops and asks to be run again at once."""

from __future__ import annotations

import pytest

from cluster.registry.bootstrap import ensure_system_namespaces
from cluster.registry.reconcile import DONE, Outcome
from cluster.registry.registry import Registry
from cluster.registry.resources import Resource
from cluster.scheduling import schedule
from cluster.scheduling.queue import PendingPod, list_pending
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
    hurried = Scheduler(pass_seconds=0, chunk=1)

    outcomes = [hurried.reconcile(KEY, registry) for _ in range(3)]

    # One batch of one bind per pass; the third finds nothing left after its pod and is done.
    assert outcomes == [Outcome(requeue_after=0), Outcome(requeue_after=0), DONE]
    assert bound(registry) == 3


def test_a_pass_out_of_time_still_binds_a_whole_batch(registry: Registry) -> None:
    create_node(registry, "n1")
    for i in range(5):
        create_pod(registry, f"web-{i}")
    hurried = Scheduler(pass_seconds=0, chunk=2)

    outcomes = [hurried.reconcile(KEY, registry) for _ in range(3)]

    assert outcomes == [Outcome(requeue_after=0), Outcome(requeue_after=0), DONE]
    assert bound(registry) == 5


def test_a_pass_out_of_time_stops_even_when_each_listing_fits_in_one_batch(
    registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    create_node(registry, "n1")
    create_pod(registry, "web-0")
    listings: list[int] = []

    def pods_keep_arriving(registry: Registry, pods: Resource) -> list[PendingPod]:
        listed = list_pending(registry, pods)
        listings.append(len(listed))
        if len(listings) < 3:  # bounded, so that a pass that never stops fails, not hangs
            create_pod(registry, f"web-{len(listings)}")  # arrives while the pass writes
        return listed

    monkeypatch.setattr(schedule, "list_pending", pods_keep_arriving)

    assert Scheduler(pass_seconds=0).reconcile(KEY, registry) == Outcome(requeue_after=0)
    assert bound(registry) == 1
    assert listings == [1, 1]


def test_a_pass_with_time_to_spare_places_everything_at_once(registry: Registry) -> None:
    create_node(registry, "n1")
    for i in range(3):
        create_pod(registry, f"web-{i}")

    assert Scheduler().reconcile(KEY, registry) == DONE
    assert bound(registry) == 3
