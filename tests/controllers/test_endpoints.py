"""The endpoints controller: one Endpoints per Service with a selector, from its pods."""

from __future__ import annotations

import pytest

from cluster.registry.bootstrap import ensure_system_namespaces
from cluster.registry.registry import DeleteOptions, Registry
from tests.controllers.endpointskit import (
    ENDPOINTS,
    NS,
    PODS,
    SERVICES,
    address,
    create_pod,
    create_service,
    endpoints,
    ips,
    report,
    subsets,
    sync,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _namespaces(registry: Registry) -> None:
    ensure_system_namespaces(registry)


def test_ready_pods_are_addresses_and_the_others_not_ready_addresses(registry: Registry) -> None:
    create_service(registry)
    ready = create_pod(registry, "ready", ip="10.244.0.5")
    waiting = create_pod(registry, "waiting", ip="10.244.0.6", ready=False)
    create_pod(registry, "no-ip")
    create_pod(registry, "finished", ip="10.244.0.7", phase="Succeeded")
    create_pod(registry, "failed", ip="10.244.0.8", phase="Failed")
    create_pod(registry, "other-app", ip="10.244.0.9", labels={"app": "db"})

    sync(registry)

    assert subsets(registry) == [
        {
            "addresses": [address(ready, ip="10.244.0.5")],
            "notReadyAddresses": [address(waiting, ip="10.244.0.6")],
            "ports": [{"port": 8080, "protocol": "TCP"}],
        }
    ]


def test_a_pod_being_deleted_leaves_the_endpoints(registry: Registry) -> None:
    create_service(registry)
    create_pod(registry, "staying", ip="10.244.0.5")
    create_pod(registry, "leaving", ip="10.244.0.6")
    registry.delete(PODS, NS, "leaving", DeleteOptions(grace_period_seconds=30))
    assert registry.get(PODS, NS, "leaving")["metadata"]["deletionTimestamp"]

    sync(registry)

    assert ips(subsets(registry)[0]["addresses"]) == ["10.244.0.5"]
    assert "notReadyAddresses" not in subsets(registry)[0]


def test_endpoints_follow_readiness_and_pods_that_go(registry: Registry) -> None:
    create_service(registry)
    create_pod(registry, "a", ip="10.244.0.5", ready=False)
    sync(registry)
    assert ips(subsets(registry)[0]["notReadyAddresses"]) == ["10.244.0.5"]

    report(registry, "a", ip="10.244.0.5", ready=True)
    sync(registry)
    assert ips(subsets(registry)[0]["addresses"]) == ["10.244.0.5"]
    assert "notReadyAddresses" not in subsets(registry)[0]

    registry.delete(PODS, NS, "a", DeleteOptions(grace_period_seconds=0))
    sync(registry)
    found = endpoints(registry)
    assert found is not None
    assert "subsets" not in found


def test_addresses_are_sorted_by_ip_as_kube_sorts_them(registry: Registry) -> None:
    create_service(registry)
    for name, ip in (("c", "10.244.1.2"), ("a", "10.244.0.9"), ("b", "10.244.0.10")):
        create_pod(registry, name, ip=ip)
    sync(registry)
    # Kube compares the IP text byte by byte: "10.244.0.10" sorts before "10.244.0.9".
    assert [len(subsets(registry)), ips(subsets(registry)[0]["addresses"])] == [
        1,
        ["10.244.0.10", "10.244.0.9", "10.244.1.2"],
    ]


def test_publish_not_ready_addresses_lists_every_pod_as_ready(registry: Registry) -> None:
    create_service(registry, publishNotReadyAddresses=True)
    create_pod(registry, "a", ip="10.244.0.5", ready=False)
    create_pod(registry, "b", ip="10.244.0.6")
    sync(registry)
    assert ips(subsets(registry)[0]["addresses"]) == ["10.244.0.5", "10.244.0.6"]
    assert "notReadyAddresses" not in subsets(registry)[0]


def test_an_unchanged_service_is_not_rewritten(registry: Registry) -> None:
    create_service(registry)
    create_pod(registry, "a", ip="10.244.0.5")
    sync(registry)
    first = endpoints(registry)
    assert first is not None

    registry.update(
        PODS, NS, "a", lambda p: {**p, "metadata": {**p["metadata"], "annotations": {"x": "y"}}}
    )
    sync(registry)
    sync(registry)

    again = endpoints(registry)
    assert again is not None
    assert again["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"]


def test_the_endpoints_carry_the_service_labels(registry: Registry) -> None:
    create_service(registry, labels={"team": "blue"})
    sync(registry)
    found = endpoints(registry)
    assert found is not None
    assert found["metadata"]["labels"] == {"team": "blue"}

    registry.update(
        SERVICES,
        NS,
        "web",
        lambda s: {**s, "metadata": {**s["metadata"], "labels": {"team": "red"}}},
    )
    sync(registry)
    found = endpoints(registry)
    assert found is not None
    assert found["metadata"]["labels"] == {"team": "red"}


def test_a_headless_service_is_labelled_so_and_may_have_no_ports(registry: Registry) -> None:
    create_service(registry, clusterIP="None", ports=[], labels={"team": "blue"})
    pod = create_pod(registry, "a", ip="10.244.0.5")
    sync(registry)
    found = endpoints(registry)
    assert found is not None
    assert found["metadata"]["labels"] == {"team": "blue", "service.kubernetes.io/headless": ""}
    assert found["subsets"] == [{"addresses": [address(pod, ip="10.244.0.5")]}]


def test_a_pod_named_as_the_service_subdomain_gets_its_hostname(registry: Registry) -> None:
    create_service(registry, clusterIP="None")
    create_pod(registry, "a", ip="10.244.0.5", hostname="web-0", subdomain="web")
    create_pod(registry, "b", ip="10.244.0.6", hostname="web-1", subdomain="elsewhere")
    sync(registry)
    found = subsets(registry)[0]["addresses"]
    assert [a.get("hostname") for a in found] == ["web-0", None]


def test_a_service_without_selector_keeps_its_hand_written_endpoints(registry: Registry) -> None:
    create_service(registry, selector=None)
    manual = {
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": {"name": "web", "namespace": NS},
        "subsets": [{"addresses": [{"ip": "192.0.2.10"}], "ports": [{"port": 5432}]}],
    }
    written = registry.create(ENDPOINTS, NS, manual).object
    create_pod(registry, "a", ip="10.244.0.5")

    sync(registry)

    assert endpoints(registry) == written


def test_an_external_name_service_gets_no_endpoints(registry: Registry) -> None:
    create_service(registry, type="ExternalName", externalName="db.example.com")
    create_pod(registry, "a", ip="10.244.0.5")
    sync(registry)
    assert endpoints(registry) is None


def test_deleting_the_service_deletes_its_endpoints(registry: Registry) -> None:
    create_service(registry)
    create_pod(registry, "a", ip="10.244.0.5")
    sync(registry)
    assert endpoints(registry) is not None

    registry.delete(SERVICES, NS, "web", DeleteOptions())
    sync(registry)
    assert endpoints(registry) is None
    sync(registry)  # nothing left to delete is fine


def test_endpoints_deleted_under_a_live_service_come_back(registry: Registry) -> None:
    create_service(registry)
    create_pod(registry, "a", ip="10.244.0.5")
    sync(registry)
    registry.delete(ENDPOINTS, NS, "web", DeleteOptions())
    sync(registry)
    assert ips(subsets(registry)[0]["addresses"]) == ["10.244.0.5"]
