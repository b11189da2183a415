"""Expiring named locks (``cluster.store.locks``) on both backends."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from django.db import connections

from cluster.store.locks import Locks
from cluster.store.sql import SqlStore
from tests.conftest import STORE_DB

pytestmark = STORE_DB


def test_a_lock_is_refused_to_another_holder_until_released(store: SqlStore) -> None:
    locks = Locks(store.using)
    assert locks.acquire("rc:default/web", holder="a", ttl=30)
    assert not locks.acquire("rc:default/web", holder="b", ttl=30)
    locks.release("rc:default/web", holder="a")
    assert locks.acquire("rc:default/web", holder="b", ttl=30)


def test_the_holder_may_renew_its_lock(store: SqlStore) -> None:
    locks = Locks(store.using)
    assert locks.acquire("k", holder="a", ttl=30)
    assert locks.acquire("k", holder="a", ttl=30)
    assert not locks.acquire("k", holder="b", ttl=30)


def test_an_expired_lock_can_be_taken_over(store: SqlStore) -> None:
    locks = Locks(store.using)
    assert locks.acquire("k", holder="crashed", ttl=0.05)
    time.sleep(0.1)
    assert locks.acquire("k", holder="b", ttl=30)
    # The old holder's late release must not free the new holder's lock.
    locks.release("k", holder="crashed")
    assert not locks.acquire("k", holder="c", ttl=30)


def test_locks_on_different_names_are_independent(store: SqlStore) -> None:
    locks = Locks(store.using)
    assert locks.acquire("a", holder="x", ttl=30)
    assert locks.acquire("b", holder="y", ttl=30)


def test_exactly_one_of_many_concurrent_takers_wins(store: SqlStore) -> None:
    locks = Locks(store.using)

    def take(holder: int) -> bool:
        try:
            return locks.acquire("contended", holder=str(holder), ttl=30)
        finally:
            connections[store.using].close()

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(take, range(16)))
    assert results.count(True) == 1


def test_a_mark_reaches_the_holder_on_release(store: SqlStore) -> None:
    locks = Locks(store.using)
    assert locks.acquire("k", holder="a", ttl=30)
    assert locks.mark_dirty("k")
    assert locks.acquire("k", holder="a", ttl=30)  # a renewal keeps the mark
    assert locks.release("k", holder="a")
    assert locks.acquire("k", holder="b", ttl=30)
    assert not locks.release("k", holder="b")


def test_a_free_or_expired_lock_cannot_be_marked(store: SqlStore) -> None:
    locks = Locks(store.using)
    assert not locks.mark_dirty("nobody-holds-it")
    assert locks.acquire("k", holder="crashed", ttl=0.01)
    time.sleep(0.05)
    assert not locks.mark_dirty("k")
    assert locks.acquire("k", holder="b", ttl=30)
    assert not locks.release("k", holder="b")


KEPT_TTL = 1.0  # renewed every third of it: a test fails only if three renewals in a row lag


def test_renew_extends_only_a_lock_still_held_by_that_holder(store: SqlStore) -> None:
    locks = Locks(store.using)
    assert not locks.renew("k", holder="a", ttl=30)
    assert locks.acquire("k", holder="a", ttl=30)
    assert locks.renew("k", holder="a", ttl=30)
    assert not locks.renew("k", holder="b", ttl=30)


def test_a_kept_lock_outlives_its_time_to_live_while_its_holder_works(store: SqlStore) -> None:
    locks = Locks(store.using)
    assert locks.acquire("k", holder="a", ttl=KEPT_TTL)
    with locks.kept("k", holder="a", ttl=KEPT_TTL):
        time.sleep(2.5 * KEPT_TTL)
        assert not locks.acquire("k", holder="b", ttl=30)
    locks.release("k", holder="a")
    assert locks.acquire("k", holder="b", ttl=30)


def test_a_lock_nobody_keeps_any_more_expires_after_its_time_to_live(store: SqlStore) -> None:
    locks = Locks(store.using)
    assert locks.acquire("k", holder="dead", ttl=KEPT_TTL)
    with locks.kept("k", holder="dead", ttl=KEPT_TTL):
        pass
    # Its holder neither renews nor releases it, as when the holder's process has died.
    time.sleep(1.5 * KEPT_TTL)
    assert locks.acquire("k", holder="b", ttl=30)


def test_renewals_never_bring_back_a_lock_released_while_kept(store: SqlStore) -> None:
    locks = Locks(store.using)
    assert locks.acquire("k", holder="a", ttl=KEPT_TTL)
    with locks.kept("k", holder="a", ttl=KEPT_TTL):
        locks.release("k", holder="a")
        time.sleep(KEPT_TTL)  # renewals fall due meanwhile
        assert locks.acquire("k", holder="b", ttl=30)
