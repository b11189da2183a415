"""Kubernetes' time formats: ``Time`` (RFC 3339, seconds), ``MicroTime``, and the RFC 3339
with nanoseconds that prefixes each line of ``kubectl logs --timestamps``."""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    return datetime.now(UTC)


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def micro_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def nano_time(moment: datetime) -> str:
    """A log line's stamp as Docker writes it: nine digits of fraction, always (Python's
    clock gives microseconds, so the last three are zeros)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f000Z")


def parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
