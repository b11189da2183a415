"""Placing a whole batch of pods in one pass, fast: equivalence classes and lazy heaps.

kube-scheduler filters and scores every node for every pod. In Python, 10,000 pods on 1,000
nodes that way is ten million filter calls; instead the planner groups pods into classes:

- pods with the same ``Placement`` (node selector, required affinity, tolerations) pass the
  static filters on the same nodes, so those run once per placement;
- pods that also have the same ``Demand`` (requests and controller) score every node alike,
  so each such class keeps one max-heap of its feasible nodes, keyed by (score, node name).

Placing a pod changes only the node it lands on (its ``version`` goes up). Every score only
falls as a node fills (``scores``), so a heap entry computed at an older version is an upper
bound of the node's current score: the planner pops the top, and if it is stale recomputes it
(dropping the node if the pod no longer fits; nothing is freed during a pass) and pushes it
back, until the top is current. That top is the best node, with ties broken by name, exactly
as a full scan would choose, at a cost of a few heap operations per pod.

A class whose heap runs dry is unschedulable for the rest of the pass; its message counts,
in kube's words, why each node refused it at that moment.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from cluster.scheduling.filters import (
    Placement,
    fit_reasons,
    fits,
    static_reason,
    untolerated_preferences,
)
from cluster.scheduling.messages import fit_error
from cluster.scheduling.nodes import NodeInfo
from cluster.scheduling.resources import Demand
from cluster.scheduling.scores import score


@dataclass(frozen=True)
class Decision:
    """Where a pod goes (``node``), or why it goes nowhere (``message``)."""

    node: str | None
    message: str = ""


@dataclass
class _Feasible:
    """The nodes that pass the static filters for one placement, and why the others fail."""

    preferences: dict[str, int]
    """Feasible node name -> PreferNoSchedule taints it has that the pod does not tolerate."""
    reasons: Counter[str]


@dataclass
class _Class:
    feasible: _Feasible
    heap: list[tuple[int, str, int]] = field(default_factory=list)
    """(-score, node name, node version when scored)."""
    message: str | None = None


def _entry(demand: Demand, node: NodeInfo, *, preferences: int) -> tuple[int, str, int]:
    return (-score(demand, node, untolerated_preferences=preferences), node.name, node.version)


class Planner:
    """Assigns pods to ``nodes`` one after another, keeping the nodes' accounting in memory."""

    def __init__(self, nodes: Iterable[NodeInfo]) -> None:
        self.nodes = {node.name: node for node in nodes}
        self._feasible: dict[Placement, _Feasible] = {}
        self._classes: dict[tuple[Placement, Demand], _Class] = {}

    def place(self, placement: Placement, demand: Demand) -> Decision:
        """The best node for one more pod, now accounted on it; or why there is none."""
        if not self.nodes:
            return Decision(None, fit_error(0, {}))
        group = self._class(placement, demand)
        if group.message is not None:
            return Decision(None, group.message)
        heap = group.heap
        while heap:
            _, name, version = heap[0]
            node = self.nodes[name]
            if version == node.version:
                node.add(demand)
                return Decision(name)
            if fits(demand, node):
                heapq.heapreplace(
                    heap, _entry(demand, node, preferences=group.feasible.preferences[name])
                )
            else:
                heapq.heappop(heap)
        group.message = self._diagnose(group.feasible, demand)
        return Decision(None, group.message)

    def _static(self, placement: Placement) -> _Feasible:
        feasible = self._feasible.get(placement)
        if feasible is None:
            feasible = _Feasible({}, Counter())
            for node in self.nodes.values():
                reason = static_reason(placement, node)
                if reason is None:
                    feasible.preferences[node.name] = untolerated_preferences(placement, node)
                else:
                    feasible.reasons[reason] += 1
            self._feasible[placement] = feasible
        return feasible

    def _class(self, placement: Placement, demand: Demand) -> _Class:
        group = self._classes.get((placement, demand))
        if group is None:
            feasible = self._static(placement)
            group = _Class(feasible)
            for name, prefs in feasible.preferences.items():
                node = self.nodes[name]
                if fits(demand, node):
                    group.heap.append(_entry(demand, node, preferences=prefs))
            heapq.heapify(group.heap)
            self._classes[(placement, demand)] = group
        return group

    def _diagnose(self, feasible: _Feasible, demand: Demand) -> str:
        reasons = Counter(feasible.reasons)
        for name in feasible.preferences:
            reasons.update(fit_reasons(demand, self.nodes[name]))
        return fit_error(len(self.nodes), reasons)
