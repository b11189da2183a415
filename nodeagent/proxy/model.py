"""What the proxy programs, computed from Services and Endpoints: one ``ServicePort`` per port
of every Service with a ClusterIP, with the ready endpoints serving that port.

Pure data and pure functions, shared by the iptables and the userspace proxies, so that what a
Service means is decided once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

Object = Mapping[str, Any]

# Kubernetes' default sessionAffinityConfig.clientIP.timeoutSeconds: three hours.
DEFAULT_AFFINITY_SECONDS = 10800


@dataclass(frozen=True, order=True)
class Endpoint:
    ip: str
    port: int


@dataclass(frozen=True)
class ServicePort:
    namespace: str
    name: str
    port_name: str
    protocol: str
    cluster_ip: str
    port: int
    node_port: int | None
    # Seconds a client stays with its endpoint (sessionAffinity ClientIP), or None.
    affinity_seconds: int | None
    endpoints: tuple[Endpoint, ...]

    @property
    def key(self) -> str:
        """``namespace/name:port``, as kube-proxy names a service port."""
        return f"{self.namespace}/{self.name}:{self.port_name}"


def _key(obj: Object) -> tuple[str, str]:
    meta = obj.get("metadata") or {}
    return str(meta.get("namespace", "")), str(meta.get("name", ""))


def ready_endpoints(endpoints: Object | None, port_name: str, protocol: str) -> list[Endpoint]:
    """The ready addresses of ``endpoints`` with their port named ``port_name``."""
    found = set()
    for subset in (endpoints or {}).get("subsets") or []:
        for port in subset.get("ports") or []:
            if str(port.get("name") or "") != port_name:
                continue
            if str(port.get("protocol") or "TCP") != protocol:
                continue
            for address in subset.get("addresses") or []:
                found.add(Endpoint(str(address["ip"]), int(port["port"])))
    return sorted(found)


def _affinity(spec: Mapping[str, Any]) -> int | None:
    if spec.get("sessionAffinity") != "ClientIP":
        return None
    config = (spec.get("sessionAffinityConfig") or {}).get("clientIP") or {}
    return int(config.get("timeoutSeconds") or DEFAULT_AFFINITY_SECONDS)


def service_ports(services: Iterable[Object], endpoints: Iterable[Object]) -> list[ServicePort]:
    """Every port of every Service with a ClusterIP, sorted by key."""
    by_key = {_key(e): e for e in endpoints}
    result = []
    for service in services:
        spec = service.get("spec") or {}
        cluster_ip = str(spec.get("clusterIP") or "")
        if cluster_ip in ("", "None") or spec.get("type") == "ExternalName":
            continue
        namespace, name = _key(service)
        for port in spec.get("ports") or []:
            protocol = str(port.get("protocol") or "TCP")
            port_name = str(port.get("name") or "")
            result.append(
                ServicePort(
                    namespace=namespace,
                    name=name,
                    port_name=port_name,
                    protocol=protocol,
                    cluster_ip=cluster_ip,
                    port=int(port["port"]),
                    node_port=int(port["nodePort"]) if port.get("nodePort") else None,
                    affinity_seconds=_affinity(spec),
                    endpoints=tuple(
                        ready_endpoints(by_key.get((namespace, name)), port_name, protocol)
                    ),
                )
            )
    return sorted(result, key=lambda p: p.key)
