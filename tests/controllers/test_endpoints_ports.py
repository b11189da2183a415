"""Endpoint ports: target ports resolved per pod, and subsets packed as kube packs them."""

from __future__ import annotations

import pytest

from cluster.registry.bootstrap import ensure_system_namespaces
from cluster.registry.registry import Registry
from tests.controllers.endpointskit import create_pod, create_service, ips, subsets, sync

pytestmark = pytest.mark.django_db(transaction=True)

HTTP = {"name": "http", "port": 80, "targetPort": "web"}
METRICS = {"name": "metrics", "port": 9100}


@pytest.fixture(autouse=True)
def _namespaces(registry: Registry) -> None:
    ensure_system_namespaces(registry)


def test_a_named_target_port_is_looked_up_in_each_pods_containers(registry: Registry) -> None:
    create_service(registry, ports=[HTTP])
    create_pod(registry, "a", ip="10.244.0.5", ports=[{"name": "web", "containerPort": 8080}])
    create_pod(registry, "b", ip="10.244.0.6", ports=[{"name": "web", "containerPort": 9090}])
    sync(registry)
    found = {s["ports"][0]["port"]: ips(s["addresses"]) for s in subsets(registry)}
    assert found == {8080: ["10.244.0.5"], 9090: ["10.244.0.6"]}
    assert all(s["ports"][0]["name"] == "http" for s in subsets(registry))


def test_pods_without_the_named_port_are_left_out_of_that_port_only(registry: Registry) -> None:
    create_service(registry, ports=[HTTP, METRICS])
    create_pod(registry, "a", ip="10.244.0.5", ports=[{"name": "web", "containerPort": 8080}])
    create_pod(registry, "b", ip="10.244.0.6", ports=[{"name": "web", "containerPort": 8080}])
    create_pod(registry, "c", ip="10.244.0.7")
    sync(registry)
    # As kube packs them: one subset per set of addresses serving the same ports.
    found = sorted(
        (ips(s["addresses"]), [p["name"] for p in s["ports"]]) for s in subsets(registry)
    )
    assert found == [
        (["10.244.0.5", "10.244.0.6"], ["http"]),
        (["10.244.0.5", "10.244.0.6", "10.244.0.7"], ["metrics"]),
    ]


def test_a_named_port_must_match_the_service_port_protocol(registry: Registry) -> None:
    create_service(registry, ports=[{"name": "dns", "port": 53, "targetPort": "dns"}])
    create_pod(
        registry,
        "udp-only",
        ip="10.244.0.5",
        ports=[{"name": "dns", "containerPort": 5353, "protocol": "UDP"}],
    )
    create_pod(registry, "tcp", ip="10.244.0.6", ports=[{"name": "dns", "containerPort": 5353}])
    sync(registry)
    assert subsets(registry) == [
        {
            "addresses": subsets(registry)[0]["addresses"],
            "ports": [{"name": "dns", "port": 5353, "protocol": "TCP"}],
        }
    ]
    assert ips(subsets(registry)[0]["addresses"]) == ["10.244.0.6"]


def test_a_sidecars_named_port_counts_and_a_plain_init_containers_does_not(
    registry: Registry,
) -> None:
    create_service(registry, ports=[{"name": "proxy", "port": 80, "targetPort": "proxy"}])
    init = {"name": "init", "image": "busybox", "ports": [{"name": "proxy", "containerPort": 1}]}
    sidecar = {**init, "name": "sidecar", "restartPolicy": "Always"}
    sidecar["ports"] = [{"name": "proxy", "containerPort": 15001}]
    create_pod(registry, "with-sidecar", ip="10.244.0.5", initContainers=[sidecar])
    create_pod(registry, "with-init", ip="10.244.0.6", initContainers=[init])
    sync(registry)
    assert [(ips(s["addresses"]), s["ports"][0]["port"]) for s in subsets(registry)] == [
        (["10.244.0.5"], 15001)
    ]


def test_a_pod_serving_a_port_not_ready_is_not_ready_there(registry: Registry) -> None:
    create_service(registry, ports=[HTTP, METRICS])
    create_pod(registry, "a", ip="10.244.0.5", ports=[{"name": "web", "containerPort": 8080}])
    create_pod(
        registry,
        "b",
        ip="10.244.0.6",
        ready=False,
        ports=[{"name": "web", "containerPort": 8080}],
    )
    sync(registry)
    assert [
        (ips(s.get("addresses", [])), ips(s.get("notReadyAddresses", [])), len(s["ports"]))
        for s in subsets(registry)
    ] == [(["10.244.0.5"], ["10.244.0.6"], 2)]


def test_the_app_protocol_of_a_service_port_is_carried_over(registry: Registry) -> None:
    create_service(registry, ports=[{"port": 443, "targetPort": 8443, "appProtocol": "https"}])
    create_pod(registry, "a", ip="10.244.0.5")
    sync(registry)
    assert subsets(registry)[0]["ports"] == [
        {"port": 8443, "protocol": "TCP", "appProtocol": "https"}
    ]
