"""Beat's housekeeping tasks: store compaction and the expiry of old Events."""

from __future__ import annotations

import pytest
from django.test import override_settings

from cluster.controlplane.tasks import compact_store, expire_events
from cluster.registry.bootstrap import ensure_system_namespaces
from cluster.registry.catalog import RESOURCES, default_registry
from cluster.registry.vocabulary import Object

pytestmark = pytest.mark.django_db(transaction=True)

EVENTS = RESOURCES.by_kind("", "Event")


def event(name: str, last: str) -> Object:
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": name, "namespace": "default"},
        "involvedObject": {"kind": "Pod", "name": "web", "namespace": "default"},
        "reason": "Started",
        "message": "Started container",
        "type": "Normal",
        "firstTimestamp": last,
        "lastTimestamp": last,
    }


def test_events_older_than_the_ttl_are_deleted() -> None:
    assert EVENTS is not None
    registry = default_registry()
    ensure_system_namespaces(registry)
    registry.create(EVENTS, "default", event("old", "2020-01-01T00:00:00Z"))
    registry.create(EVENTS, "default", event("fresh", "2999-01-01T00:00:00Z"))
    with override_settings(CLUSTER_EVENT_TTL_SECONDS=3600):
        assert expire_events() == 1
    names = [e["metadata"]["name"] for e in registry.list(EVENTS, "default").items]
    assert names == ["fresh"]


def test_compaction_keeps_only_the_window() -> None:
    registry = default_registry()
    ensure_system_namespaces(registry)
    current = registry.store.current_revision()
    with override_settings(CLUSTER_STORE_COMPACTION_WINDOW_SECONDS=3600):
        assert compact_store() < current
    with override_settings(CLUSTER_STORE_COMPACTION_WINDOW_SECONDS=0):
        assert compact_store() == current
    assert registry.store.compacted_revision() == current
