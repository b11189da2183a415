"""Status: what the manager reports about an RC's pods, written only when it changed.

``replicas`` counts the active pods the RC controls; ``fullyLabeledReplicas`` those that carry
every template label (the selector may ask for fewer); ``readyReplicas`` the ready ones;
``availableReplicas`` those ready for ``minReadySeconds``; ``observedGeneration`` the spec
generation acted on. Zero counts are left out, as kube's JSON leaves them out.
"""

from __future__ import annotations

import pytest

from cluster.registry.bootstrap import ensure_system_namespaces
from cluster.registry.reconcile import DONE
from cluster.registry.registry import DeleteOptions, Registry
from tests.controllers.replicationkit import (
    MANAGER,
    NS,
    PODS,
    RCS,
    ago,
    bind,
    create_rc,
    get_rc,
    pod,
    pods,
    report,
    set_replicas,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _namespaces(registry: Registry) -> None:
    ensure_system_namespaces(registry)


def pod_names(registry: Registry) -> list[str]:
    return sorted(p["metadata"]["name"] for p in pods(registry))


def run_ready(registry: Registry, name: str, *, since: str) -> None:
    bind(registry, name)
    report(registry, name, ready=True, ready_since=since)


def test_a_new_rc_reports_its_new_pods_and_the_generation_it_saw(registry: Registry) -> None:
    create_rc(registry, replicas=3)

    MANAGER.reconcile("default/web", registry)

    assert get_rc(registry)["status"] == {
        "replicas": 3,
        "fullyLabeledReplicas": 3,
        "observedGeneration": 1,
    }


def test_ready_and_available_pods_are_counted(registry: Registry) -> None:
    create_rc(registry, replicas=3)
    MANAGER.reconcile("default/web", registry)
    first, second, _ = pod_names(registry)
    run_ready(registry, first, since=ago(60))
    run_ready(registry, second, since=ago(60))

    MANAGER.reconcile("default/web", registry)

    status = get_rc(registry)["status"]
    assert (status["replicas"], status["readyReplicas"], status["availableReplicas"]) == (3, 2, 2)


def test_a_pod_becomes_available_after_min_ready_seconds_and_is_looked_at_then(
    registry: Registry,
) -> None:
    create_rc(registry, replicas=2, minReadySeconds=30)
    MANAGER.reconcile("default/web", registry)
    veteran, newcomer = pod_names(registry)
    run_ready(registry, veteran, since=ago(100))
    run_ready(registry, newcomer, since=ago(10))

    outcome = MANAGER.reconcile("default/web", registry)

    status = get_rc(registry)["status"]
    assert (status["readyReplicas"], status["availableReplicas"]) == (2, 1)
    assert outcome.requeue_after is not None
    assert 18 <= outcome.requeue_after <= 21  # about 30 - 10 seconds from now


def test_pods_lacking_a_template_label_are_not_fully_labelled(registry: Registry) -> None:
    create_rc(registry, replicas=2, labels={"app": "web", "tier": "front"}, selector={"app": "web"})
    registry.create(PODS, NS, pod("partial", labels={"app": "web"}))

    MANAGER.reconcile("default/web", registry)

    status = get_rc(registry)["status"]
    assert (status["replicas"], status["fullyLabeledReplicas"]) == (2, 1)


def test_observed_generation_follows_spec_changes(registry: Registry) -> None:
    create_rc(registry, replicas=1)
    MANAGER.reconcile("default/web", registry)
    set_replicas(registry, 2)

    MANAGER.reconcile("default/web", registry)

    rc = get_rc(registry)
    assert rc["metadata"]["generation"] == 2
    assert rc["status"]["observedGeneration"] == 2


def test_status_is_not_written_when_nothing_changed(registry: Registry) -> None:
    create_rc(registry, replicas=2)
    MANAGER.reconcile("default/web", registry)
    version = get_rc(registry)["metadata"]["resourceVersion"]

    assert MANAGER.reconcile("default/web", registry) == DONE

    assert get_rc(registry)["metadata"]["resourceVersion"] == version


def test_an_rc_being_deleted_creates_nothing_but_still_reports(registry: Registry) -> None:
    create_rc(registry, replicas=2)
    MANAGER.reconcile("default/web", registry)
    set_replicas(registry, 5)
    registry.delete(RCS, NS, "web", DeleteOptions())  # orphan finalizer: it stays, marked
    first, _ = pod_names(registry)
    run_ready(registry, first, since=ago(60))

    MANAGER.reconcile("default/web", registry)

    assert len(pods(registry)) == 2
    status = get_rc(registry)["status"]
    assert (status["replicas"], status["readyReplicas"], status["observedGeneration"]) == (2, 1, 2)
