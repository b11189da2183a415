"""The scores: among the nodes that pass the filters, which one a pod goes to.

Three node-local scores, each from 0 to 100, weighted as kube-scheduler's default profile
weighs the plugins they stand for:

- least allocated (NodeResourcesFit, weight 1): kube's ``LeastAllocated`` over CPU and
  memory, counting non-zero requests, with the pod itself included;
- spread (PodTopologySpread, weight 2): ``100 // (1 + n)`` where ``n`` is the number of pods
  of the same controller already on the node. Kube normalises its spreading score over all
  nodes; a node-local penalty gives the same preference (fewer siblings first) and lets the
  batch planner keep scores in a heap, because a node's score then changes only when a pod
  lands on that very node;
- taint preference (TaintToleration, weight 3): the same shape over the node's
  PreferNoSchedule taints the pod does not tolerate.

Every score only falls as pods are added to a node, which the planner relies on. Equal totals
are broken by node name, so the same cluster always gives the same placement.
"""

from __future__ import annotations

from cluster.scheduling.nodes import NodeInfo
from cluster.scheduling.resources import CPU, MEMORY, Demand

MAX_SCORE = 100
LEAST_ALLOCATED_WEIGHT = 1
SPREAD_WEIGHT = 2
TAINT_PREFERENCE_WEIGHT = 3


def least_requested(requested: int, capacity: int) -> int:
    """Kube's ``leastRequestedScore``: the share of ``capacity`` left, 0..100, rounded down."""
    if capacity == 0 or requested > capacity:
        return 0
    return (capacity - requested) * MAX_SCORE // capacity


def least_allocated(demand: Demand, node: NodeInfo) -> int:
    cpu = least_requested(node.non_zero_cpu + demand.non_zero_cpu, node.allocatable.get(CPU, 0))
    memory = least_requested(
        node.non_zero_memory + demand.non_zero_memory, node.allocatable.get(MEMORY, 0)
    )
    return (cpu + memory) // 2


def decay(count: int) -> int:
    """100 for none, then 50, 33, 25... for one, two, three of something unwelcome."""
    return MAX_SCORE // (1 + count)


def spread(demand: Demand, node: NodeInfo) -> int:
    if not demand.controller:
        return MAX_SCORE
    return decay(node.controllers.get(demand.controller, 0))


def score(demand: Demand, node: NodeInfo, *, untolerated_preferences: int) -> int:
    """The weighted total for ``demand`` on ``node``."""
    return (
        LEAST_ALLOCATED_WEIGHT * least_allocated(demand, node)
        + SPREAD_WEIGHT * spread(demand, node)
        + TAINT_PREFERENCE_WEIGHT * decay(untolerated_preferences)
    )
