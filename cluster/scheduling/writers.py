"""The writes of a scheduling pass, on a few threads at once.

Once the planner has decided, each pod's writes (its binding and Scheduled Event, or its
Unschedulable condition and Warning) are independent of every other pod's: the accounting is
already done in memory, and each write is its own compare-and-swap. A write here may also be
a batch of pods' writes (the pass hands bindings out in batches). Each one spends most of
its time waiting for the database, so a few threads, each with its own connection, overlap
those waits (the GIL is released while a thread waits on PostgreSQL). Writes are handed out
in order, one at a time under a lock; they may be produced lazily (the pass decides each
pod as its write is handed out), so that when the deadline comes at most one decision has
been made in vain.

A deadline stops the hand-out between two writes (at least one write is always made, so a
pass always progresses); the caller learns how far it got. The first error a write raises
stops the others and is raised again in the calling thread. Each thread closes its database
connections when it ends, returning them to the pool.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor

from django.db import connections

Write = Callable[[], str | Counter[str]]
"""One pod's writes, or a batch of pods' writes; returns what came of them ("bound",
"unschedulable"...: one, or a count of each), for the log."""


class _Handout:
    """Hands out writes in order until they run out, the deadline passes, or one fails."""

    def __init__(self, writes: Iterable[Write], deadline: float) -> None:
        self._writes: Iterator[Write] = iter(writes)
        self._deadline = deadline
        self._lock = threading.Lock()
        self.started = 0
        self.outcomes: Counter[str] = Counter()
        self.cut = False
        self.failed = False

    def next(self) -> Write | None:
        with self._lock:
            if self.failed or self.cut:
                return None
            write = next(self._writes, None)
            if write is not None and self.started and time.monotonic() >= self._deadline:
                self.cut = True
                return None
            self.started += write is not None
            return write

    def record(self, outcome: str | Counter[str]) -> None:
        with self._lock:
            if isinstance(outcome, str):
                self.outcomes[outcome] += 1
            else:
                self.outcomes += outcome

    def fail(self) -> None:
        with self._lock:
            self.failed = True


def _drain(handout: _Handout) -> None:
    try:
        while True:
            try:
                write = handout.next()
                if write is None:
                    return
                handout.record(write())
            except BaseException:
                handout.fail()
                raise
    finally:
        connections.close_all()


def run_writes(
    writes: Iterable[Write], *, threads: int, deadline: float
) -> tuple[Counter[str], bool]:
    """Run ``writes`` on ``threads`` threads; return their outcomes and whether all ran."""
    handout = _Handout(writes, deadline)
    with ThreadPoolExecutor(threads, thread_name_prefix="scheduler-writes") as pool:
        futures = [pool.submit(_drain, handout) for _ in range(threads)]
    for future in futures:
        future.result()
    return handout.outcomes, not handout.cut
