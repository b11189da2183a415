"""discovery.k8s.io/v1 EndpointSlices: kube's ``pkg/registry/discovery/endpointslice``.

EndpointSlices are what current clients read for a Service's backends (``kubectl describe
svc`` lists its endpoints from them, kube-proxy routes by them); the EndpointSlice controller
writes them from the pods a Service selects. A slice holds endpoints of one address type,
fixed when it is created: IPv4 or IPv6 pod addresses (real pod IPs, so unspecified, loopback
and link-local ones are refused, as for Endpoints) or FQDNs. Ports are defaulted as kube's
v1 defaulting does: an unnamed port is named "" and the protocol is TCP. Kube bounds a slice
at 1000 endpoints of 1 to 100 addresses each.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any

from cluster.registry import names
from cluster.registry.errors import (
    Cause,
    duplicate,
    invalid,
    not_supported,
    required,
    too_many,
)
from cluster.registry.kinds.formats import (
    IMMUTABLE_PROBLEM,
    PROTOCOLS,
    each,
    label_causes,
    non_special_ip_causes,
    parse_ip,
)
from cluster.registry.kinds.shapes import (
    check_list_of,
    check_types,
    child,
    entries,
    index,
    mapping,
    sequence,
)
from cluster.registry.strategy import Strategy
from cluster.store.types import Object

ADDRESS_TYPES = ["FQDN", "IPv4", "IPv6"]
MAX_ENDPOINTS = 1000
MAX_ADDRESSES = 100
MAX_PORTS = 20000
MAX_TOPOLOGY_LABELS = 16
MAX_HINTS = 8

_SLICE_TYPES = {"addressType": "string", "endpoints": "list", "ports": "list"}
_ENDPOINT_TYPES = {
    "conditions": "object",
    "hostname": "string",
    "targetRef": "object",
    "deprecatedTopology": "object",
    "nodeName": "string",
    "zone": "string",
    "hints": "object",
}
_CONDITION_TYPES = {"ready": "boolean", "serving": "boolean", "terminating": "boolean"}
_HINT_TYPES = {"forZones": "list", "forNodes": "list"}
_PORT_TYPES = {"name": "string", "protocol": "string", "port": "integer", "appProtocol": "string"}


def _address_type_causes(address_type: Any) -> list[Cause]:
    if not address_type:
        return [required("addressType")]
    if isinstance(address_type, str) and address_type not in ADDRESS_TYPES:
        return [not_supported("addressType", address_type, ADDRESS_TYPES)]
    return []


def _ip_version(value: str) -> int | None:
    """4 or 6 as Go's ``To4`` tells them apart (an IPv4-mapped IPv6 address counts as 4)."""
    ip = parse_ip(value)
    if ip is None:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is None:
        return 6
    return 4


def _ip_address_causes(path: str, value: str, version: int) -> list[Cause]:
    """apimachinery's ``IsValidIPv4Address``/``IsValidIPv6Address``, then kube's
    ``ValidateEndpointIP`` (which repeats the parse failure in its own words)."""
    causes = []
    if _ip_version(value) != version:
        causes.append(invalid(path, value, f"must be a valid IPv{version} address"))
    return causes + non_special_ip_causes(path, value)


def fqdn_causes(path: str, value: str) -> list[Cause]:
    """apimachinery's ``IsFullyQualifiedDomainName``: a subdomain of at least two labels."""
    if not value:
        return [required(path)]
    name = value.removesuffix(".")
    problems = names.dns1123_subdomain(name)
    if problems:
        return [invalid(path, name, ",".join(problems))]
    labels = name.split(".")
    if len(labels) < 2:
        detail = "should be a domain with at least two segments separated by dots"
        return [invalid(path, name, detail)]
    for label in labels:
        problems = names.dns1123_label(label)
        if problems:
            return [invalid(path, label, ",".join(problems))]
    return []


def _addresses_causes(endpoint: dict[str, Any], path: str, address_type: Any) -> list[Cause]:
    addresses = endpoint.get("addresses")
    causes = check_list_of(addresses, path, "string")
    listed = sequence(addresses)
    if not listed:
        causes.append(required(path, "must contain at least 1 address"))
    elif len(listed) > MAX_ADDRESSES:
        causes.append(too_many(path, len(listed), MAX_ADDRESSES))
    for i, address in enumerate(listed):
        if not isinstance(address, str):
            continue
        if address_type == "IPv4":
            causes += _ip_address_causes(index(path, i), address, 4)
        elif address_type == "IPv6":
            causes += _ip_address_causes(index(path, i), address, 6)
        elif address_type == "FQDN":
            causes += fqdn_causes(index(path, i), address)
    return causes


def _topology_causes(topology: Any, path: str) -> list[Cause]:
    labels = mapping(topology)
    causes = []
    if len(labels) > MAX_TOPOLOGY_LABELS:
        causes.append(too_many(path, len(labels), MAX_TOPOLOGY_LABELS))
    return causes + label_causes(labels, path)


