"""A pass's writes run on a few threads, in order, until they run out or the deadline comes."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator

import pytest

from cluster.scheduling.writers import Write, run_writes

LATER = time.monotonic() + 3600


def test_every_write_runs_once_and_its_outcome_is_counted() -> None:
    ran: list[int] = []
    lock = threading.Lock()

    def write(n: int) -> Write:
        def run() -> str:
            with lock:
                ran.append(n)
            return "even" if n % 2 == 0 else "odd"

        return run

    outcomes, finished = run_writes([write(n) for n in range(50)], threads=4, deadline=LATER)

    assert finished
    assert sorted(ran) == list(range(50))
    assert outcomes == Counter(even=25, odd=25)


def test_past_the_deadline_one_write_still_runs_and_the_rest_wait() -> None:
    produced: list[int] = []

    def lazily() -> Iterator[Write]:
        for n in range(10):
            produced.append(n)
            yield lambda: "done"

    outcomes, finished = run_writes(lazily(), threads=3, deadline=0.0)

    assert (outcomes, finished) == (Counter(done=1), False)
    assert produced == [0, 1]  # the one that ran, and the one that showed more were waiting


def test_writes_that_all_ran_are_finished_even_past_the_deadline() -> None:
    assert run_writes([lambda: "done"], threads=2, deadline=0.0) == (Counter(done=1), True)
    assert run_writes([], threads=2, deadline=0.0) == (Counter(), True)


def test_a_failing_write_stops_the_others_and_its_error_reaches_the_caller() -> None:
    ran: list[int] = []

    def write(n: int) -> Write:
        def run() -> str:
            if n == 3:
                raise RuntimeError("database went away")
            ran.append(n)
            return "done"

        return run

    with pytest.raises(RuntimeError, match="database went away"):
        run_writes([write(n) for n in range(100)], threads=1, deadline=LATER)

    assert ran == [0, 1, 2]
