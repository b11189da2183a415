"""``kubectl get services`` and ``kubectl get endpoints``.

A service's EXTERNAL-IP is kube's: its externalIPs, the load balancer's ingress (``<pending>``
until there is one), the external name, or ``<none>``; PORT(S) reads ``80:30080/TCP,443/TCP``.
Endpoints show the first three ``ip:port`` and how many more there are.
"""

from __future__ import annotations

from cluster.api.printers.common import (
    NONE,
    UNKNOWN,
    format_labels,
    spec_of,
    status_of,
)
from cluster.api.tables import AGE, NAME, Cell, Column, Printer, age, name_of
from cluster.registry.vocabulary import Object

SERVICE_COLUMNS = (
    NAME,
    Column("Type", description="type determines how the Service is exposed."),
    Column(
        "Cluster-IP",
        description="clusterIP is the IP address of the service and is usually assigned randomly.",
    ),
    Column(
        "External-IP",
        description="externalIPs is a list of IP addresses for which nodes in the cluster will "
        "also accept traffic for this service.",
    ),
    Column("Port(s)", description="The list of ports that are exposed by this service."),
    AGE,
    Column(
        "Selector",
        priority=1,
        description="Route service traffic to pods with label keys and values matching this "
        "selector.",
    ),
)


def _load_balancer_addresses(service: Object) -> list[str]:
    """Each ingress point's IP, else its hostname; sorted and unique as kube lists them."""
    ingress = (status_of(service).get("loadBalancer") or {}).get("ingress") or []
    return sorted({i.get("ip") or i.get("hostname") or "" for i in ingress} - {""})


def external_ip(service: Object) -> str:
    """kube's getServiceExternalIP. Never clipped: kube-apiserver prints wide."""
    spec = spec_of(service)
    external_ips: list[str] = spec.get("externalIPs") or []
    service_type = spec.get("type")
    if service_type in ("ClusterIP", "NodePort"):
        return ",".join(external_ips) or NONE
    if service_type == "LoadBalancer":
        return ",".join(_load_balancer_addresses(service) + external_ips) or "<pending>"
    if service_type == "ExternalName":
        return str(spec.get("externalName", ""))
    return UNKNOWN


def port_string(ports: list[Object]) -> str:
    """kube's makePortString: ``80/TCP``, or ``80:30080/TCP`` with a node port."""
    pieces = []
    for port in ports:
        number = str(port.get("port"))
        if port.get("nodePort", 0) > 0:
            number += f":{port['nodePort']}"
        pieces.append(f"{number}/{port.get('protocol', '')}")
    return ",".join(pieces)


def service_cells(service: Object) -> list[Cell]:
    spec = spec_of(service)
    # A v1 service may carry clusterIP alone; kube's v1 conversion makes it clusterIPs[0].
    cluster_ips = spec.get("clusterIPs") or [spec.get("clusterIP")]
    return [
        name_of(service),
        spec.get("type", ""),
        cluster_ips[0] or NONE,
        external_ip(service),
        port_string(spec.get("ports") or []) or NONE,
        age(service),
        format_labels(spec.get("selector")),
    ]


SERVICE: Printer = Printer(SERVICE_COLUMNS, service_cells)

ENDPOINTS_COLUMNS = (
    NAME,
    Column("Endpoints", description="The set of all endpoints is the union of all subsets."),
    AGE,
)

SHOWN_ENDPOINTS = 3


def _host_port(ip: str, port: int) -> str:
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"


def format_endpoints(endpoints: Object) -> str:
    """kube's formatEndpoints: ``a:80,b:80,c:80 + 2 more...``, ``<none>`` without subsets."""
    subsets = endpoints.get("subsets") or []
    if not subsets:
        return NONE
    every: list[str] = []
    for subset in subsets:
        ips = [address.get("ip", "") for address in subset.get("addresses") or []]
        ports = subset.get("ports") or []
        # A headless service's subset may have no ports: then its addresses alone.
        if not ports:
            every.extend(ips)
        for port in ports:
            every.extend(_host_port(ip, port.get("port", 0)) for ip in ips)
    shown = ",".join(every[:SHOWN_ENDPOINTS])
    if len(every) > SHOWN_ENDPOINTS:
        return f"{shown} + {len(every) - SHOWN_ENDPOINTS} more..."
    return shown


def endpoints_cells(endpoints: Object) -> list[Cell]:
    return [name_of(endpoints), format_endpoints(endpoints), age(endpoints)]


ENDPOINTS: Printer = Printer(ENDPOINTS_COLUMNS, endpoints_cells)
