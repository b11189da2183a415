"""Helpers shared by the printers: kube's timestamp, label and container formatting."""

from __future__ import annotations

from datetime import UTC, datetime

from cluster.api.tables import Cell, human_duration
from cluster.registry.vocabulary import Object

NONE = "<none>"
UNKNOWN = "<unknown>"


def parse_time(timestamp: str) -> datetime:
    """An RFC 3339 time as kube writes them (``metav1.Time`` and ``metav1.MicroTime``)."""
    return datetime.fromisoformat(timestamp)


def duration_since(when: datetime) -> str:
    return human_duration((datetime.now(UTC) - when).total_seconds())


def since(timestamp: str | None) -> str:
    """kube's translateTimestampSince: how long ago, or ``<unknown>`` when unset."""
    return duration_since(parse_time(timestamp)) if timestamp else UNKNOWN


def format_labels(labels: dict[str, str] | None) -> str:
    """kube's labels.FormatLabels: ``a=1,b=2`` sorted by key, ``<none>`` when empty."""
    return ",".join(f"{k}={v}" for k, v in sorted((labels or {}).items())) or NONE


def container_cells(containers: list[Object]) -> list[Cell]:
    """kube's layoutContainerCells: the CONTAINERS and IMAGES cells of a pod template."""
    names = ",".join(c.get("name", "") for c in containers)
    images = ",".join(c.get("image", "") for c in containers)
    return [names, images]


def spec_of(obj: Object) -> Object:
    return obj.get("spec") or {}


def status_of(obj: Object) -> Object:
    return obj.get("status") or {}


def condition_true(conditions: list[Object], condition_type: str) -> bool:
    """Whether the first condition of ``condition_type`` has status True."""
    for condition in conditions:
        if condition.get("type") == condition_type:
            return bool(condition.get("status") == "True")
    return False
