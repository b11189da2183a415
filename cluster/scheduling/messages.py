"""The message an unschedulable pod gets, worded and ordered exactly as kube-scheduler's.

Kube's ``FitError`` counts the reasons over every node, prints each as ``"<count> <reason>"``,
sorts those strings (as strings: "10 Insufficient cpu" sorts before "2 Insufficient memory")
and joins them: ``0/3 nodes are available: 1 node(s) were unschedulable, 2 Insufficient
cpu.`` With no node at all it says so instead. Preemption is not implemented, so the
PostFilter part kube appends ("preemption: ...") never appears.
"""

from __future__ import annotations

from collections.abc import Mapping

NO_NODES = "no nodes available to schedule pods"


def fit_error(total_nodes: int, reasons: Mapping[str, int]) -> str:
    """The message for a pod that fits none of ``total_nodes`` nodes, given reason counts."""
    if total_nodes == 0:
        return NO_NODES
    message = f"0/{total_nodes} nodes are available:"
    histogram = sorted(f"{count} {reason}" for reason, count in reasons.items() if count)
    if histogram:
        message += " " + ", ".join(histogram) + "."
    return message
