"""One reconcile attempt (``run_reconcile``): locking, retries and requeues."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

import pytest

from cluster.controlplane import tasks
from cluster.controlplane.tasks import backoff, run_reconcile
from cluster.registry.errors import Conflict
from cluster.registry.reconcile import Change, Outcome
from cluster.registry.registry import Registry

pytestmark = pytest.mark.django_db(transaction=True)


class Recording:
    """A reconciler that records its calls and does what it is told (logic test double)."""

    name = "recording"
    kinds: tuple[str, ...] = ("Pod",)

    def __init__(self, *, raises: Exception | None = None, outcome: Outcome | None = None) -> None:
        self.raises = raises
        self.outcome = outcome or Outcome()
        self.calls: list[str] = []
        self.lock_held_during_call: list[bool] = []
        self.registry: Registry | None = None

    def keys_for(self, change: Change, registry: Registry) -> Iterable[str]:
        return ()

    def resync_keys(self, registry: Registry) -> Iterable[str]:
        return ()

    def reconcile(self, key: str, registry: Registry) -> Outcome:
        self.calls.append(key)
        # Whether another worker would be kept out right now.
        self.lock_held_during_call.append(
            not registry.locks.acquire(f"{self.name}:{key}", holder="other", ttl=5)
        )
        if self.raises is not None:
            raise self.raises
        return self.outcome


Install = Callable[[Recording], Recording]


@pytest.fixture
def use(monkeypatch: pytest.MonkeyPatch) -> Install:
    """Make ``reconciler`` the only one the runtime knows."""

    def install(reconciler: Recording) -> Recording:
        monkeypatch.setattr(tasks, "reconcilers", lambda: {reconciler.name: reconciler})
        return reconciler

    return install


def test_it_reconciles_under_the_key_lock_and_frees_it(registry: Registry, use: Install) -> None:
    reconciler = use(Recording())
    step = run_reconcile("recording", "ns/a", retries=0, registry=registry)
    assert reconciler.calls == ["ns/a"]
    assert reconciler.lock_held_during_call == [True]
    assert step == tasks.Next()
    assert registry.locks.acquire("recording:ns/a", holder="after", ttl=5)


def test_a_busy_key_is_left_to_its_holder_marked_dirty(registry: Registry, use: Install) -> None:
    reconciler = use(Recording())
    assert registry.locks.acquire("recording:ns/a", holder="someone", ttl=30)
    step = run_reconcile("recording", "ns/a", retries=3, registry=registry)
    assert reconciler.calls == []
    assert step == tasks.Next()
    # The holder learns on release that it must look again.
    assert registry.locks.release("recording:ns/a", holder="someone")


def test_a_key_marked_dirty_while_reconciling_is_looked_at_again(
    registry: Registry, use: Install
) -> None:
    class Interrupted(Recording):
        def reconcile(self, key: str, registry: Registry) -> Outcome:
            # Another message for this key arrives meanwhile.
            assert run_reconcile("recording", key, retries=0, registry=registry) == tasks.Next()
            return super().reconcile(key, registry)

    use(Interrupted())
    step = run_reconcile("recording", "ns/a", retries=0, registry=registry)
    assert step.requeue_in == 0.0


def test_an_expired_lock_is_taken_over_not_marked(registry: Registry, use: Install) -> None:
    reconciler = use(Recording())
    assert registry.locks.acquire("recording:ns/a", holder="crashed", ttl=0.01)
    time.sleep(0.05)
    assert run_reconcile("recording", "ns/a", retries=0, registry=registry) == tasks.Next()
    assert reconciler.calls == ["ns/a"]


def test_a_conflict_is_retried_with_growing_backoff(registry: Registry, use: Install) -> None:
    use(Recording(raises=Conflict("the object has been modified")))
    first = run_reconcile("recording", "ns/a", retries=0, registry=registry)
    later = run_reconcile("recording", "ns/a", retries=4, registry=registry)
    assert first.retry_in == backoff(0)
    assert later.retry_in == backoff(4)
    assert later.retry_in > first.retry_in
    # The lock was released although the reconcile failed.
    assert registry.locks.acquire("recording:ns/a", holder="after", ttl=5)


def test_a_failure_is_retried_and_logged(
    registry: Registry, use: Install, caplog: pytest.LogCaptureFixture
) -> None:
    use(Recording(raises=RuntimeError("database went away")))
    step = run_reconcile("recording", "ns/a", retries=0, registry=registry)
    assert step.retry_in is not None
    assert "recording ns/a failed; retrying" in caplog.text


def test_a_requeue_request_is_passed_on(registry: Registry, use: Install) -> None:
    use(Recording(outcome=Outcome(requeue_after=7.5)))
    assert run_reconcile("recording", "x", retries=0, registry=registry).requeue_in == 7.5


def test_an_unknown_reconciler_is_dropped(registry: Registry, use: Install) -> None:
    use(Recording())
    assert run_reconcile("nobody", "x", retries=0, registry=registry) == tasks.Next()


def test_backoff_doubles_up_to_its_cap() -> None:
    assert [backoff(n, base=0.1, cap=1.0) for n in range(6)] == [0.1, 0.2, 0.4, 0.8, 1.0, 1.0]


class Slow(Recording):
    """Works for longer than the lock's time to live, then checks it still holds the lock."""

    name = "slow"

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds = seconds

    def reconcile(self, key: str, registry: Registry) -> Outcome:
        time.sleep(self.seconds)
        return super().reconcile(key, registry)


def test_a_reconcile_longer_than_the_lock_ttl_keeps_its_key_to_the_end(
    registry: Registry, use: Install, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Short enough that a worker that died would free its keys soon; renewed while working.
    monkeypatch.setattr(tasks, "LOCK_TTL_SECONDS", 1.0)
    reconciler = use(Slow(seconds=2.5))

    step = run_reconcile("slow", "ns/a", retries=0, registry=registry)

    assert reconciler.lock_held_during_call == [True]
    assert step == tasks.Next()
    assert registry.locks.acquire("slow:ns/a", holder="after", ttl=5)
