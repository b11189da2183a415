"""Binding is compare-and-swap: a pod is never bound twice, and a lost race skips the pod."""

from __future__ import annotations

import pytest

from cluster.registry.bootstrap import ensure_system_namespaces
from cluster.registry.errors import Conflict
from cluster.registry.registry import DeleteOptions, Registry
from cluster.registry.subresources import bind_pod
from cluster.scheduling.actions import DecisionWriter
from cluster.scheduling.queue import pending_pod
from tests.scheduling.schedulingkit import (
    NS,
    PODS,
    bind,
    create_node,
    create_pod,
    events,
    get_pod,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _namespaces(registry: Registry) -> None:
    ensure_system_namespaces(registry)
    create_node(registry, "n1")
    create_node(registry, "n2")


def test_a_pod_bound_meanwhile_is_skipped_and_keeps_its_node(registry: Registry) -> None:
    seen = pending_pod(create_pod(registry, "web"))
    bind(registry, "web", node="n2")  # someone else won

    assert DecisionWriter(registry).bind(seen, "n1") is False

    assert get_pod(registry, "web")["spec"]["nodeName"] == "n2"
    assert events(registry, "Scheduled") == []


def test_a_pod_replaced_under_the_same_name_is_not_bound_by_mistake(registry: Registry) -> None:
    seen = pending_pod(create_pod(registry, "web"))
    registry.delete(PODS, NS, "web", DeleteOptions())
    create_pod(registry, "web")

    assert DecisionWriter(registry).bind(seen, "n1") is False

    assert "nodeName" not in get_pod(registry, "web")["spec"]


def test_a_pod_deleted_meanwhile_is_skipped(registry: Registry) -> None:
    seen = pending_pod(create_pod(registry, "web"))
    registry.delete(PODS, NS, "web", DeleteOptions())

    assert DecisionWriter(registry).bind(seen, "n1") is False


def test_a_binding_that_names_another_uid_is_refused(registry: Registry) -> None:
    create_pod(registry, "web")
    binding = {"metadata": {"name": "web", "uid": "not-the-pod"}, "target": {"name": "n1"}}

    with pytest.raises(Conflict, match="Precondition failed: UID in precondition: not-the-pod"):
        bind_pod(registry, NS, "web", binding)

    assert "nodeName" not in get_pod(registry, "web")["spec"]


def test_a_binding_with_the_pods_uid_binds_it(registry: Registry) -> None:
    uid = create_pod(registry, "web")["metadata"]["uid"]
    binding = {"metadata": {"name": "web", "uid": uid}, "target": {"name": "n1"}}

    assert bind_pod(registry, NS, "web", binding)["spec"]["nodeName"] == "n1"
