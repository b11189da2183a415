"""Probes and lifecycle hooks of a container: their defaults and kube's validation.

A probe or hook names exactly one handler (exec, httpGet, tcpSocket, grpc; hooks may also
sleep). Probes default their timing (1 s timeout, every 10 s, 1 success, 3 failures) and an
HTTP handler defaults to ``GET /`` over HTTP.
"""

from __future__ import annotations

from typing import Any

from cluster.registry.errors import Cause, forbidden, invalid, not_supported, required
from cluster.registry.kinds.formats import (
    NEGATIVE_PROBLEM,
    each,
    http_header_name_problems,
    port_name_problems,
    port_number_problems,
)
from cluster.registry.kinds.shapes import (
    check_types,
    child,
    entries,
    is_int,
    mapping,
    wrong_type,
)

PROBE_DEFAULTS = {
    "timeoutSeconds": 1,
    "periodSeconds": 10,
    "successThreshold": 1,
    "failureThreshold": 3,
}
_PROBE_HANDLERS = ("exec", "httpGet", "tcpSocket", "grpc")
_HOOK_HANDLERS = ("exec", "httpGet", "tcpSocket", "sleep")
_PROBE_NUMBERS = (
    "initialDelaySeconds",
    "timeoutSeconds",
    "periodSeconds",
    "successThreshold",
    "failureThreshold",
)


def default_http_get(handler: dict[str, Any]) -> None:
    http_get = handler.get("httpGet")
    if isinstance(http_get, dict):
        if not http_get.get("path"):
            http_get["path"] = "/"
        if not http_get.get("scheme"):
            http_get["scheme"] = "HTTP"


def default_probe(probe: Any) -> None:
    if not isinstance(probe, dict):
        return
    for name, value in PROBE_DEFAULTS.items():
        if not probe.get(name):
            probe[name] = value
    default_http_get(probe)
    grpc = probe.get("grpc")
    if isinstance(grpc, dict) and grpc.get("service") is None:
        grpc["service"] = ""


def default_lifecycle(lifecycle: Any) -> None:
    for hook in ("postStart", "preStop"):
        handler = mapping(lifecycle).get(hook)
        if isinstance(handler, dict):
            default_http_get(handler)


def port_causes(port: Any, path: str) -> list[Cause]:
    """A port given by number or by name (kube's ``ValidatePortNumOrName``)."""
    if port is None:
        port = 0
    if is_int(port):
        return each(path, port_number_problems(port), port)
    if isinstance(port, str):
        return each(path, port_name_problems(port), port)
    return [wrong_type(path, port, "a port number or name")]


def _handler_causes(
    handler: dict[str, Any], kinds: tuple[str, ...], path: str, grace: int | None
) -> list[Cause]:
    causes: list[Cause] = []
    chosen = [kind for kind in kinds if handler.get(kind) is not None]
    if not chosen:
        return [required(path, "must specify a handler type")]
    for extra in chosen[1:]:
        causes.append(forbidden(child(path, extra), "may not specify more than 1 handler type"))
    kind = chosen[0]
    action, action_path = handler[kind], child(path, kind)
    if not isinstance(action, dict):
        return [*causes, wrong_type(action_path, action, "an object")]
    if kind == "exec":
        if not action.get("command"):
            causes.append(required(child(action_path, "command")))
    elif kind == "httpGet":
        causes += _http_get_causes(action, action_path)
    elif kind in ("tcpSocket", "grpc"):
        causes += port_causes(action.get("port"), child(action_path, "port"))
    else:
        causes += _sleep_causes(action.get("seconds"), action_path, grace)
    return causes


def _http_get_causes(action: dict[str, Any], path: str) -> list[Cause]:
    causes = check_types(action, path, {"path": "string", "host": "string", "scheme": "string"})
    if not action.get("path"):
        causes.append(required(child(path, "path")))
    causes += port_causes(action.get("port"), child(path, "port"))
    scheme = action.get("scheme") or ""
    if scheme not in ("HTTP", "HTTPS"):
        causes.append(not_supported(child(path, "scheme"), scheme, ["HTTP", "HTTPS"]))
    for _, header in entries(action.get("httpHeaders")):
        name = header.get("name")
        name = name if isinstance(name, str) else ""
        causes += each(child(path, "httpHeaders"), http_header_name_problems(name), name)
    return causes


def _sleep_causes(seconds: Any, path: str, grace: int | None) -> list[Cause]:
    if not is_int(seconds):
        return [wrong_type(child(path, "seconds"), seconds, "an integer")]
    if grace is not None and not 0 <= seconds <= grace:
        detail = f"must be non-negative and less than terminationGracePeriodSeconds ({grace})"
        return [invalid(path, seconds, detail)]
    return []


def validate_probe(probe: Any, path: str, kind: str, grace: int | None) -> list[Cause]:
    """A liveness, readiness or startup probe (``kind``), if the container has one."""
    if probe is None:
        return []
    if not isinstance(probe, dict):
        return [wrong_type(path, probe, "an object")]
    causes = _handler_causes(probe, _PROBE_HANDLERS, path, grace)
    causes += check_types(probe, path, dict.fromkeys(_PROBE_NUMBERS, "integer"))
    for name in _PROBE_NUMBERS:
        value = probe.get(name)
        if is_int(value) and value < 0:
            causes.append(invalid(child(path, name), value, NEGATIVE_PROBLEM))
    grace_path = child(path, "terminationGracePeriodSeconds")
    grace_override = probe.get("terminationGracePeriodSeconds")
    if is_int(grace_override) and grace_override <= 0:
        causes.append(invalid(grace_path, grace_override, "must be greater than 0"))
    if kind == "readiness" and grace_override is not None:
        causes.append(invalid(grace_path, grace_override, "must not be set for readinessProbes"))
    if kind != "readiness" and probe.get("successThreshold") != 1:
        value = probe.get("successThreshold")
        causes.append(invalid(child(path, "successThreshold"), value, "must be 1"))
    return causes


def validate_lifecycle(lifecycle: Any, path: str, grace: int | None) -> list[Cause]:
    if lifecycle is None:
        return []
    if not isinstance(lifecycle, dict):
        return [wrong_type(path, lifecycle, "an object")]
    causes: list[Cause] = []
    for hook in ("postStart", "preStop"):
        handler = lifecycle.get(hook)
        if isinstance(handler, dict):
            causes += _handler_causes(handler, _HOOK_HANDLERS, child(path, hook), grace)
        elif handler is not None:
            causes.append(wrong_type(child(path, hook), handler, "an object"))
    return causes