def _hint_names_causes(
    hints: dict[str, Any], path: str, field: str, rule: Callable[[str], list[str]]
) -> list[Cause]:
    """forZones / forNodes: at most eight, each name once and of the right grammar."""
    listed = sequence(hints.get(field))
    if len(listed) > MAX_HINTS:
        return [too_many(child(path, field), len(listed), MAX_HINTS)]
    causes: list[Cause] = []
    seen: set[str] = set()
    for i, hint in entries(listed):
        name_path = child(index(child(path, field), i), "name")
        name = hint.get("name")
        if not isinstance(name, str):
            causes += check_types(hint, index(child(path, field), i), {"name": "string"})
            continue
        if name in seen:
            causes.append(duplicate(name_path, name))
        seen.add(name)
        causes += each(name_path, rule(name), name)
    return causes


def _hints_causes(hints: Any, path: str) -> list[Cause]:
    if not isinstance(hints, dict):
        return []
    causes = check_types(hints, path, _HINT_TYPES)
    causes += _hint_names_causes(hints, path, "forZones", names.label_value)
    return causes + _hint_names_causes(hints, path, "forNodes", names.dns1123_subdomain)


def _endpoint_causes(endpoint: dict[str, Any], path: str, address_type: Any) -> list[Cause]:
    causes = check_types(endpoint, path, _ENDPOINT_TYPES)
    causes += _addresses_causes(endpoint, child(path, "addresses"), address_type)
    causes += check_types(
        mapping(endpoint.get("conditions")), child(path, "conditions"), _CONDITION_TYPES
    )
    node_name = endpoint.get("nodeName")
    if isinstance(node_name, str):
        causes += each(child(path, "nodeName"), names.dns1123_subdomain(node_name), node_name)
    causes += _topology_causes(
        endpoint.get("deprecatedTopology"), child(path, "deprecatedTopology")
    )
    hostname = endpoint.get("hostname")
    if isinstance(hostname, str):
        causes += each(child(path, "hostname"), names.dns1123_label(hostname), hostname)
    return causes + _hints_causes(endpoint.get("hints"), child(path, "hints"))


def _endpoints_causes(slice_: Object) -> list[Cause]:
    endpoints = sequence(slice_.get("endpoints"))
    if len(endpoints) > MAX_ENDPOINTS:
        return [too_many("endpoints", len(endpoints), MAX_ENDPOINTS)]
    address_type = slice_.get("addressType")
    causes: list[Cause] = []
    for i, endpoint in entries(endpoints):
        causes += _endpoint_causes(endpoint, index("endpoints", i), address_type)
    return causes


def _port_causes(port: dict[str, Any], path: str, seen: set[str]) -> list[Cause]:
    causes = check_types(port, path, _PORT_TYPES)
    name = port.get("name")
    if isinstance(name, str):
        if name:
            causes += each(child(path, "name"), names.dns1123_label(name), name)
        if name in seen:
            causes.append(duplicate(child(path, "name"), name))
        seen.add(name)
    protocol = port.get("protocol")
    if not protocol:
        causes.append(required(child(path, "protocol")))
    elif isinstance(protocol, str) and protocol not in PROTOCOLS:
        causes.append(not_supported(child(path, "protocol"), protocol, PROTOCOLS))
    app_protocol = port.get("appProtocol")
    if isinstance(app_protocol, str):
        causes += each(child(path, "appProtocol"), names.qualified_name(app_protocol), app_protocol)
    return causes


def _ports_causes(slice_: Object) -> list[Cause]:
    ports = sequence(slice_.get("ports"))
    if len(ports) > MAX_PORTS:
        return [too_many("ports", len(ports), MAX_PORTS)]
    seen: set[str] = set()
    causes: list[Cause] = []
    for i, port in entries(ports):
        causes += _port_causes(port, index("ports", i), seen)
    return causes


class EndpointSliceStrategy(Strategy):
    # Kube bumps the generation on any change outside metadata.
    generation_fields = ("addressType", "endpoints", "ports")

    def default(self, obj: Object) -> None:
        for _, port in entries(obj.get("ports")):
            if port.get("name") is None:
                port["name"] = ""
            if port.get("protocol") is None:
                port["protocol"] = "TCP"

    def validate(self, obj: Object) -> list[Cause]:
        causes = check_types(obj, "", _SLICE_TYPES)
        causes += _address_type_causes(obj.get("addressType"))
        return causes + _endpoints_causes(obj) + _ports_causes(obj)

    def validate_update(self, new: Object, old: Object) -> list[Cause]:
        causes = self.validate(new)
        if new.get("addressType") != old.get("addressType"):
            causes.append(invalid("addressType", new.get("addressType"), IMMUTABLE_PROBLEM))
        return causes
