"""discovery.k8s.io/v1 EndpointSlices: address types, addresses, conditions, ports, limits.

Most tests run the strategy's hooks directly, in the order the registry runs them; the last
ones go through the real registry over PostgreSQL (the catalog's resource).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from cluster.registry.bootstrap import ensure_system_namespaces
from cluster.registry.catalog import RESOURCES
from cluster.registry.errors import Invalid
from cluster.registry.kinds.endpointslices import EndpointSliceStrategy
from cluster.registry.registry import Registry
from cluster.store.types import Object

STRATEGY = EndpointSliceStrategy()
SLICES = RESOURCES.of_kind("EndpointSlice", "discovery.k8s.io")


def endpoint(*addresses: str, **fields: Any) -> dict[str, Any]:
    return {"addresses": list(addresses), **fields}


def endpoint_slice(**fields: Any) -> Object:
    body: Object = {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {"name": "web-abcde", "namespace": "default"},
        "addressType": "IPv4",
        "endpoints": [endpoint("10.244.1.5", conditions={"ready": True}, nodeName="node-1")],
        "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
    }
    body.update(fields)
    return body


def defaulted(obj: Object) -> Object:
    new = copy.deepcopy(obj)
    STRATEGY.default(new)
    STRATEGY.prepare_for_create(new)
    return new


def problems(obj: Object) -> list[str]:
    return [f"{c.field}: {c.message}" for c in STRATEGY.validate(defaulted(obj))]


def test_a_slice_of_pod_addresses_is_valid() -> None:
    assert problems(endpoint_slice()) == []


def test_an_unnamed_port_is_named_empty_and_speaks_tcp() -> None:
    slice_ = defaulted(endpoint_slice(ports=[{"port": 80}]))
    assert slice_["ports"] == [{"name": "", "port": 80, "protocol": "TCP"}]


def test_the_address_type_is_required_and_one_of_kubes() -> None:
    assert problems(endpoint_slice(addressType="")) == ["addressType: Required value"]
    assert problems(endpoint_slice(addressType="IPv5", endpoints=[])) == [
        'addressType: Unsupported value: "IPv5": supported values: "FQDN", "IPv4", "IPv6"'
    ]


def test_the_address_type_cannot_change() -> None:
    old = defaulted(endpoint_slice())
    new = defaulted(endpoint_slice(addressType="IPv6", endpoints=[endpoint("fd00::5")]))
    causes = STRATEGY.validate_update(new, old)
    assert [(c.field, c.message) for c in causes] == [
        ("addressType", 'Invalid value: "IPv6": field is immutable')
    ]


def test_addresses_must_be_of_the_slice_type() -> None:
    endpoints = [endpoint("fd00::5"), endpoint("not-an-ip"), endpoint("127.0.0.1")]
    assert problems(endpoint_slice(endpoints=endpoints)) == [
        'endpoints[0].addresses[0]: Invalid value: "fd00::5": must be a valid IPv4 address',
        'endpoints[1].addresses[0]: Invalid value: "not-an-ip": must be a valid IPv4 address',
        'endpoints[1].addresses[0]: Invalid value: "not-an-ip": must be a valid IP address',
        'endpoints[2].addresses[0]: Invalid value: "127.0.0.1": '
        "may not be in the loopback range (127.0.0.0/8, ::1/128)",
    ]
    assert problems(endpoint_slice(addressType="IPv6", endpoints=[endpoint("10.0.0.1")])) == [
        'endpoints[0].addresses[0]: Invalid value: "10.0.0.1": must be a valid IPv6 address'
    ]


def test_fqdn_addresses_are_domains_of_two_labels_or_more() -> None:
    endpoints = [endpoint("db.example.com."), endpoint("localhost"), endpoint("Bad_Name.com")]
    found = problems(endpoint_slice(addressType="FQDN", endpoints=endpoints))
    assert found[0] == (
        'endpoints[1].addresses[0]: Invalid value: "localhost": '
        "should be a domain with at least two segments separated by dots"
    )
    assert found[1].startswith('endpoints[2].addresses[0]: Invalid value: "Bad_Name.com": ')
    assert len(found) == 2


def test_an_endpoint_has_one_to_a_hundred_addresses() -> None:
    many = [f"10.244.0.{i}" for i in range(1, 102)]
    assert problems(endpoint_slice(endpoints=[endpoint(), endpoint(*many)])) == [
        "endpoints[0].addresses: Required value: must contain at least 1 address",
        "endpoints[1].addresses: Too many: 101: must have at most 100 items",
    ]


def test_a_slice_holds_at_most_a_thousand_endpoints() -> None:
    endpoints = [endpoint(f"10.244.{i // 250}.{i % 250 + 1}") for i in range(1001)]
    assert problems(endpoint_slice(endpoints=endpoints)) == [
        "endpoints: Too many: 1001: must have at most 1000 items"
    ]


def test_conditions_are_booleans_and_names_follow_their_grammar() -> None:
    bad = endpoint("10.244.1.5", conditions={"ready": "yes"}, nodeName="Node_1", hostname="web.0")
    assert problems(endpoint_slice(endpoints=[bad])) == [
        'endpoints[0].conditions.ready: Invalid value: "yes": must be a boolean',
        'endpoints[0].nodeName: Invalid value: "Node_1": a lowercase RFC 1123 subdomain must '
        "consist of lower case alphanumeric characters, '-' or '.', and must start and end "
        "with an alphanumeric character (e.g. 'example.com', regex used for validation is "
        r"'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
        'endpoints[0].hostname: Invalid value: "web.0": must not contain dots',
    ]


def test_ports_have_unique_label_names_and_a_known_protocol() -> None:
    ports = [
        {"name": "http", "port": 80},
        {"name": "http", "port": 81, "protocol": "ICMP"},
        {"name": "web.1", "port": 82, "appProtocol": "bad/"},
    ]
    assert problems(endpoint_slice(ports=ports)) == [
        'ports[1].name: Duplicate value: "http"',
        'ports[1].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"',
        'ports[2].name: Invalid value: "web.1": must not contain dots',
        'ports[2].appProtocol: Invalid value: "bad/": name part must be non-empty',
    ]


def test_zone_hints_are_few_unique_label_values() -> None:
    hints = {"forZones": [{"name": "zone-a"}, {"name": "zone-a"}]}
    assert problems(endpoint_slice(endpoints=[endpoint("10.244.1.5", hints=hints)])) == [
        'endpoints[0].hints.forZones[1].name: Duplicate value: "zone-a"'
    ]


@pytest.mark.django_db(transaction=True)
def test_the_registry_answers_an_invalid_slice_with_every_cause(registry: Registry) -> None:
    ensure_system_namespaces(registry)
    with pytest.raises(Invalid) as raised:
        registry.create(SLICES, "default", endpoint_slice(addressType="", ports=[{"port": 1}]))
    assert raised.value.details["group"] == "discovery.k8s.io"
    assert [c.field for c in raised.value.causes] == ["addressType"]


@pytest.mark.django_db(transaction=True)
def test_a_stored_slice_counts_generations_of_its_endpoints(registry: Registry) -> None:
    ensure_system_namespaces(registry)
    created = registry.create(SLICES, "default", endpoint_slice()).object
    assert created["metadata"]["generation"] == 1

    def move(obj: Object) -> Object:
        obj["endpoints"][0]["addresses"] = ["10.244.1.6"]
        return obj

    moved = registry.update(SLICES, "default", "web-abcde", move).object
    assert moved["metadata"]["generation"] == 2
    assert moved["ports"] == [{"name": "http", "port": 8080, "protocol": "TCP"}]
