"""Many API calls at once, started slowly: kube's ``slowStartBatch``.

A controller that must create hundreds of pods makes the calls in batches of 1, 2, 4, ...; the
calls of one batch run together, and a batch in which a call fails is the last. So a call that
can never succeed (a template the API rejects, an exhausted quota) fails once, not hundreds of
times, while calls that work soon run many at a time.

The calls run on a few threads. Each thread's database connections are closed when its call
ends, which hands them back to the process's connection pool before the thread goes away.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from django.db import connections

from cluster.registry.errors import StoreError

T = TypeVar("T")

# Calls of one batch in flight at once; well under a worker's database pool (20 connections).
PARALLEL_CALLS = 8


def _on_own_connection(call: Callable[[], T]) -> T:
    try:
        return call()
    finally:
        # This thread's database connections go back to the pool before the thread does.
        connections.close_all()


def in_parallel(calls: list[Callable[[], T]]) -> list[T]:
    """The results of ``calls``, run together on up to ``PARALLEL_CALLS`` threads."""
    if len(calls) <= 1:
        return [call() for call in calls]
    with ThreadPoolExecutor(max_workers=min(len(calls), PARALLEL_CALLS)) as pool:
        futures = [pool.submit(_on_own_connection, call) for call in calls]
        return [future.result() for future in futures]


def slow_start(count: int, call: Callable[[], T | StoreError]) -> tuple[list[T], StoreError | None]:
    """Make ``count`` calls in batches of 1, 2, 4, ... (kube's slowStartBatch); a batch in which
    a call fails is the last. The successes, and the first failure."""
    done: list[T] = []
    remaining = count
    batch = min(remaining, 1)
    while batch > 0:
        results = in_parallel([call] * batch)
        done += [r for r in results if not isinstance(r, StoreError)]
        errors = [r for r in results if isinstance(r, StoreError)]
        if errors:
            return done, errors[0]
        remaining -= batch
        batch = min(2 * batch, remaining)
    return done, None
