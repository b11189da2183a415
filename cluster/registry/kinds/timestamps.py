"""Timestamps as kube's two wire types read and print them.

``metav1.Time`` is RFC 3339 and is printed in UTC to the second ("2024-05-01T10:00:00Z"), so
any fraction a client sends is dropped. ``metav1.MicroTime`` (events' ``eventTime``, leases'
``renewTime``) must carry exactly six fractional digits and is printed in UTC with them.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from cluster.registry.errors import Cause, invalid

_RFC3339 = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
TIME_PROBLEM = 'must be an RFC 3339 date-time, e.g. "2006-01-02T15:04:05Z"'
MICRO_TIME_PROBLEM = (
    'must be an RFC 3339 date-time with microseconds, e.g. "2006-01-02T15:04:05.000000Z"'
)


def _parse(value: Any, *, micro: bool) -> datetime | None:
    match = _RFC3339.match(value) if isinstance(value, str) else None
    if match is None:
        return None
    seconds, fraction, zone = match.groups()
    if micro and (fraction is None or len(fraction) != 7):
        return None
    digits = (fraction or ".0")[1:7].ljust(6, "0")
    try:
        parsed = datetime.fromisoformat(f"{seconds}.{digits}{'+00:00' if zone == 'Z' else zone}")
    except ValueError:
        return None
    return parsed.astimezone(UTC)


def normalize_time(value: Any) -> Any:
    """A ``metav1.Time`` as kube stores it, or the value unchanged if it does not parse."""
    parsed = _parse(value, micro=False)
    return value if parsed is None else parsed.strftime("%Y-%m-%dT%H:%M:%SZ")


def normalize_micro_time(value: Any) -> Any:
    parsed = _parse(value, micro=True)
    return value if parsed is None else parsed.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def time_causes(value: Any, path: str) -> list[Cause]:
    if value is None or _parse(value, micro=False) is not None:
        return []
    return [invalid(path, value, TIME_PROBLEM)]


def micro_time_causes(value: Any, path: str) -> list[Cause]:
    if value is None or _parse(value, micro=True) is not None:
        return []
    return [invalid(path, value, MICRO_TIME_PROBLEM)]
