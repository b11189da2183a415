"""Which Services a change concerns: the endpoints controller's ``keys_for`` and resync."""

from __future__ import annotations

import copy

import pytest

from cluster.registry.bootstrap import ensure_system_namespaces
from cluster.registry.reconcile import Change
from cluster.registry.registry import Registry
from cluster.registry.vocabulary import Object
from tests.controllers.endpointskit import CONTROLLER, create_pod, create_service, report

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _services(registry: Registry) -> None:
    ensure_system_namespaces(registry)
    create_service(registry, "web", selector={"app": "web"})
    create_service(registry, "web-canary", selector={"app": "web", "track": "canary"})
    create_service(registry, "db", selector={"app": "db"})
    create_service(registry, "manual", selector=None)


def relabelled(pod: Object, labels: dict[str, str]) -> Object:
    changed = copy.deepcopy(pod)
    changed["metadata"]["labels"] = labels
    return changed


def keys(change: Change, registry: Registry) -> list[str]:
    return sorted(CONTROLLER.keys_for(change, registry))


def test_a_service_change_concerns_that_service(registry: Registry) -> None:
    service = create_service(registry, "api")
    for type_ in ("ADDED", "MODIFIED", "DELETED"):
        assert keys(Change(type_, "Service", service), registry) == ["default/api"]


def test_a_new_pod_concerns_the_services_selecting_it(registry: Registry) -> None:
    pod = create_pod(registry, "a", ip="10.244.0.5", labels={"app": "web", "track": "canary"})
    assert keys(Change("ADDED", "Pod", pod), registry) == ["default/web", "default/web-canary"]


def test_a_relabelled_pod_concerns_the_services_of_its_old_and_new_labels(
    registry: Registry,
) -> None:
    old = create_pod(registry, "a", ip="10.244.0.5", labels={"app": "web"})
    new = relabelled(old, {"app": "db"})
    assert keys(Change("MODIFIED", "Pod", new, old), registry) == ["default/db", "default/web"]


def test_a_deleted_pod_concerns_the_services_that_selected_it(registry: Registry) -> None:
    pod = create_pod(registry, "a", ip="10.244.0.5", labels={"app": "db"})
    assert keys(Change("DELETED", "Pod", pod, pod), registry) == ["default/db"]


def test_a_pod_becoming_ready_concerns_its_services(registry: Registry) -> None:
    old = create_pod(registry, "a", ip="10.244.0.5", ready=False, labels={"app": "db"})
    new = report(registry, "a", ip="10.244.0.5", ready=True)
    assert keys(Change("MODIFIED", "Pod", new, old), registry) == ["default/db"]


def test_a_pod_without_an_address_concerns_no_service(registry: Registry) -> None:
    pending = create_pod(registry, "a", labels={"app": "web"})
    relabelled_pending = relabelled(pending, {"app": "db"})
    assert keys(Change("ADDED", "Pod", pending), registry) == []
    assert keys(Change("MODIFIED", "Pod", relabelled_pending, pending), registry) == []
    assert keys(Change("DELETED", "Pod", pending, pending), registry) == []


def test_a_pod_losing_its_address_concerns_its_services(registry: Registry) -> None:
    old = create_pod(registry, "a", ip="10.244.0.5", labels={"app": "db"})
    new = copy.deepcopy(old)
    for field in ("podIP", "podIPs"):
        del new["status"][field]
    assert keys(Change("MODIFIED", "Pod", new, old), registry) == ["default/db"]


def test_a_change_no_endpoints_can_show_concerns_no_service(registry: Registry) -> None:
    old = create_pod(registry, "a", ip="10.244.0.5", labels={"app": "web"})
    new = copy.deepcopy(old)
    new["metadata"]["annotations"] = {"note": "touched"}
    new["metadata"]["resourceVersion"] = "999999"
    assert keys(Change("MODIFIED", "Pod", new, old), registry) == []


def test_only_a_deleted_endpoints_concerns_its_service(registry: Registry) -> None:
    endpoints: Object = {"kind": "Endpoints", "metadata": {"name": "web", "namespace": "default"}}
    assert keys(Change("DELETED", "Endpoints", endpoints), registry) == ["default/web"]
    assert keys(Change("MODIFIED", "Endpoints", endpoints, endpoints), registry) == []


def test_resync_names_every_service(registry: Registry) -> None:
    assert sorted(CONTROLLER.resync_keys(registry)) == [
        "default/db",
        "default/manual",
        "default/web",
        "default/web-canary",
    ]
