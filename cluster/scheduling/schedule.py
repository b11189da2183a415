"""One scheduling pass: every pending pod it can place, in a few reads and a few commits.

A pass reads the pending pods, the nodes and the bound pods once, builds the cluster view in
memory (``nodes.cluster_view``) and lets the batch planner decide the pending pods against
it, in queue order, a chunk at a time as their writes are handed to one of a few threads
(``writers``): the chunk's bindings in one store transaction and their Events in another, the
Unschedulable condition of each pod that fits nowhere on its own. While
it works, more pods may arrive (a ReplicationController scaling up creates them one by one), so
it lists the pending pods again and carries on with the ones it has not seen, on the same
in-memory view (built again only if a node changed meanwhile), until none are new.

A pass is bounded in time: past its deadline it stops between two writes and asks the
runtime to look again at once (``Outcome(requeue_after=0)``), so one pass never holds the
scheduler's lock for long and a fresh pass re-reads the cluster. Pods not yet decided are
left for the next pass, which lists them again.
"""

from __future__ import annotations

import logging
import math
import time
from collections import Counter
from collections.abc import Iterator
from functools import partial

from cluster.registry.catalog import RESOURCES
from cluster.registry.reconcile import DONE, Outcome
from cluster.registry.registry import Registry
from cluster.scheduling.actions import DecisionWriter
from cluster.scheduling.batch import Planner
from cluster.scheduling.nodes import cluster_view
from cluster.scheduling.queue import PendingPod, list_bound, list_pending
from cluster.scheduling.writers import Write, run_writes

log = logging.getLogger(__name__)


class SchedulingPass:
    """Places pending pods until none are new or ``seconds`` have gone by."""

    def __init__(self, registry: Registry, *, seconds: float, writers: int, chunk: int) -> None:
        self.registry = registry
        self.chunk = chunk
        self.pods = RESOURCES.of_kind("Pod")
        self.writer = DecisionWriter(registry)
        self.deadline = time.monotonic() + seconds
        self.writers = writers
        self.planner: Planner | None = None
        self.node_versions: dict[str, object] = {}
        self.seen: set[str] = set()
        self.outcomes: Counter[str] = Counter()

    def run(self) -> Outcome:
        started = time.monotonic()
        try:
            while True:
                batch = self._unseen()
                if not batch:
                    return DONE
                # Pods that keep arriving, each listing's few fitting in one batch of writes
                # that the deadline never cuts, must not keep one pass going for ever.
                out_of_time = bool(self.outcomes) and time.monotonic() >= self.deadline
                if out_of_time or not self._schedule(batch):
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
        """The in-memory view, built again (bound pods too) whenever a node changed since it
        was built: a node added, cordoned or tainted during a long pass counts for the pods
        that arrive after it, as kube-scheduler's snapshot is refreshed every cycle. The
        earlier batches' writes have all finished by then, so the new view holds them."""
        nodes = self.registry.list(RESOURCES.of_kind("Node"), None).items
        versions = {n["metadata"]["name"]: n["metadata"].get("resourceVersion") for n in nodes}
        if self.planner is None or versions != self.node_versions:
            self.node_versions = versions
            self.planner = Planner(cluster_view(nodes, list_bound(self.registry, self.pods)))
        return self.planner

    def _schedule(self, batch: list[PendingPod]) -> bool:
        """Decide and write ``batch``; False if the deadline cut it short."""
        planner = self._view()
        threads = min(self.writers, math.ceil(len(batch) / self.chunk))
        outcomes, finished = run_writes(
            self._writes(planner, batch), threads=threads, deadline=self.deadline
        )
        self.outcomes += outcomes
        self.seen.update(pod.uid for pod in batch)
        return finished

    def _writes(self, planner: Planner, batch: list[PendingPod]) -> Iterator[Write]:
        """The writes of ``batch``, decided chunk by chunk as they are handed out: each chunk's
        bindings together, each unschedulable pod on its own."""
        for start in range(0, len(batch), self.chunk):
            placed: list[tuple[PendingPod, str]] = []
            for pod in batch[start : start + self.chunk]:
                decision = planner.place(pod.placement, pod.demand)
                if decision.node is None:
                    yield partial(self._mark_unschedulable, pod, decision.message)
                else:
                    placed.append((pod, decision.node))
            if placed:
                yield partial(self.writer.bind_all, placed)

    def _mark_unschedulable(self, pod: PendingPod, message: str) -> str:
        return "unschedulable" if self.writer.mark_unschedulable(pod, message) else "unchanged"
