"""Which pods a controller counts, when they are ready and available, and which it deletes first.

These are kube's ``controller_utils`` rules for pods, as the ReplicationController manager
(``replication.py``) applies them: a pod that is being deleted or has terminated is not
active and counts for nothing; a ready pod is available once it has been ready for
``minReadySeconds``; on scale-down, the pods that cost least to lose go first
(``ActivePodsWithRanks``). Pure functions of pod objects, so they are tested without a store.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cluster.registry.vocabulary import Object

TERMINATED_PHASES = ("Succeeded", "Failed")
DELETION_COST_ANNOTATION = "controller.kubernetes.io/pod-deletion-cost"
# kube's podPhaseToOrdinal: a pod that is further along is worth more. Others count as Pending.
_PHASE_ORDINAL = {"Pending": 0, "Unknown": 1, "Running": 2}


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def parse_time(value: Any) -> datetime | None:
    """An RFC 3339 timestamp as stored (``2024-05-01T10:00:00Z``), or None if absent or bad."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def is_active(pod: Object) -> bool:
    """kube's IsPodActive: not terminated and not being deleted."""
    phase = _mapping(pod.get("status")).get("phase")
    deleting = _mapping(pod.get("metadata")).get("deletionTimestamp")
    return phase not in TERMINATED_PHASES and not deleting


def _ready_condition(pod: Object) -> dict[str, Any]:
    for condition in _list(_mapping(pod.get("status")).get("conditions")):
        if isinstance(condition, dict) and condition.get("type") == "Ready":
            return condition
    return {}


def is_ready(pod: Object) -> bool:
    return _ready_condition(pod).get("status") == "True"


def ready_since(pod: Object) -> datetime | None:
    """When a ready pod last became ready; None if it is not ready or does not say."""
    condition = _ready_condition(pod)
    if condition.get("status") != "True":
        return None
    return parse_time(condition.get("lastTransitionTime"))


def is_available(pod: Object, min_ready_seconds: int, now: datetime) -> bool:
    """kube's IsPodAvailable: ready, and (when ``min_ready_seconds``) ready for that long."""
    if not is_ready(pod):
        return False
    if min_ready_seconds <= 0:
        return True
    since = ready_since(pod)
    return since is not None and since.timestamp() + min_ready_seconds < now.timestamp()


def seconds_until_available(pod: Object, min_ready_seconds: int, now: datetime) -> float | None:
    """How long until a ready pod becomes available; None if it already is or never will be."""
    since = ready_since(pod)
    if since is None or is_available(pod, min_ready_seconds, now):
        return None
    return max(0.0, since.timestamp() + min_ready_seconds - now.timestamp())


def _deletion_cost(pod: Object) -> int:
    value = _mapping(_mapping(pod.get("metadata")).get("annotations")).get(DELETION_COST_ANNOTATION)
    try:
        return int(value) if isinstance(value, str) else 0
    except ValueError:
        return 0


def _max_restarts(pod: Object) -> tuple[int, int]:
    """The highest restart count of the regular containers, then of the sidecars."""
    status = _mapping(pod.get("status"))
    sidecars = {
        c.get("name")
        for c in _list(_mapping(pod.get("spec")).get("initContainers"))
        if isinstance(c, dict) and c.get("restartPolicy") == "Always"
    }
    regular = [
        int(s.get("restartCount") or 0)
        for s in _list(status.get("containerStatuses"))
        if isinstance(s, dict)
    ]
    sidecar = [
        int(s.get("restartCount") or 0)
        for s in _list(status.get("initContainerStatuses"))
        if isinstance(s, dict) and s.get("name") in sidecars
    ]
    return max(regular, default=0), max(sidecar, default=0)


def _newest_first(moment: datetime | None) -> tuple[int, float]:
    """kube's afterOrZero as a sort key: no time first, then the later time first."""
    return (0, 0.0) if moment is None else (1, -moment.timestamp())


def _deletion_rank(pod: Object) -> tuple[Any, ...]:
    meta = _mapping(pod.get("metadata"))
    ready = is_ready(pod)
    regular, sidecar = _max_restarts(pod)
    return (
        bool(_mapping(pod.get("spec")).get("nodeName")),  # unscheduled first
        _PHASE_ORDINAL.get(str(_mapping(pod.get("status")).get("phase")), 0),
        ready,  # not ready first
        _deletion_cost(pod),  # cheaper first
        # Only two ready pods are compared by ready time: the key above has already put
        # every not-ready pod before every ready one.
        _newest_first(ready_since(pod)) if ready else (0, 0.0),
        -regular,  # more restarts first
        -sidecar,
        _newest_first(parse_time(meta.get("creationTimestamp"))),
        str(meta.get("uid") or ""),  # a stable order for the rest
    )


def in_deletion_order(pods: list[Object]) -> list[Object]:
    """``pods`` with the ones to delete first in front, as kube's ActivePodsWithRanks sorts them.

    Unscheduled before scheduled; Pending before Unknown before Running; not ready before
    ready; lower ``pod-deletion-cost`` first; ready more recently first; more container
    restarts first; created more recently first. Kube ranks the newest by logarithmic age
    buckets (LogarithmicScaleDown) and also prefers pods doubled up on a node with pods of
    sibling controllers (ones that share the RC's own controller); both are left out here, so
    the newest pod really is deleted first; and no built-in kind controls an RC, so an RC
    rarely has such siblings.
    """
    return sorted(pods, key=_deletion_rank)
