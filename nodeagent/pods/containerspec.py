"""One container of a pod spec as the runtime creates it: Kubernetes semantics, Docker terms.

- ``command`` replaces the image's ENTRYPOINT and ``args`` its CMD; an entrypoint given without
  args drops the image's CMD (Docker does not merge the image's CMD once the entrypoint is set).
- ``$(VAR)`` in command, args and env values expands to an earlier variable; ``$$`` is a ``$``.
- ``env`` takes plain values and the pod fields kubelet resolves (``fieldRef``), and gets the
  Service variables of ``nodeagent.services`` underneath.
- ``ports`` are recorded: exposed on the sandbox (which owns the network namespace) and in a
  label on the container (kubelet's ``io.kubernetes.container.ports``).
- ``resources.limits`` become NanoCPUs and a memory limit without extra swap.
- ``volumeMounts`` of emptyDir and hostPath volumes become bind mounts.

What cannot be honoured raises ``ConfigError``, which the pod shows as the container's
``CreateContainerConfigError``, as kubelet does.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nodeagent import labels, quantity
from nodeagent.runtime.base import ContainerConfig, Mount

_LABEL_REF = re.compile(r"^metadata\.(labels|annotations)\['([^']+)'\]$")


class ConfigError(Exception):
    """The container cannot be created as its spec says."""


@dataclass(frozen=True)
class PodContext:
    """What a container's config depends on besides its own spec."""

    pod: Mapping[str, Any]
    node_name: str
    host_ip: str
    pod_ip: str
    sandbox_id: str
    volume_path: Callable[[str], Path]
    # The Service variables (``nodeagent.services``) the container gets, under its own env.
    service_env: Mapping[str, str] = field(default_factory=dict)


def expand(text: str, values: Mapping[str, str]) -> str:
    """Kubernetes' ``$(VAR)`` expansion: unknown references stay as written."""
    out: list[str] = []
    i = 0
    while i < len(text):
        if text.startswith("$$", i):
            out.append("$")
            i += 2
            continue
        if text.startswith("$(", i):
            end = text.find(")", i + 2)
            if end != -1:
                name = text[i + 2 : end]
                out.append(values.get(name, text[i : end + 1]))
                i = end + 1
                continue
        out.append(text[i])
        i += 1
    return "".join(out)


def field_value(path: str, context: PodContext) -> str:
    """The value of a ``fieldRef`` (the fields kubelet resolves for env)."""
    meta = context.pod.get("metadata") or {}
    spec = context.pod.get("spec") or {}
    simple = {
        "metadata.name": meta.get("name"),
        "metadata.namespace": meta.get("namespace"),
        "metadata.uid": meta.get("uid"),
        "spec.nodeName": context.node_name,
        "spec.serviceAccountName": spec.get("serviceAccountName"),
        "status.hostIP": context.host_ip,
        "status.hostIPs": context.host_ip,
        "status.podIP": context.pod_ip,
        "status.podIPs": context.pod_ip,
    }
    if path in simple:
        return str(simple[path] or "")
    match = _LABEL_REF.match(path)
    if match:
        return str((meta.get(match.group(1)) or {}).get(match.group(2), ""))
    raise ConfigError(f"unsupported fieldRef fieldPath {path!r}")


def environment(container: Mapping[str, Any], context: PodContext) -> dict[str, str]:
    """The container's variables, in order, each expanded with the ones before it and with the
    Service variables; then the Service variables it does not set itself (kubelet's order)."""
    env: dict[str, str] = {}
    for var in container.get("env") or []:
        name = var["name"]
        source = var.get("valueFrom")
        if source is None:
            env[name] = expand(str(var.get("value") or ""), {**context.service_env, **env})
        elif "fieldRef" in source:
            env[name] = field_value(source["fieldRef"]["fieldPath"], context)
        else:
            kinds = ", ".join(sorted(source))
            raise ConfigError(f"env {name}: valueFrom {kinds} is not supported by this node")
    for name, value in context.service_env.items():
        env.setdefault(name, value)
    return env


