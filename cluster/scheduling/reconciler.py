"""The scheduler as a reconciler: kube-scheduler's role on the control plane's runtime.

Unlike the controllers, which reconcile one object per key, the scheduler works in batches
under a single key, ``pending``: every change that can matter to a waiting pod (a pending
pod appears or changes, a node appears or changes what the filters read, a bound pod goes
away or terminates; see ``queue``) maps to it, the dispatcher collapses a burst of them into
one message, and one reconcile is one scheduling pass over every pending pod
(``schedule.SchedulingPass``). The runtime's per-key lock makes
passes run one at a time, so the in-memory accounting of a pass is never raced by another
scheduler; the store's compare-and-swap on binding guards against anyone else.
"""

from __future__ import annotations

from collections.abc import Iterable

from cluster.registry.reconcile import Change, Outcome
from cluster.registry.registry import Registry
from cluster.scheduling.queue import node_change_matters, pod_change_matters
from cluster.scheduling.schedule import SchedulingPass

KEY = "pending"
PASS_SECONDS = 10.0
WRITERS = 2
CHUNK = 100
"""Pods bound per store transaction: each costs one commit (a log flush) instead of a hundred,
while the revision counter is held for a few milliseconds, not long enough to stall the
other writers."""


class Scheduler:
    name = "scheduler"
    kinds: tuple[str, ...] = ("Pod", "Node")

    def __init__(
        self, *, pass_seconds: float = PASS_SECONDS, writers: int = WRITERS, chunk: int = CHUNK
    ) -> None:
        self.pass_seconds = pass_seconds
        self.writers = writers
        self.chunk = chunk

    def keys_for(self, change: Change, registry: Registry) -> Iterable[str]:
        matters = node_change_matters if change.kind == "Node" else pod_change_matters
        return (KEY,) if matters(change) else ()

    def resync_keys(self, registry: Registry) -> Iterable[str]:
        return (KEY,)

    def reconcile(self, key: str, registry: Registry) -> Outcome:
        return SchedulingPass(
            registry, seconds=self.pass_seconds, writers=self.writers, chunk=self.chunk
        ).run()
