"""core/v1 Endpoints: addresses that are real pod IPs, named ports, create-on-update.

Most tests run the strategy's hooks directly, in the order the registry runs them; the last
group goes through the real registry over PostgreSQL.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from cluster.registry.kinds.endpoints import EndpointsStrategy
from cluster.registry.kinds.namespaces import NamespaceStrategy
from cluster.registry.registry import Registry
from cluster.registry.resources import Resource
from cluster.store.types import Object

DB = pytest.mark.django_db(transaction=True)
STRATEGY = EndpointsStrategy()
ENDPOINTS = Resource("", "v1", "Endpoints", "endpoints", "endpoints", STRATEGY)
NAMESPACES = Resource(
    "", "v1", "Namespace", "namespaces", "namespace", NamespaceStrategy(), namespaced=False
)
IP_PROBLEM = "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"


def endpoints(*subsets: dict[str, Any]) -> Object:
    return {
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": {"name": "web", "namespace": "default"},
        "subsets": list(subsets),
    }


def subset(*ips: str, ports: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"addresses": [{"ip": ip} for ip in ips], "ports": ports or [{"port": 8080}]}


def defaulted(obj: Object) -> Object:
    new = copy.deepcopy(obj)
    STRATEGY.default(new)
    STRATEGY.prepare_for_create(new)
    return new


def problems(obj: Object) -> list[str]:
    return [f"{c.field}: {c.message}" for c in STRATEGY.validate(defaulted(obj))]


def test_ports_default_to_tcp() -> None:
    assert defaulted(endpoints(subset("10.244.1.7")))["subsets"][0]["ports"] == [
        {"port": 8080, "protocol": "TCP"}
    ]


def test_ready_and_not_ready_pod_addresses_with_targets_are_valid() -> None:
    ready = {
        "ip": "10.244.1.7",
        "hostname": "web-0",
        "nodeName": "node-1",
        "targetRef": {"kind": "Pod", "name": "web-0", "namespace": "default"},
    }
    obj = endpoints({"addresses": [ready], "notReadyAddresses": [{"ip": "fd00::8"}]})
    assert problems(obj) == []


def test_a_subset_needs_addresses() -> None:
    assert problems(endpoints({"ports": [{"port": 80}]})) == [
        "subsets[0]: Required value: must specify `addresses` or `notReadyAddresses`"
    ]


def test_addresses_must_be_ips_that_are_not_special() -> None:
    obj = endpoints(subset("10.244.1", "0.0.0.0", "127.0.0.1", "169.254.1.1", "224.0.0.5"))
    path = "subsets[0].addresses"
    assert problems(obj) == [
        f'{path}[0].ip: Invalid value: "10.244.1": {IP_PROBLEM}',
        f'{path}[0].ip: Invalid value: "10.244.1": must be a valid IP address',
        f'{path}[1].ip: Invalid value: "0.0.0.0": may not be unspecified (0.0.0.0)',
        f'{path}[2].ip: Invalid value: "127.0.0.1": may not be in the loopback range '
        "(127.0.0.0/8, ::1/128)",
        f'{path}[3].ip: Invalid value: "169.254.1.1": may not be in the link-local range '
        "(169.254.0.0/16, fe80::/10)",
        f'{path}[4].ip: Invalid value: "224.0.0.5": may not be in the link-local multicast '
        "range (224.0.0.0/24, ff02::/10)",
    ]


def test_an_address_hostname_is_a_dns_label_and_its_node_a_dns_subdomain() -> None:
    obj = endpoints(
        {"addresses": [{"ip": "10.244.1.7", "hostname": "web.0", "nodeName": "Node_1"}]}
    )
    assert [p.split(":")[0] for p in problems(obj)] == [
        "subsets[0].addresses[0].hostname",
        "subsets[0].addresses[0].nodeName",
    ]


def test_ports_are_numbered_named_when_several_and_speak_a_known_protocol() -> None:
    ports = [
        {"port": 0, "protocol": "HTTP"},
        {"name": "metrics", "port": 9090, "appProtocol": "bad proto"},
    ]
    assert problems(endpoints(subset("10.244.1.7", ports=ports))) == [
        "subsets[0].ports[0].name: Required value",
        "subsets[0].ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive",
        'subsets[0].ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", '
        '"TCP", "UDP"',
        'subsets[0].ports[1].appProtocol: Invalid value: "bad proto": name part must consist of '
        "alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric "
        "character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
        "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
    ]


def test_mistyped_subsets_are_refused() -> None:
    assert problems(endpoints()) == []
    assert problems({"metadata": {"name": "web"}, "subsets": {"addresses": []}}) == [
        'subsets: Invalid value: {"addresses":[]}: must be a list'
    ]


# -- through the registry --


@DB
def test_the_endpoints_controller_may_create_by_updating(registry: Registry) -> None:
    registry.create(NAMESPACES, None, {"metadata": {"name": "default"}})

    def replace(obj: Object) -> Object:
        obj["subsets"] = [subset("10.244.1.8")]
        return obj

    first = registry.update(
        ENDPOINTS, "default", "web", replace, create_if_missing=endpoints(subset("10.244.1.7"))
    )
    assert first.created is True
    assert first.object["subsets"] == [
        {"addresses": [{"ip": "10.244.1.7"}], "ports": [{"port": 8080, "protocol": "TCP"}]}
    ]
    registry.update(ENDPOINTS, "default", "web", replace)
    assert registry.get(ENDPOINTS, "default", "web")["subsets"] == [
        {"addresses": [{"ip": "10.244.1.8"}], "ports": [{"port": 8080, "protocol": "TCP"}]}
    ]
