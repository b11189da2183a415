"""The Unschedulable message, exactly as kube-scheduler words and orders it."""

from __future__ import annotations

from collections import Counter

from cluster.scheduling.messages import fit_error


def test_the_reasons_are_counted_over_the_nodes() -> None:
    reasons = Counter({"node(s) were unschedulable": 1, "Insufficient cpu": 2})

    assert fit_error(3, reasons) == (
        "0/3 nodes are available: 1 node(s) were unschedulable, 2 Insufficient cpu."
    )


def test_the_counted_reasons_are_sorted_as_strings() -> None:
    reasons = {
        "node(s) didn't match Pod's node affinity/selector": 2,
        "Insufficient memory": 10,
        "Insufficient cpu": 2,
        "node(s) had untolerated taint(s)": 1,
    }

    assert fit_error(15, reasons) == (
        "0/15 nodes are available: 1 node(s) had untolerated taint(s), 10 Insufficient memory, "
        "2 Insufficient cpu, 2 node(s) didn't match Pod's node affinity/selector."
    )


def test_without_nodes_kube_says_there_are_none() -> None:
    assert fit_error(0, {}) == "no nodes available to schedule pods"
