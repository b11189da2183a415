"""Two workers reconciling one RC at once never over-create, under the runtime's lock.

Each "worker" here is a thread that does what ``cluster.controlplane.tasks.reconcile`` does
with a key: take the per-(reconciler, key) lock through ``registry.locks`` (or, if another
holder has it, look again shortly), run the reconcile, give the lock up. The threads start
together, so both try to work on the key at the same moment. The last test runs the same two
reconciles without the lock, to show that the race is real and the lock is what prevents it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from django.db import connections

from cluster.registry.bootstrap import ensure_system_namespaces
from cluster.registry.registry import Registry
from tests.controllers.replicationkit import (
    MANAGER,
    active_pods,
    create_rc,
    events,
    set_replicas,
)

pytestmark = pytest.mark.django_db(transaction=True)

KEY = "default/web"
LOCK = f"{MANAGER.name}:{KEY}"


@pytest.fixture(autouse=True)
def _namespaces(registry: Registry) -> None:
    ensure_system_namespaces(registry)


def locked_reconcile(registry: Registry, holder: str) -> None:
    """One message's worth of work, as the runtime does it: under the key's lock."""
    for _ in range(1000):  # bounded: a holder finishes in well under ten seconds
        if registry.locks.acquire(LOCK, holder=holder, ttl=120):
            try:
                MANAGER.reconcile(KEY, registry)
            finally:
                registry.locks.release(LOCK, holder=holder)
            return
        time.sleep(0.01)
    raise AssertionError("the lock was never free")


def together(*work: Callable[[], object]) -> None:
    """Run ``work`` on threads released at the same instant; re-raise the first failure."""
    start = threading.Barrier(len(work))
    failures: list[BaseException] = []

    def run(call: Callable[[], object]) -> None:
        try:
            start.wait(5)
            call()
        except BaseException as exc:  # reported to the test below
            failures.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(call,)) for call in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not any(t.is_alive() for t in threads)
    if failures:
        raise failures[0]


def test_two_workers_on_one_key_create_each_missing_pod_once(registry: Registry) -> None:
    create_rc(registry, replicas=20)

    together(
        lambda: locked_reconcile(registry, "worker-1"),
        lambda: locked_reconcile(registry, "worker-2"),
    )

    assert len(active_pods(registry)) == 20
    assert len(events(registry, "SuccessfulCreate")) == 20


def test_two_workers_on_one_key_delete_each_surplus_pod_once(registry: Registry) -> None:
    create_rc(registry, replicas=12)
    MANAGER.reconcile(KEY, registry)
    set_replicas(registry, 5)

    together(
        lambda: locked_reconcile(registry, "worker-1"),
        lambda: locked_reconcile(registry, "worker-2"),
    )

    assert len(active_pods(registry)) == 5
    assert len(events(registry, "SuccessfulDelete")) == 7


def test_scaling_while_two_workers_race_never_overshoots(registry: Registry) -> None:
    create_rc(registry, replicas=0)
    for replicas in (4, 9, 3, 12):
        set_replicas(registry, replicas)
        together(
            lambda: locked_reconcile(registry, "worker-1"),
            lambda: locked_reconcile(registry, "worker-2"),
            lambda: locked_reconcile(registry, "worker-3"),
        )
        assert len(active_pods(registry)) == replicas


def test_without_the_lock_the_same_race_over_creates(registry: Registry) -> None:
    create_rc(registry, replicas=20)

    together(lambda: MANAGER.reconcile(KEY, registry), lambda: MANAGER.reconcile(KEY, registry))

    assert len(active_pods(registry)) > 20
