"""Slow start: creations go in batches of 1, 2, 4, ... and a failed batch is the last.

The batching is pure arithmetic over a call, tested first with a plain counting function; the
last tests show, through the real registry, that a template the API rejects costs one call and
leaves a Warning event, a ReplicaFailure condition and an error for the runtime to retry.
"""

from __future__ import annotations

import threading

import pytest

from cluster.controllers.slowstart import slow_start
from cluster.registry.bootstrap import ensure_system_namespaces
from cluster.registry.catalog import RESOURCES
from cluster.registry.errors import Invalid, StoreError
from cluster.registry.registry import DeleteOptions, Registry
from cluster.registry.vocabulary import Object
from tests.controllers.replicationkit import (
    MANAGER,
    NS,
    RCS,
    create_rc,
    events,
    get_rc,
    pods,
    rc,
)

NAMESPACES = RESOURCES.by_kind("", "Namespace")


class Calls:
    """Counts calls (from any thread) and fails the ones whose number is in ``failing``."""

    def __init__(self, *failing: int) -> None:
        self.failing = set(failing)
        self.made = 0
        self._lock = threading.Lock()

    def __call__(self) -> int | StoreError:
        with self._lock:
            self.made += 1
            number = self.made
        return StoreError(f"call {number} failed") if number in self.failing else number


def test_every_call_is_made_when_none_fails() -> None:
    calls = Calls()

    done, error = slow_start(10, calls)

    assert (sorted(done), error) == (list(range(1, 11)), None)


def test_a_failure_in_the_first_batch_stops_after_one_call() -> None:
    calls = Calls(1)

    done, error = slow_start(10, calls)

    assert (done, calls.made) == ([], 1)
    assert str(error) == "call 1 failed"


def test_the_batch_with_a_failure_is_finished_and_no_later_batch_starts() -> None:
    calls = Calls(4)  # the first call of the third batch (1 + 2 + 4)

    done, error = slow_start(20, calls)

    assert calls.made == 7
    assert len(done) == 6
    assert error is not None


def test_zero_calls_make_nothing() -> None:
    calls = Calls()

    assert slow_start(0, calls) == ([], None)
    assert calls.made == 0


@pytest.mark.django_db(transaction=True)
def test_a_rejected_template_costs_one_call_and_is_reported(registry: Registry) -> None:
    ensure_system_namespaces(registry)
    broken = rc(replicas=5)
    annotations = broken["spec"]["template"]["metadata"]["annotations"]
    annotations["controller.kubernetes.io/pod-deletion-cost"] = "lots"  # the pod strategy's rule
    registry.create(RCS, NS, broken)

    with pytest.raises(Invalid):
        MANAGER.reconcile("default/web", registry)

    assert pods(registry) == []
    (failed,) = events(registry, "FailedCreate")
    assert failed["type"] == "Warning"
    assert failed["count"] == 1
    assert failed["message"].startswith("Error creating: Pod ")
    (condition,) = get_rc(registry)["status"]["conditions"]
    assert (condition["type"], condition["status"], condition["reason"]) == (
        "ReplicaFailure",
        "True",
        "FailedCreate",
    )
    assert "must be a 32bit integer" in condition["message"]


@pytest.mark.django_db(transaction=True)
def test_the_failure_condition_goes_once_creating_works_again(registry: Registry) -> None:
    ensure_system_namespaces(registry)
    broken = rc(replicas=2)
    annotations = broken["spec"]["template"]["metadata"]["annotations"]
    annotations["controller.kubernetes.io/pod-deletion-cost"] = "lots"
    registry.create(RCS, NS, broken)
    with pytest.raises(Invalid):
        MANAGER.reconcile("default/web", registry)

    def repair(obj: Object) -> Object:
        obj["spec"]["template"]["metadata"]["annotations"] = {}
        return obj

    registry.update(RCS, NS, "web", repair)
    MANAGER.reconcile("default/web", registry)

    assert len(pods(registry)) == 2
    assert "conditions" not in get_rc(registry)["status"]


@pytest.mark.django_db(transaction=True)
def test_nothing_is_created_in_a_namespace_being_deleted_and_that_is_no_error(
    registry: Registry,
) -> None:
    ensure_system_namespaces(registry)
    create_rc(registry, replicas=3)
    assert NAMESPACES is not None
    registry.delete(NAMESPACES, None, NS, DeleteOptions())  # now Terminating

    MANAGER.reconcile("default/web", registry)

    assert pods(registry) == []
    assert "conditions" not in get_rc(registry)["status"]
