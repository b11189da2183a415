"""The EndpointSlice controller: the slices of each Service with a selector, from its pods."""

from __future__ import annotations

import re

import pytest

from cluster.registry.bootstrap import ensure_system_namespaces
from cluster.registry.registry import DeleteOptions, Registry
from tests.controllers.endpointskit import NS, PODS, SERVICES, create_pod, create_service
from tests.controllers.endpointsliceskit import (
    SLICES,
    addresses,
    endpoint,
    only_slice,
    slices,
    sync,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _namespaces(registry: Registry) -> None:
    ensure_system_namespaces(registry)


def test_a_service_gets_a_slice_named_labelled_and_owned_as_kube_makes_it(
    registry: Registry,
) -> None:
    service = create_service(registry, labels={"tier": "front"})
    ready = create_pod(registry, "ready", ip="10.244.0.5")

    sync(registry)

    found = only_slice(registry)
    meta = found["metadata"]
    assert re.fullmatch(r"web-[a-z0-9]{5}", meta["name"])
    assert meta["generateName"] == "web-"
    assert meta["labels"] == {
        "tier": "front",
        "kubernetes.io/service-name": "web",
        "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
    }
    assert meta["ownerReferences"] == [
        {
            "apiVersion": "v1",
            "kind": "Service",
            "name": "web",
            "uid": service["metadata"]["uid"],
            "controller": True,
            "blockOwnerDeletion": True,
        }
    ]
    assert found["addressType"] == "IPv4"
    assert found["endpoints"] == [endpoint(ready, ip="10.244.0.5")]
    assert found["ports"] == [{"name": "", "port": 8080, "protocol": "TCP"}]


def test_conditions_tell_ready_serving_and_terminating_pods_apart(registry: Registry) -> None:
    create_service(registry)
    waiting = create_pod(registry, "waiting", ip="10.244.0.6", ready=False)
    leaving = create_pod(registry, "leaving", ip="10.244.0.7")
    create_pod(registry, "no-ip")
    create_pod(registry, "finished", ip="10.244.0.8", phase="Succeeded")
    create_pod(registry, "other-app", ip="10.244.0.9", labels={"app": "db"})
    registry.delete(PODS, NS, "leaving", DeleteOptions(grace_period_seconds=30))

    sync(registry)

    assert only_slice(registry)["endpoints"] == [
        endpoint(waiting, ip="10.244.0.6", ready=False, serving=False),
        endpoint(leaving, ip="10.244.0.7", ready=False, serving=True, terminating=True),
    ]


def test_publishing_not_ready_addresses_makes_every_endpoint_ready(registry: Registry) -> None:
    create_service(registry, publishNotReadyAddresses=True)
    waiting = create_pod(registry, "waiting", ip="10.244.0.6", ready=False)

    sync(registry)

    assert only_slice(registry)["endpoints"] == [
        endpoint(waiting, ip="10.244.0.6", ready=True, serving=False)
    ]


def test_named_target_ports_resolve_per_pod_and_split_the_slices(registry: Registry) -> None:
    create_service(registry, ports=[{"name": "http", "port": 80, "targetPort": "web"}])
    create_pod(registry, "a", ip="10.244.0.5", ports=[{"name": "web", "containerPort": 8080}])
    create_pod(registry, "b", ip="10.244.0.6", ports=[{"name": "web", "containerPort": 9090}])

    sync(registry)

    by_port = {s["ports"][0]["port"]: addresses(s) for s in slices(registry)}
    assert by_port == {8080: ["10.244.0.5"], 9090: ["10.244.0.6"]}


def test_a_service_without_pods_keeps_one_empty_placeholder_slice(registry: Registry) -> None:
    create_service(registry)
    create_pod(registry, "a", ip="10.244.0.5")
    sync(registry)
    first = only_slice(registry)

    registry.delete(PODS, NS, "a", DeleteOptions(grace_period_seconds=0))
    sync(registry)

    placeholder = only_slice(registry)
    assert placeholder["metadata"]["name"] == first["metadata"]["name"]
    assert placeholder["endpoints"] == []
    assert "ports" not in placeholder


def test_an_unchanged_service_is_never_rewritten(registry: Registry) -> None:
    create_service(registry)
    create_pod(registry, "a", ip="10.244.0.5")
    sync(registry)
    before = only_slice(registry)["metadata"]["resourceVersion"]

    sync(registry)

    assert only_slice(registry)["metadata"]["resourceVersion"] == before


def test_a_deleted_service_takes_its_slices_with_it(registry: Registry) -> None:
    create_service(registry)
    create_pod(registry, "a", ip="10.244.0.5")
    sync(registry)
    registry.delete(SERVICES, NS, "web", DeleteOptions())

    sync(registry)

    assert slices(registry) == []


def test_services_without_a_selector_or_of_external_name_get_no_slices(
    registry: Registry,
) -> None:
    create_service(registry, "manual", selector=None)
    create_service(registry, "alias", type="ExternalName", externalName="db.example.com")
    create_pod(registry, "a", ip="10.244.0.5")

    sync(registry, "manual")
    sync(registry, "alias")

    assert slices(registry, "manual") == slices(registry, "alias") == []


def test_slices_of_someone_else_are_left_alone(registry: Registry) -> None:
    create_service(registry)
    registry.create(
        SLICES,
        NS,
        {
            "metadata": {
                "name": "web-by-hand",
                "labels": {"kubernetes.io/service-name": "web"},
            },
            "addressType": "IPv4",
            "endpoints": [{"addresses": ["10.244.9.9"]}],
        },
    )

    sync(registry)

    names = sorted(s["metadata"]["name"] for s in slices(registry))
    assert len(names) == 2
    assert "web-by-hand" in names
