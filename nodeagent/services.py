"""Service environment variables: what kubelet puts in every container about the Services of
its namespace, for programs that find their peers through the environment (Docker links).

The agent watches all Services (a reflector, as kubelet's service informer) and, when it creates
a container, gives it the variables of the Services that exist then: those of the pod's
namespace when ``enableServiceLinks`` is true (the default), and always the API's own
``kubernetes`` Service in ``default``. For a Service ``redis-primary`` with ClusterIP 10.0.0.11
and port 6379/TCP named ``db``::

    REDIS_PRIMARY_SERVICE_HOST=10.0.0.11
    REDIS_PRIMARY_SERVICE_PORT=6379            (the first port)
    REDIS_PRIMARY_SERVICE_PORT_DB=6379         (each named port)
    REDIS_PRIMARY_PORT=tcp://10.0.0.11:6379    (the first port, Docker link style)
    REDIS_PRIMARY_PORT_6379_TCP=tcp://10.0.0.11:6379
    REDIS_PRIMARY_PORT_6379_TCP_PROTO=tcp
    REDIS_PRIMARY_PORT_6379_TCP_PORT=6379
    REDIS_PRIMARY_PORT_6379_TCP_ADDR=10.0.0.11

Headless Services (no ClusterIP) have none. The container's own ``env`` wins over these.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

MASTER_NAMESPACE = "default"
MASTER_SERVICE = "kubernetes"

Service = dict[str, Any]


def variable_name(name: str) -> str:
    return name.upper().replace("-", "_").replace(".", "_")


def _host_port(ip: str, port: int) -> str:
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"


def service_variables(service: Mapping[str, Any]) -> dict[str, str]:
    """The variables of one Service (none for a headless one)."""
    spec = service.get("spec") or {}
    ip = str(spec.get("clusterIP") or "")
    ports = spec.get("ports") or []
    if ip in ("", "None") or not ports:
        return {}
    prefix = variable_name(str((service.get("metadata") or {}).get("name")))
    env = {f"{prefix}_SERVICE_HOST": ip, f"{prefix}_SERVICE_PORT": str(ports[0]["port"])}
    for port in ports:
        if port.get("name"):
            env[f"{prefix}_SERVICE_PORT_{variable_name(port['name'])}"] = str(port["port"])
    for i, port in enumerate(ports):
        protocol = str(port.get("protocol") or "TCP")
        url = f"{protocol.lower()}://{_host_port(ip, int(port['port']))}"
        if i == 0:
            env[f"{prefix}_PORT"] = url
        port_prefix = f"{prefix}_PORT_{port['port']}_{protocol.upper()}"
        env[port_prefix] = url
        env[f"{port_prefix}_PROTO"] = protocol.lower()
        env[f"{port_prefix}_PORT"] = str(port["port"])
        env[f"{port_prefix}_ADDR"] = ip
    return env


def _key(service: Mapping[str, Any]) -> tuple[str, str]:
    meta = service.get("metadata") or {}
    return str(meta.get("namespace")), str(meta.get("name"))


class ServiceCache:
    """The Services the API has, kept current by a reflector (it is the reflector's handler)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._services: dict[tuple[str, str], Service] = {}
        self.synced = threading.Event()

    def listed(self, objects: list[Service]) -> None:
        with self._lock:
            self._services = {_key(s): s for s in objects}
        self.synced.set()

    def changed(self, obj: Service) -> None:
        with self._lock:
            self._services[_key(obj)] = obj

    def removed(self, obj: Service) -> None:
        with self._lock:
            self._services.pop(_key(obj), None)

    def environment(self, namespace: str, *, service_links: bool = True) -> dict[str, str]:
        """The variables a container in ``namespace`` gets now."""
        with self._lock:
            services = list(self._services.items())
        env: dict[str, str] = {}
        # Sorted by name so that a clash between two names resolves the same way every time.
        for (ns, name), service in sorted(services):
            master = (ns, name) == (MASTER_NAMESPACE, MASTER_SERVICE)
            if master or (service_links and ns == namespace):
                env.update(service_variables(service))
        return env
