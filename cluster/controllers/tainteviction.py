"""Which pods a node's NoExecute taints evict, and when: kube's taint eviction rules.

A NoExecute taint repels pods already running on a node. A pod that does not tolerate every
NoExecute taint of its node goes at once. One that does stays for the shortest
``tolerationSeconds`` among the tolerations it uses (zero or less: no time at all; none given:
forever). Kube's taint manager counts that time from when it saw the taint, in memory; here it
counts from the taint's ``timeAdded``, which is stored, so any worker reaches the same verdict.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from cluster.controllers.nodehealth import parse_time
from cluster.registry.vocabulary import Object

NO_EXECUTE = "NoExecute"
AT_ONCE = datetime.min.replace(tzinfo=UTC)
"""The eviction time of a pod that does not tolerate its node's taints."""


def tolerates(toleration: dict[str, Any], taint: dict[str, Any]) -> bool:
    """Kube's ``ToleratesTaint``: effect, key, then operator and value."""
    effect = toleration.get("effect")
    if effect and effect != taint.get("effect"):
        return False
    key = toleration.get("key")
    if key and key != taint.get("key"):
        return False
    operator = toleration.get("operator") or "Equal"
    if operator == "Exists":
        return True
    return operator == "Equal" and (toleration.get("value") or "") == (taint.get("value") or "")


def no_execute_taints(node: Object) -> list[dict[str, Any]]:
    taints = (node.get("spec") or {}).get("taints")
    if not isinstance(taints, list):
        return []
    return [t for t in taints if isinstance(t, dict) and t.get("effect") == NO_EXECUTE]


def _tolerations(pod: Object) -> list[dict[str, Any]]:
    found = (pod.get("spec") or {}).get("tolerations")
    return [t for t in found if isinstance(t, dict)] if isinstance(found, list) else []


def eviction_time(pod: Object, taints: list[dict[str, Any]]) -> datetime | None:
    """When ``pod`` must leave a node with these NoExecute taints: ``AT_ONCE``, a time, or None.

    Each taint is tolerated by the pod's first toleration that matches it, as in kube's
    ``GetMatchingTolerations``; the pod's time on the node ends at the earliest of
    ``timeAdded + tolerationSeconds`` over the taints whose toleration is bounded.
    """
    tolerations = _tolerations(pod)
    deadline: datetime | None = None
    for taint in taints:
        used = next((t for t in tolerations if tolerates(t, taint)), None)
        if used is None:
            return AT_ONCE
        seconds = used.get("tolerationSeconds")
        if not isinstance(seconds, int) or isinstance(seconds, bool):
            continue
        added = parse_time(taint.get("timeAdded")) or AT_ONCE
        ends = added if seconds <= 0 else added + timedelta(seconds=seconds)
        deadline = ends if deadline is None else min(deadline, ends)
    return deadline