def _mounts(container: Mapping[str, Any], context: PodContext) -> tuple[Mount, ...]:
    volumes = {v["name"]: v for v in (context.pod.get("spec") or {}).get("volumes") or []}
    mounts = []
    for mount in container.get("volumeMounts") or []:
        volume = volumes.get(mount["name"])
        if volume is None:
            raise ConfigError(f"volume {mount['name']!r} is not in the pod's volumes")
        if "emptyDir" in volume:
            source = context.volume_path(mount["name"])
        elif "hostPath" in volume:
            source = Path(volume["hostPath"]["path"])
        else:
            kinds = ", ".join(sorted(set(volume) - {"name"}))
            raise ConfigError(f"volume {mount['name']!r}: {kinds} is not supported by this node")
        sub_path = mount.get("subPath")
        if sub_path:
            source = source / sub_path
            source.mkdir(parents=True, exist_ok=True)
        mounts.append(Mount(str(source), mount["mountPath"], bool(mount.get("readOnly"))))
    return tuple(mounts)


def _limits(container: Mapping[str, Any]) -> tuple[int | None, int | None]:
    limits = (container.get("resources") or {}).get("limits") or {}
    try:
        cpu = quantity.nano_cpus(limits["cpu"]) if "cpu" in limits else None
        memory = quantity.byte_count(limits["memory"]) if "memory" in limits else None
    except ValueError as e:
        raise ConfigError(str(e)) from e
    return cpu, memory


def container_labels(
    pod: Mapping[str, Any], node_name: str, name: str, *, kind: str, restart_count: int = 0
) -> dict[str, str]:
    meta = pod.get("metadata") or {}
    return {
        labels.NODE: node_name,
        labels.POD_UID: str(meta.get("uid")),
        labels.POD_NAME: str(meta.get("name")),
        labels.POD_NAMESPACE: str(meta.get("namespace")),
        labels.CONTAINER_NAME: name,
        labels.CONTAINER_KIND: kind,
        labels.RESTART_COUNT: str(restart_count),
    }


def docker_name(pod: Mapping[str, Any], container: str, attempt: int) -> str:
    """Kubelet's container naming: k8s_<container>_<pod>_<namespace>_<uid>_<attempt>."""
    meta = pod.get("metadata") or {}
    return f"k8s_{container}_{meta.get('name')}_{meta.get('namespace')}_{meta.get('uid')}_{attempt}"


def container_config(
    container: Mapping[str, Any],
    context: PodContext,
    *,
    restart_count: int,
    init: bool,
) -> ContainerConfig:
    env = environment(container, context)
    command = container.get("command")
    args = container.get("args")
    cpu, memory = _limits(container)
    container_labels_ = container_labels(
        context.pod,
        context.node_name,
        container["name"],
        kind=labels.APP,
        restart_count=restart_count,
    )
    container_labels_[labels.INIT] = "true" if init else "false"
    if container.get("ports"):
        container_labels_[labels.PORTS] = json.dumps(container["ports"], separators=(",", ":"))
    return ContainerConfig(
        name=docker_name(context.pod, container["name"], restart_count),
        image=container["image"],
        labels=container_labels_,
        entrypoint=[expand(a, env) for a in command] if command else None,
        cmd=[expand(a, env) for a in args] if args else None,
        env=env,
        working_dir=container.get("workingDir"),
        nano_cpus=cpu,
        memory_bytes=memory,
        mounts=_mounts(container, context),
        sandbox_id=context.sandbox_id,
    )


def exposed_ports(pod: Mapping[str, Any]) -> tuple[tuple[int, str], ...]:
    """Every container port of the pod, as the sandbox (owner of the network) exposes them."""
    spec = pod.get("spec") or {}
    found = {
        (int(port["containerPort"]), str(port.get("protocol") or "TCP").lower())
        for c in [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]
        for port in c.get("ports") or []
        if port.get("containerPort")
    }
    return tuple(sorted(found))


def sandbox_config(
    pod: Mapping[str, Any], *, node_name: str, image: str, network: str, attempt: int
) -> ContainerConfig:
    """The pod's sandbox: the infra image with its own command, holding the network namespace."""
    spec = pod.get("spec") or {}
    meta = pod.get("metadata") or {}
    sandbox_labels = container_labels(pod, node_name, "POD", kind=labels.SANDBOX)
    sandbox_labels[labels.ATTEMPT] = str(attempt)
    return ContainerConfig(
        name=docker_name(pod, "POD", attempt),
        image=image,
        labels=sandbox_labels,
        network=network,
        hostname=str(spec.get("hostname") or meta.get("name"))[:63],
        exposed_ports=exposed_ports(pod),
    )
