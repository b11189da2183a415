"""``kubectl get events`` (core/v1): LAST SEEN TYPE REASON OBJECT MESSAGE, and SUBOBJECT
SOURCE FIRST SEEN COUNT NAME for ``-o wide``.

LAST SEEN falls back to the first sighting, and both to the ``eventTime`` of events written
through the newer events API; an event series has the last word on LAST SEEN and COUNT.
"""

from __future__ import annotations

from dataclasses import replace

from cluster.api.printers.common import since
from cluster.api.tables import NAME, Cell, Column, Printer
from cluster.registry.vocabulary import Object

COLUMNS = (
    Column(
        "Last Seen",
        description="The time at which the most recent occurrence of this event was recorded.",
    ),
    Column(
        "Type",
        description="Type of this event (Normal, Warning), new types could be added in the future",
    ),
    Column(
        "Reason",
        description="This should be a short, machine understandable string that gives the "
        "reason for the transition into the object's current status.",
    ),
    Column("Object", description="The object that this event is about."),
    Column(
        "Subobject",
        priority=1,
        description="If referring to a piece of an object instead of an entire object, this "
        "string should contain a valid JSON/Go field access statement, such as "
        "desiredState.manifest.containers[2].",
    ),
    Column("Source", priority=1, description="The component reporting this event."),
    Column("Message", description="A human-readable description of the status of this operation."),
    Column("First Seen", priority=1, description="The time at which the event was first recorded."),
    Column("Count", priority=1, description="The number of times this event has occurred."),
    replace(NAME, priority=1),
)


def _source(event: Object) -> str:
    """kube's formatEventSource: ``component, host``, from reporting* when source is empty."""
    source = event.get("source") or {}
    component = source.get("component") or event.get("reportingComponent") or ""
    host = source.get("host") or event.get("reportingInstance") or ""
    return f"{component}, {host}" if host else component


def _involved_object(event: Object) -> str:
    involved = event.get("involvedObject") or {}
    kind = str(involved.get("kind", "")).lower()
    return f"{kind}/{involved['name']}" if involved.get("name") else kind


def event_cells(event: Object) -> list[Cell]:
    first_seen = since(event.get("firstTimestamp") or event.get("eventTime"))
    last_seen = since(event["lastTimestamp"]) if event.get("lastTimestamp") else first_seen
    count = event.get("count", 0)
    series = event.get("series")
    if series is not None:
        last_seen = since(series.get("lastObservedTime"))
        count = series.get("count", 0)
    elif count == 0:
        count = 1  # a singleton event written through the events API has no count
    return [
        last_seen,
        event.get("type", ""),
        event.get("reason", ""),
        _involved_object(event),
        (event.get("involvedObject") or {}).get("fieldPath", ""),
        _source(event),
        str(event.get("message", "")).strip(),
        first_seen,
        count,
        (event.get("metadata") or {}).get("name", ""),
    ]


EVENT: Printer = Printer(COLUMNS, event_cells)
