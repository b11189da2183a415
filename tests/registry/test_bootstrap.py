"""The system namespaces exist from the first start, and starting again changes nothing."""

from __future__ import annotations

import pytest

from cluster.registry.bootstrap import SYSTEM_NAMESPACES, ensure_system_namespaces
from cluster.registry.registry import Registry

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_first_start_creates_the_four_system_namespaces_active(registry: Registry) -> None:
    assert ensure_system_namespaces(registry) == list(SYSTEM_NAMESPACES)

    listed = registry.store.list("Namespace")
    assert [(n["metadata"]["name"], n["status"]["phase"]) for n in listed.items] == [
        ("default", "Active"),
        ("kube-node-lease", "Active"),
        ("kube-public", "Active"),
        ("kube-system", "Active"),
    ]


def test_a_second_start_creates_nothing_and_writes_nothing(registry: Registry) -> None:
    ensure_system_namespaces(registry)
    revision = registry.store.current_revision()

    assert ensure_system_namespaces(registry) == []
    assert registry.store.current_revision() == revision
