"""One probe of a container spec, and running it once: exec, httpGet or tcpSocket.

Kubelet's prober defaults and outcomes: a probe passes when its command exits 0, when the HTTP
answer's status is 2xx or 3xx, or when the TCP connection opens, all within ``timeoutSeconds``.
The output (or the error) becomes the message of the ``Unhealthy`` event.

httpGet and tcpSocket always go to the pod's own IP: the probe's ``host`` field is not
honoured, so a pod spec can never make its node send traffic anywhere but to the pod itself.
exec runs in the container through the runtime, never on the node.
"""

from __future__ import annotations

import http.client
import socket
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from nodeagent.runtime.base import Runtime, RuntimeFailure

LIVENESS = "liveness"
READINESS = "readiness"
STARTUP = "startup"
KINDS = (STARTUP, LIVENESS, READINESS)
# Kubelet keeps at most this much of a probe's output.
OUTPUT_LIMIT = 10 * 1024
USER_AGENT = "kube-probe/1.37"
_HANDLERS = ("exec", "httpGet", "tcpSocket")


@dataclass(frozen=True)
class ProbeSpec:
    """A probe with kubelet's defaults filled in (the API leaves them unset)."""

    kind: str
    handler: Mapping[str, Any]
    initial_delay: float = 0.0
    period: float = 10.0
    timeout: float = 1.0
    failure_threshold: int = 3
    success_threshold: int = 1
    termination_grace: float | None = None


ProbeRunner = Callable[["ProbeSpec", "Target", Runtime], "Outcome"]


def probe_spec(container: Mapping[str, Any], kind: str) -> ProbeSpec | None:
    """The container's ``<kind>Probe``, or None if it has none."""
    raw = container.get(f"{kind}Probe")
    if not raw:
        return None
    grace = raw.get("terminationGracePeriodSeconds")
    return ProbeSpec(
        kind=kind,
        handler={k: v for k, v in raw.items() if k in _HANDLERS or k == "grpc"},
        initial_delay=float(raw.get("initialDelaySeconds") or 0),
        period=float(raw.get("periodSeconds") or 10),
        timeout=float(raw.get("timeoutSeconds") or 1),
        failure_threshold=int(raw.get("failureThreshold") or 3),
        # Liveness and startup probes must succeed once to count as passing.
        success_threshold=int(raw.get("successThreshold") or 1) if kind == READINESS else 1,
        termination_grace=None if grace is None else float(grace),
    )


@dataclass(frozen=True)
class Target:
    """What a probe reaches: the container (exec) and the pod's address (httpGet, tcpSocket)."""

    container_id: str
    pod_ip: str
    ports: Mapping[str, int]


@dataclass(frozen=True)
class Outcome:
    ok: bool
    output: str = ""
    # The probe could not be run at all (kubelet's "probe errored", as opposed to "failed").
    errored: bool = False


def named_ports(container: Mapping[str, Any]) -> dict[str, int]:
    return {
        str(p["name"]): int(p["containerPort"])
        for p in container.get("ports") or []
        if p.get("name") and p.get("containerPort")
    }


def port_number(value: Any, ports: Mapping[str, int]) -> int:
    """A probe's port: a number, or the name of one of the container's ports."""
    if isinstance(value, int):
        return value
    text = str(value)
    if text.isdigit():
        return int(text)
    if text in ports:
        return ports[text]
    raise ValueError(f"port {text!r} is not one of the container's named ports")


def run_probe(spec: ProbeSpec, target: Target, runtime: Runtime) -> Outcome:
    handler = spec.handler
    try:
        if "exec" in handler:
            command = [str(a) for a in handler["exec"].get("command") or []]
            return exec_probe(runtime, target.container_id, command, spec.timeout)
        if not target.pod_ip:
            return Outcome(False, "the pod has no IP address", errored=True)
        if "httpGet" in handler:
            return http_probe(target.pod_ip, handler["httpGet"], target.ports, spec.timeout)
        if "tcpSocket" in handler:
            port = port_number(handler["tcpSocket"].get("port"), target.ports)
            return tcp_probe(target.pod_ip, port, spec.timeout)
    except (RuntimeFailure, ValueError) as e:
        return Outcome(False, str(e), errored=True)
    kinds = ", ".join(sorted(handler)) or "none"
    return Outcome(False, f"probe handler {kinds} is not supported by this node", errored=True)


def simulated_probe(spec: ProbeSpec, target: Target, runtime: Runtime) -> Outcome:
    """Probes on a simulated node: exec goes to the (simulated) runtime, and network probes
    pass without a packet sent, since the pod's address is only pretend."""
    if "exec" in spec.handler:
        return run_probe(spec, target, runtime)
    return Outcome(True)


def exec_probe(runtime: Runtime, container_id: str, command: list[str], timeout: float) -> Outcome:
    result = runtime.exec(container_id, command, timeout)
    if result.exit_code is None:
        return Outcome(False, f"command {' '.join(command)!r} timed out after {timeout:g}s")
    return Outcome(result.exit_code == 0, result.output[:OUTPUT_LIMIT])


def _host(ip: str) -> str:
    return f"[{ip}]" if ":" in ip else ip


def http_probe(
    ip: str, action: Mapping[str, Any], ports: Mapping[str, int], timeout: float
) -> Outcome:
    port = port_number(action.get("port"), ports)
    scheme = str(action.get("scheme") or "HTTP").upper()
    path = str(action.get("path") or "/")
    path = path if path.startswith("/") else f"/{path}"
    url = f"{scheme.lower()}://{_host(ip)}:{port}{path}"
    headers = {"User-Agent": USER_AGENT, "Accept": "*/*"}
    for header in action.get("httpHeaders") or []:
        headers[str(header["name"])] = str(header.get("value", ""))
    conn: http.client.HTTPConnection
    if scheme == "HTTPS":
        # Kubelet does not verify a probed pod's certificate either.
        context = ssl._create_unverified_context()
        conn = http.client.HTTPSConnection(ip, port, timeout=timeout, context=context)
    else:
        conn = http.client.HTTPConnection(ip, port, timeout=timeout)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        body = response.read(OUTPUT_LIMIT).decode(errors="replace")
    except (OSError, http.client.HTTPException) as e:
        return Outcome(False, f'Get "{url}": {e}')
    finally:
        conn.close()
    if 200 <= response.status < 400:
        return Outcome(True, body)
    return Outcome(False, f"HTTP probe failed with statuscode: {response.status}")


def tcp_probe(ip: str, port: int, timeout: float) -> Outcome:
    try:
        socket.create_connection((ip, port), timeout=timeout).close()
    except OSError as e:
        return Outcome(False, f"dial tcp {_host(ip)}:{port}: {e}")
    return Outcome(True)
