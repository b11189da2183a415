"""One scheduling pass: every pending pod it can place, in a few reads and one write per pod.

A pass reads the pending pods, the nodes and the bound pods once, builds the cluster view in
memory (``nodes.cluster_view``) and lets the batch planner decide the pending pods against
it, in queue order, each as its writes are handed to one of a few threads (``writers``): a
binding and its Event for each placed pod, the Unschedulable condition for the others. While
it works, more pods may arrive (a ReplicationController scaling up creates them one by one), so
it lists the pending pods again and carries on with the ones it has not seen, on the same
in-memory view, until none are new.

A pass is bounded in time: past its deadline it stops between two writes and asks the
runtime to look again at once (``Outcome(requeue_after=0)``), so one pass never holds the
scheduler's lock for long and a fresh pass re-reads the cluster. Pods not yet decided are
left for the next pass, which lists them again.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from functools import partial

from cluster.registry.catalog import RESOURCES
from cluster.registry.reconcile import DONE, Outcome
from cluster.registry.registry import Registry
from cluster.scheduling.actions import DecisionWriter
from cluster.scheduling.batch import Decision, Planner
from cluster.scheduling.nodes import cluster_view
from cluster.scheduling.queue import PendingPod, list_bound, list_pending
from cluster.scheduling.writers import Write, run_writes

log = logging.getLogger(__name__)


class SchedulingPass:
    """Places pending pods until none are new or ``seconds`` have gone by."""

    def __init__(self, registry: Registry, *, seconds: float, writers: int) -> None:
        self.registry = registry
        self.pods = RESOURCES.of_kind("Pod")
        self.writer = DecisionWriter(registry)
        self.deadline = time.monotonic() + seconds
        self.writers = writers
        self.planner: Planner | None = None
        self.seen: set[str] = set()
        self.outcomes: Counter[str] = Counter()

    def run(self) -> Outcome:
        started = time.monotonic()
        try:
            while True:
                batch = self._unseen()
                if not batch:
                    return DONE
                if not self._schedule(batch):
                    return Outcome(requeue_after=0)
        finally:
            if self.outcomes:
                log.info(
                    "scheduler: pass decided %d pods: %d bound, %d lost to another writer, "
                    "%d newly unschedulable, %d still unschedulable; %.2f s",
                    self.outcomes.total(),
                    self.outcomes["bound"],
                    self.outcomes["lost"],
                    self.outcomes["unschedulable"],
                    self.outcomes["unchanged"],
                    time.monotonic() - started,
                )

    def _unseen(self) -> list[PendingPod]:
        return [p for p in list_pending(self.registry, self.pods) if p.uid not in self.seen]

    def _view(self) -> Planner:
        if self.planner is None:
            nodes = self.registry.list(RESOURCES.of_kind("Node"), None).items
            self.planner = Planner(cluster_view(nodes, list_bound(self.registry, self.pods)))
        return self.planner

    def _schedule(self, batch: list[PendingPod]) -> bool:
        """Decide and write ``batch``; False if the deadline cut it short."""
        planner = self._view()
        writes = (self._write(pod, planner.place(pod.placement, pod.demand)) for pod in batch)
        threads = min(self.writers, len(batch))
        outcomes, finished = run_writes(writes, threads=threads, deadline=self.deadline)
        self.outcomes += outcomes
        self.seen.update(pod.uid for pod in batch)
        return finished

    def _write(self, pod: PendingPod, decision: Decision) -> Write:
        if decision.node is not None:
            return partial(self._bind, pod, decision.node)
        return partial(self._mark_unschedulable, pod, decision.message)

    def _bind(self, pod: PendingPod, node: str) -> str:
        return "bound" if self.writer.bind(pod, node) else "lost"

    def _mark_unschedulable(self, pod: PendingPod, message: str) -> str:
        return "unschedulable" if self.writer.mark_unschedulable(pod, message) else "unchanged"
