"""What the ReplicationController manager reports in an RC's ``status``.

kube's ``calculateStatus``: ``replicas`` counts the RC's active pods; ``fullyLabeledReplicas``
those carrying every label of the template (the selector may ask for fewer);
``readyReplicas`` the ready ones; ``availableReplicas`` those ready for ``minReadySeconds``;
``observedGeneration`` the generation acted on. A failure to create or delete sets the
``ReplicaFailure`` condition, which stays, with the first failure's words, until a reconcile
gets through without one. Zero counts and an empty condition list are left out, as kube's
JSON leaves them out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cluster.controllers.activepods import is_available, is_ready
from cluster.registry.errors import StoreError
from cluster.registry.vocabulary import Object

REPLICA_FAILURE = "ReplicaFailure"


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _labels(obj: Object) -> dict[str, Any]:
    return _mapping(_mapping(obj.get("metadata")).get("labels"))


@dataclass(frozen=True)
class Failure:
    """Why a reconcile could not reach ``spec.replicas``: a ReplicaFailure condition's words."""

    reason: str  # FailedCreate or FailedDelete
    error: StoreError


def replica_status(
    rc: Object, pods: list[Object], failure: Failure | None, now: datetime
) -> dict[str, Any]:
    """The status of ``rc`` whose active pods are ``pods``, as of ``now``."""
    spec = _mapping(rc.get("spec"))
    template_labels = _labels(_mapping(spec.get("template")))
    min_ready = int(spec.get("minReadySeconds") or 0)
    ready = [p for p in pods if is_ready(p)]
    counts = {
        "fullyLabeledReplicas": sum(
            1 for p in pods if all(_labels(p).get(k) == v for k, v in template_labels.items())
        ),
        "readyReplicas": len(ready),
        "availableReplicas": sum(1 for p in ready if is_available(p, min_ready, now)),
        "observedGeneration": int(_mapping(rc.get("metadata")).get("generation") or 0),
    }
    status = dict(rc.get("status") or {})
    status["replicas"] = len(pods)
    for field, value in counts.items():
        if value:
            status[field] = value
        else:
            status.pop(field, None)
    conditions = _conditions(status.get("conditions"), failure, now)
    if conditions:
        status["conditions"] = conditions
    else:
        status.pop("conditions", None)
    return status


def _conditions(existing: Any, failure: Failure | None, now: datetime) -> list[Any]:
    conditions = list(existing) if isinstance(existing, list) else []
    current = [c for c in conditions if isinstance(c, dict) and c.get("type") == REPLICA_FAILURE]
    if failure is None:
        return [c for c in conditions if c not in current]
    if current:
        return conditions  # kube keeps the first failure's words until it clears
    return [
        *conditions,
        {
            "type": REPLICA_FAILURE,
            "status": "True",
            "lastTransitionTime": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "reason": failure.reason,
            "message": str(failure.error),
        },
    ]
