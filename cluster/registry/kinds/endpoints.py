"""core/v1 Endpoints: kube's ``pkg/registry/core/endpoint``.

The endpoints controller writes one Endpoints object per Service: subsets of addresses (ready
or not) with the ports they serve. Addresses are real pod IPs, so unspecified, loopback and
link-local ones are refused. An update may create the object (``allow_create_on_update``).
"""

from __future__ import annotations

from typing import Any

from cluster.registry import names
from cluster.registry.errors import Cause, not_supported, required
from cluster.registry.kinds.formats import (
    PROTOCOLS,
    each,
    ip_causes,
    non_special_ip_causes,
    port_number_problems,
)
from cluster.registry.kinds.shapes import (
    check_types,
    child,
    entries,
    index,
    is_int,
    sequence,
    text,
    wrong_type,
)
from cluster.registry.strategy import Strategy
from cluster.store.types import Object

_ADDRESS_TYPES = {"ip": "string", "hostname": "string", "nodeName": "string", "targetRef": "object"}
_PORT_TYPES = {"name": "string", "port": "integer", "protocol": "string", "appProtocol": "string"}


def _address_causes(address: dict[str, Any], path: str) -> list[Cause]:
    causes = check_types(address, path, _ADDRESS_TYPES)
    ip = text(address.get("ip"))
    causes += ip_causes(child(path, "ip"), ip)
    hostname = address.get("hostname")
    if isinstance(hostname, str) and hostname:
        causes += each(child(path, "hostname"), names.dns1123_label(hostname), hostname)
    node_name = address.get("nodeName")
    if isinstance(node_name, str):
        causes += each(child(path, "nodeName"), names.dns1123_subdomain(node_name), node_name)
    return causes + non_special_ip_causes(child(path, "ip"), ip)


def _port_causes(port: dict[str, Any], path: str, *, name_required: bool) -> list[Cause]:
    causes = check_types(port, path, _PORT_TYPES)
    name = text(port.get("name"))
    if name_required and not name:
        causes.append(required(child(path, "name")))
    elif name:
        causes += each(child(path, "name"), names.dns1123_label(name), name)
    number = port.get("port") or 0
    if is_int(number):
        causes += each(child(path, "port"), port_number_problems(number), number)
    protocol = port.get("protocol") or ""
    if not protocol:
        causes.append(required(child(path, "protocol")))
    elif protocol not in PROTOCOLS:
        causes.append(not_supported(child(path, "protocol"), protocol, PROTOCOLS))
    app_protocol = port.get("appProtocol")
    if isinstance(app_protocol, str):
        causes += each(child(path, "appProtocol"), names.qualified_name(app_protocol), app_protocol)
    return causes


def _subset_causes(subset: dict[str, Any], path: str) -> list[Cause]:
    causes: list[Cause] = []
    if not sequence(subset.get("addresses")) and not sequence(subset.get("notReadyAddresses")):
        causes.append(required(path, "must specify `addresses` or `notReadyAddresses`"))
    for field in ("addresses", "notReadyAddresses", "ports"):
        value = subset.get(field)
        if value is not None and not isinstance(value, list):
            causes.append(wrong_type(child(path, field), value, "a list"))
    for field in ("addresses", "notReadyAddresses"):
        for i, address in entries(subset.get(field)):
            causes += _address_causes(address, index(child(path, field), i))
    ports = list(entries(subset.get("ports")))
    for i, port in ports:
        port_path = index(child(path, "ports"), i)
        causes += _port_causes(port, port_path, name_required=len(ports) > 1)
    return causes


class EndpointsStrategy(Strategy):
    allow_create_on_update = True
    generation_fields = ()

    def default(self, obj: Object) -> None:
        for _, subset in entries(obj.get("subsets")):
            for _, port in entries(subset.get("ports")):
                if not port.get("protocol"):
                    port["protocol"] = "TCP"

    def validate(self, obj: Object) -> list[Cause]:
        subsets = obj.get("subsets")
        if subsets is not None and not isinstance(subsets, list):
            return [wrong_type("subsets", subsets, "a list")]
        causes: list[Cause] = []
        for i, subset in entries(subsets):
            causes += _subset_causes(subset, index("subsets", i))
        return causes
