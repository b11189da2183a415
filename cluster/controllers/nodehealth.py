"""When a node counts as lost, and what its status says then: kube's ``tryUpdateNodeHealth``.

A node shows it is alive in two ways: its agent renews the node's Lease in ``kube-node-lease``
and posts status whose Ready condition carries a ``lastHeartbeatTime``. The newer of the two
(or the node's creation, if it never gave either) is its last sign of life. Once that is older
than the grace period, nobody vouches for what the status says any more, so the node lifecycle
controller turns the conditions the kubelet owns to Unknown. These are the pure rules; the
controller (``nodelifecycle.py``) reads and writes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from cluster.registry.vocabulary import Object

NODE_LEASE_NAMESPACE = "kube-node-lease"
READY = "Ready"
# The conditions a kubelet reports, which go Unknown together when it falls silent.
KUBELET_CONDITIONS = (READY, "MemoryPressure", "DiskPressure", "PIDPressure")
UNKNOWN_REASON = "NodeStatusUnknown"
UNKNOWN_MESSAGE = "Kubelet stopped posting node status."
NEVER_REASON = "NodeStatusNeverUpdated"
NEVER_MESSAGE = "Kubelet never posted node status."


def parse_time(value: Any) -> datetime | None:
    """An RFC 3339 ``Time`` or ``MicroTime`` as an aware UTC datetime; None if it is not one."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return None
    return parsed.astimezone(UTC)


def format_time(moment: datetime) -> str:
    """A ``metav1.Time``: UTC, to the second."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def conditions_of(node: Object) -> list[dict[str, Any]]:
    status = node.get("status")
    found = status.get("conditions") if isinstance(status, dict) else None
    return [c for c in found if isinstance(c, dict)] if isinstance(found, list) else []


def condition(node: Object, type_: str) -> dict[str, Any] | None:
    return next((c for c in conditions_of(node) if c.get("type") == type_), None)


def ready_status(node: Object) -> str:
    """The Ready condition's status: "True", "False", or "Unknown" (also when it is missing)."""
    ready = condition(node, READY)
    status = ready.get("status") if ready is not None else None
    return status if status in ("True", "False") else "Unknown"


def last_sign_of_life(node: Object, lease: Object | None) -> datetime | None:
    """The newest of the Ready heartbeat, the Lease renewal and the node's creation."""
    ready = condition(node, READY) or {}
    renewed = (lease or {}).get("spec") or {}
    moments = [
        parse_time(ready.get("lastHeartbeatTime")),
        parse_time(renewed.get("renewTime") if isinstance(renewed, dict) else None),
        parse_time((node.get("metadata") or {}).get("creationTimestamp")),
    ]
    known = [moment for moment in moments if moment is not None]
    return max(known) if known else None


def is_silent(node: Object, lease: Object | None, *, now: datetime, grace: float) -> bool:
    """Whether the node's last sign of life is older than ``grace`` seconds."""
    last = last_sign_of_life(node, lease)
    return last is not None and now - last > timedelta(seconds=grace)


def mark_unknown(node: Object, now: datetime) -> bool:
    """Turn the kubelet's conditions Unknown in place; whether anything changed.

    A condition that is already Unknown keeps its reason and transition time; a missing one
    is added as never reported, with the node's creation as its heartbeat, as kube does.
    """
    status = node.get("status")
    if not isinstance(status, dict):
        status = node["status"] = {}
    if not isinstance(status.get("conditions"), list):
        status["conditions"] = []
    conditions: list[Any] = status["conditions"]
    stamp = format_time(now)
    changed = False
    for type_ in KUBELET_CONDITIONS:
        current = condition(node, type_)
        if current is None:
            created = (node.get("metadata") or {}).get("creationTimestamp")
            conditions.append(
                {
                    "type": type_,
                    "status": "Unknown",
                    "reason": NEVER_REASON,
                    "message": NEVER_MESSAGE,
                    "lastHeartbeatTime": created,
                    "lastTransitionTime": stamp,
                }
            )
            changed = True
        elif current.get("status") != "Unknown":
            current["status"] = "Unknown"
            current["reason"] = UNKNOWN_REASON
            current["message"] = UNKNOWN_MESSAGE
            current["lastTransitionTime"] = stamp
            changed = True
    return changed
