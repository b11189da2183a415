"""Containers and init containers of a pod spec: defaults and kube's validation.

Defaults (``SetDefaults_Container``): the image pull policy follows the image tag (``Always``
for ``latest`` or no tag, ``IfNotPresent`` for any other tag or a digest), the termination
message goes to ``/dev/termination-log`` read as a ``File``, ports speak TCP, and ``resources``
is always present. Validation follows ``validateContainers`` and ``validateInitContainers``.
"""

from __future__ import annotations

import re
from typing import Any

from cluster.registry import names
from cluster.registry.errors import Cause, duplicate, forbidden, invalid, not_supported, required
from cluster.registry.kinds import envvars, probes
from cluster.registry.kinds.formats import (
    PROTOCOLS,
    each,
    not_found,
    port_name_problems,
    port_number_problems,
)
from cluster.registry.kinds.podresources import default_resource_list, validate_resources
from cluster.registry.kinds.securitycontext import container_security_causes
from cluster.registry.kinds.shapes import (
    check_list_of,
    check_types,
    child,
    entries,
    index,
    is_int,
    mapping,
    text,
    wrong_type,
)
from cluster.registry.kinds.volumes import descending_path_causes

TERMINATION_MESSAGE_PATH = "/dev/termination-log"
PULL_POLICIES = ["Always", "IfNotPresent", "Never"]
TERMINATION_MESSAGE_POLICIES = ["File", "FallbackToLogsOnError"]
MOUNT_PROPAGATIONS = ["Bidirectional", "HostToContainer", "None"]

# The image reference grammar of the distribution project, which kube parses images with.
_COMPONENT = "[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*"
_DOMAIN_PART = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = rf"(?:{_DOMAIN_PART}(?:\.{_DOMAIN_PART})*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?"
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9A-Fa-f]{32,}"
_IMAGE_RE = re.compile(
    rf"^(?:{_DOMAIN}/)?{_COMPONENT}(?:/{_COMPONENT})*(?::({_TAG}))?(?:@({_DIGEST}))?$"
)
_PROBES = {"livenessProbe": "liveness", "readinessProbe": "readiness", "startupProbe": "startup"}
_CONTAINER_TYPES = {
    "name": "string",
    "image": "string",
    "workingDir": "string",
    "imagePullPolicy": "string",
    "terminationMessagePath": "string",
    "terminationMessagePolicy": "string",
    "stdin": "boolean",
    "stdinOnce": "boolean",
    "tty": "boolean",
}


def pull_policy_for(image: str) -> str:
    """``Always`` for the ``latest`` tag or none at all; ``IfNotPresent`` otherwise."""
    match = _IMAGE_RE.match(image)
    if match is None:
        return "IfNotPresent"
    tag, digest = match.groups()
    return "Always" if tag == "latest" or not (tag or digest) else "IfNotPresent"


def default_container(container: dict[str, Any]) -> None:
    if not container.get("imagePullPolicy"):
        container["imagePullPolicy"] = pull_policy_for(text(container.get("image")))
    if not container.get("terminationMessagePath"):
        container["terminationMessagePath"] = TERMINATION_MESSAGE_PATH
    if not container.get("terminationMessagePolicy"):
        container["terminationMessagePolicy"] = "File"
    for _, port in entries(container.get("ports")):
        if not port.get("protocol"):
            port["protocol"] = "TCP"
    envvars.default_env(container.get("env"))
    if container.get("resources") is None:
        container["resources"] = {}
    requirements = mapping(container["resources"])
    default_resource_list(requirements.get("limits"))
    default_resource_list(requirements.get("requests"))
    for field in _PROBES:
        probes.default_probe(container.get(field))
    probes.default_lifecycle(container.get("lifecycle"))


def validate_containers(
    spec: dict[str, Any],
    path: str,
    volumes: dict[str, dict[str, Any]],
    grace: int | None,
) -> list[Cause]:
    """``spec.containers`` and ``spec.initContainers`` of a pod spec at ``path``."""
    containers, init_containers = spec.get("containers"), spec.get("initContainers")
    containers_path, init_path = child(path, "containers"), child(path, "initContainers")
    host_users = mapping(spec.get("securityContext")).get("hostUsers") is not False
    causes: list[Cause] = []
    if not isinstance(containers, list) or not containers:
        if containers is not None and not isinstance(containers, list):
            causes.append(wrong_type(containers_path, containers, "a list"))
        else:
            causes.append(required(containers_path))
    else:
        causes += _regular(containers, containers_path, volumes, grace, host_users)
    if init_containers is not None and not isinstance(init_containers, list):
        causes.append(wrong_type(init_path, init_containers, "a list"))
    else:
        taken = {text(c.get("name")) for _, c in entries(containers)}
        causes += _init(init_containers or [], init_path, volumes, grace, host_users, taken)
    return causes


