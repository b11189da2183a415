"""Which Services a change concerns: the EndpointSlice controller's ``keys_for``."""

from __future__ import annotations

import copy

import pytest

from cluster.registry.bootstrap import ensure_system_namespaces
from cluster.registry.reconcile import Change
from cluster.registry.registry import Registry
from cluster.registry.vocabulary import Object
from tests.controllers.endpointskit import create_pod, create_service
from tests.controllers.endpointsliceskit import CONTROLLER, slices, sync

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _services(registry: Registry) -> None:
    ensure_system_namespaces(registry)
    create_service(registry, "web", selector={"app": "web"})
    create_service(registry, "db", selector={"app": "db"})


class ServicesSeen:
    """The dispatcher's cache, holding the Services it was given."""

    def __init__(self, *services: Object) -> None:
        self.services = list(services)

    def objects(self, kind: str, namespace: str) -> list[Object]:
        assert kind == "Service"
        return [s for s in self.services if s["metadata"]["namespace"] == namespace]


def keys(change: Change, registry: Registry) -> list[str]:
    return sorted(CONTROLLER.keys_for(change, registry))


def test_a_relabelled_pod_concerns_the_services_of_its_old_and_new_labels(
    registry: Registry,
) -> None:
    old = create_pod(registry, "a", ip="10.244.0.5", labels={"app": "web"})
    new = copy.deepcopy(old)
    new["metadata"]["labels"] = {"app": "db"}
    assert keys(Change("MODIFIED", "Pod", new, old), registry) == ["default/db", "default/web"]


def test_a_pod_starting_to_terminate_concerns_its_services(registry: Registry) -> None:
    old = create_pod(registry, "a", ip="10.244.0.5", labels={"app": "web"})
    new = copy.deepcopy(old)
    new["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    assert keys(Change("MODIFIED", "Pod", new, old), registry) == ["default/web"]


def test_a_pod_without_an_address_concerns_no_service(registry: Registry) -> None:
    pod = create_pod(registry, "a", labels={"app": "web"})
    assert keys(Change("ADDED", "Pod", pod), registry) == []


def test_the_dispatchers_cache_answers_instead_of_the_registry(registry: Registry) -> None:
    pod = create_pod(registry, "a", ip="10.244.0.5", labels={"app": "cache"})
    cached = {
        "metadata": {"name": "cached", "namespace": "default"},
        "spec": {"selector": {"app": "cache"}},
    }
    change = Change("ADDED", "Pod", pod, cache=ServicesSeen(cached))
    assert keys(change, registry) == ["default/cached"]


def test_a_managed_slice_changed_or_deleted_concerns_its_service(registry: Registry) -> None:
    create_pod(registry, "a", ip="10.244.0.5", labels={"app": "web"})
    sync(registry)
    (managed,) = slices(registry)
    assert keys(Change("ADDED", "EndpointSlice", managed), registry) == []
    for type_ in ("MODIFIED", "DELETED"):
        assert keys(Change(type_, "EndpointSlice", managed), registry) == ["default/web"]
    foreign = copy.deepcopy(managed)
    del foreign["metadata"]["labels"]["endpointslice.kubernetes.io/managed-by"]
    assert keys(Change("DELETED", "EndpointSlice", foreign), registry) == []


def test_the_resync_looks_at_every_service(registry: Registry) -> None:
    assert sorted(CONTROLLER.resync_keys(registry)) == ["default/db", "default/web"]