def _regular(
    containers: list[Any],
    path: str,
    volumes: dict[str, dict[str, Any]],
    grace: int | None,
    host_users: bool,
) -> list[Cause]:
    causes: list[Cause] = []
    seen: set[str] = set()
    for i, container in _each_container(containers, path, causes):
        container_path = index(path, i)
        causes += _common(container, container_path, volumes, host_users)
        name = text(container.get("name"))
        if name in seen:
            causes.append(duplicate(child(container_path, "name"), name))
        seen.add(name)
        causes += probes.validate_lifecycle(
            container.get("lifecycle"), child(container_path, "lifecycle"), grace
        )
        for field, kind in _PROBES.items():
            probe_path = child(container_path, field)
            causes += probes.validate_probe(container.get(field), probe_path, kind, grace)
        if container.get("restartPolicy") is not None:
            detail = "may not be set for non-init containers"
            causes.append(forbidden(child(container_path, "restartPolicy"), detail))
    return causes + _host_port_conflicts(list(entries(containers)), path)


def _init(
    containers: list[Any],
    path: str,
    volumes: dict[str, dict[str, Any]],
    grace: int | None,
    host_users: bool,
    taken: set[str],
) -> list[Cause]:
    causes: list[Cause] = []
    seen = set(taken)
    for i, container in _each_container(containers, path, causes):
        container_path = index(path, i)
        causes += _common(container, container_path, volumes, host_users)
        restart = container.get("restartPolicy")
        if restart is not None and restart != "Always":
            causes.append(
                not_supported(child(container_path, "restartPolicy"), restart, ["Always"])
            )
        name = text(container.get("name"))
        if name in seen:
            causes.append(duplicate(child(container_path, "name"), name))
        elif name:
            seen.add(name)
        # Init containers run one by one, so kube checks each alone (and reports it as [0]).
        causes += _host_port_conflicts([(0, container)], path)
        causes += _init_hooks(container, container_path, grace, sidecar=restart == "Always")
    return causes


def _init_hooks(
    container: dict[str, Any], path: str, grace: int | None, *, sidecar: bool
) -> list[Cause]:
    if sidecar:
        causes = probes.validate_lifecycle(
            container.get("lifecycle"), child(path, "lifecycle"), grace
        )
        for field, kind in _PROBES.items():
            causes += probes.validate_probe(container.get(field), child(path, field), kind, grace)
        return causes
    detail = "may not be set for init containers without restartPolicy=Always"
    return [
        forbidden(child(path, field), detail)
        for field in ("lifecycle", *_PROBES)
        if container.get(field) is not None
    ]


def _each_container(
    containers: list[Any], path: str, causes: list[Cause]
) -> list[tuple[int, dict[str, Any]]]:
    """The containers that are objects; a cause for each entry that is not."""
    for i, container in enumerate(containers):
        if not isinstance(container, dict):
            causes.append(wrong_type(index(path, i), container, "an object"))
    return list(entries(containers))


def _common(
    container: dict[str, Any], path: str, volumes: dict[str, dict[str, Any]], host_users: bool
) -> list[Cause]:
    """Kube's ``validateContainerCommon``: what every kind of container must satisfy."""
    causes = check_types(container, path, _CONTAINER_TYPES)
    causes += check_list_of(container.get("command"), child(path, "command"), "string")
    causes += check_list_of(container.get("args"), child(path, "args"), "string")
    name = container.get("name")
    if not name:
        causes.append(required(child(path, "name")))
    elif isinstance(name, str):
        causes += each(child(path, "name"), names.dns1123_label(name), name)
    if not container.get("image"):
        causes.append(required(child(path, "image")))
    policy = container.get("terminationMessagePolicy") or ""
    if not policy:
        causes.append(required(child(path, "terminationMessagePolicy")))
    elif policy not in TERMINATION_MESSAGE_POLICIES:
        field = child(path, "terminationMessagePolicy")
        causes.append(not_supported(field, policy, TERMINATION_MESSAGE_POLICIES))
    causes += _ports(container.get("ports"), child(path, "ports"))
    causes += envvars.validate_env(container.get("env"), child(path, "env"))
    causes += envvars.validate_env_from(container.get("envFrom"), child(path, "envFrom"))
    causes += _mounts(container, child(path, "volumeMounts"), volumes)
    pull_policy = container.get("imagePullPolicy") or ""
    if not pull_policy:
        causes.append(required(child(path, "imagePullPolicy")))
    elif pull_policy not in PULL_POLICIES:
        causes.append(not_supported(child(path, "imagePullPolicy"), pull_policy, PULL_POLICIES))
    causes += validate_resources(container.get("resources"), child(path, "resources"))
    security = container.get("securityContext")
    return causes + container_security_causes(security, child(path, "securityContext"), host_users)


def _ports(ports: Any, path: str) -> list[Cause]:
    if ports is None:
        return []
    if not isinstance(ports, list):
        return [wrong_type(path, ports, "a list")]
    causes: list[Cause] = []
    seen: set[str] = set()
    for i, port in entries(ports):
        port_path = index(path, i)
        causes += check_types(
            port, port_path, {"name": "string", "containerPort": "integer", "hostPort": "integer"}
        )
        name = text(port.get("name"))
        if name:
            problems = port_name_problems(name)
            if problems:
                causes += each(child(port_path, "name"), problems, name)
            elif name in seen:
                causes.append(duplicate(child(port_path, "name"), name))
            seen.add(name)
        container_port = port.get("containerPort")
        if not container_port:
            causes.append(required(child(port_path, "containerPort")))
        elif is_int(container_port):
            problems = port_number_problems(container_port)
            causes += each(child(port_path, "containerPort"), problems, container_port)
        host_port = port.get("hostPort")
        if host_port and is_int(host_port):
            causes += each(child(port_path, "hostPort"), port_number_problems(host_port), host_port)
        protocol = port.get("protocol") or ""
        if not protocol:
            causes.append(required(child(port_path, "protocol")))
        elif protocol not in PROTOCOLS:
            causes.append(not_supported(child(port_path, "protocol"), protocol, PROTOCOLS))
    return causes


def _host_port_conflicts(containers: list[tuple[int, dict[str, Any]]], path: str) -> list[Cause]:
    causes: list[Cause] = []
    taken: set[str] = set()
    for i, container in containers:
        for j, port in entries(container.get("ports")):
            host_port = port.get("hostPort")
            if not host_port:
                continue
            claim = f"{text(port.get('protocol'))}/{text(port.get('hostIP'))}/{host_port}"
            if claim in taken:
                field = child(index(child(index(path, i), "ports"), j), "hostPort")
                causes.append(duplicate(field, claim))
            taken.add(claim)
    return causes


def _mounts(
    container: dict[str, Any], path: str, volumes: dict[str, dict[str, Any]]
) -> list[Cause]:
    mounts = container.get("volumeMounts")
    if mounts is not None and not isinstance(mounts, list):
        return [wrong_type(path, mounts, "a list")]
    privileged = mapping(container.get("securityContext")).get("privileged") is True
    causes: list[Cause] = []
    mount_points: set[str] = set()
    for i, mount in entries(mounts):
        mount_path = index(path, i)
        name, target = text(mount.get("name")), text(mount.get("mountPath"))
        if not name:
            causes.append(required(child(mount_path, "name")))
        if name not in volumes:
            causes.append(not_found(child(mount_path, "name"), name))
        if not target:
            causes.append(required(child(mount_path, "mountPath")))
        if target in mount_points:
            causes.append(invalid(child(mount_path, "mountPath"), target, "must be unique"))
        mount_points.add(target)
        causes += _sub_paths(mount, mount_path, path)
        causes += _propagation(mount.get("mountPropagation"), path, privileged)
    return causes


def _sub_paths(mount: dict[str, Any], mount_path: str, list_path: str) -> list[Cause]:
    # Kube reports subPath problems under the list's path, not the mount's.
    sub_path, expression = text(mount.get("subPath")), text(mount.get("subPathExpr"))
    causes = descending_path_causes(sub_path, child(list_path, "subPath")) if sub_path else []
    if expression:
        if sub_path:
            detail = "subPathExpr and subPath are mutually exclusive"
            causes.append(invalid(child(mount_path, "subPathExpr"), expression, detail))
        causes += descending_path_causes(expression, child(list_path, "subPathExpr"))
    return causes


def _propagation(mode: Any, list_path: str, privileged: bool) -> list[Cause]:
    if mode is None:
        return []
    field = child(list_path, "mountPropagation")
    causes = [] if mode in MOUNT_PROPAGATIONS else [not_supported(field, mode, MOUNT_PROPAGATIONS)]
    if mode == "Bidirectional" and not privileged:
        detail = "Bidirectional mount propagation is available only to privileged containers"
        causes.append(forbidden(field, detail))
    return causes
