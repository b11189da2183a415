"""Security contexts, of a pod and of its containers, as kube validates them.

User and group IDs fit an unsigned 32-bit integer; seccomp profiles name a known type (and a
local file only for ``Localhost``); a container may not both forbid privilege escalation and
be privileged.
"""

from __future__ import annotations

from typing import Any

from cluster.registry.errors import Cause, forbidden, invalid, not_supported, required
from cluster.registry.kinds.formats import inclusive_range
from cluster.registry.kinds.shapes import (
    check_list_of,
    check_types,
    child,
    index,
    invalid_object,
    is_int,
    mapping,
    sequence,
    text,
    wrong_type,
)
from cluster.registry.kinds.volumes import descending_path_causes

MAX_ID = 4294967295


def id_causes(context: dict[str, Any], path: str, fields: tuple[str, ...]) -> list[Cause]:
    """User and group IDs, which must fit an unsigned 32-bit integer."""
    causes = check_types(context, path, dict.fromkeys(fields, "integer"))
    for field in fields:
        value = context.get(field)
        if is_int(value) and not 0 <= value <= MAX_ID:
            causes.append(invalid(child(path, field), value, inclusive_range(0, MAX_ID)))
    return causes


def seccomp_causes(profile: Any, path: str) -> list[Cause]:
    if profile is None:
        return []
    if not isinstance(profile, dict):
        return [wrong_type(path, profile, "an object")]
    kind, local = profile.get("type") or "", profile.get("localhostProfile")
    supported = ["Localhost", "RuntimeDefault", "Unconfined"]
    causes: list[Cause] = []
    if not kind:
        causes.append(required(child(path, "type"), "type is required when seccompProfile is set"))
    elif kind not in supported:
        causes.append(not_supported(child(path, "type"), kind, supported))
    if kind == "Localhost" and local is None:
        detail = "must be set when seccomp type is Localhost"
        causes.append(required(child(path, "localhostProfile"), detail))
    elif kind == "Localhost":
        causes += descending_path_causes(text(local), child(path, "localhostProfile"))
    elif local is not None:
        detail = "can only be set when seccomp type is Localhost"
        causes.append(invalid_object(child(path, "localhostProfile"), profile, detail))
    return causes


def container_security_causes(context: Any, path: str, host_users: bool) -> list[Cause]:
    """A container's ``securityContext`` (kube's ``ValidateSecurityContext``)."""
    if context is None:
        return []
    if not isinstance(context, dict):
        return [wrong_type(path, context, "an object")]
    causes = id_causes(context, path, ("runAsUser", "runAsGroup"))
    causes += check_types(
        context, path, {"privileged": "boolean", "allowPrivilegeEscalation": "boolean"}
    )
    proc_mount = context.get("procMount")
    if proc_mount is not None and proc_mount not in ("Default", "Unmasked"):
        causes.append(not_supported(child(path, "procMount"), proc_mount, ["Default", "Unmasked"]))
    if proc_mount == "Unmasked" and host_users:
        detail = "`hostUsers` must be false to use `Unmasked`"
        causes.append(invalid(child(path, "procMount"), proc_mount, detail))
    causes += seccomp_causes(context.get("seccompProfile"), child(path, "seccompProfile"))
    if context.get("allowPrivilegeEscalation") is False:
        if context.get("privileged") is True:
            detail = "cannot set `allowPrivilegeEscalation` to false and `privileged` to true"
            causes.append(invalid_object(path, context, detail))
        if "CAP_SYS_ADMIN" in sequence(mapping(context.get("capabilities")).get("add")):
            detail = (
                "cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` "
                "CAP_SYS_ADMIN"
            )
            causes.append(invalid_object(path, context, detail))
    return causes


def pod_security_causes(spec: dict[str, Any], path: str) -> list[Cause]:
    """The pod's ``securityContext``, and the host namespaces it may not share with hostUsers."""
    context, context_path = mapping(spec.get("securityContext")), child(path, "securityContext")
    causes = id_causes(context, context_path, ("runAsUser", "runAsGroup", "fsGroup"))
    groups_path = child(context_path, "supplementalGroups")
    causes += check_list_of(context.get("supplementalGroups"), groups_path, "integer")
    for i, group in enumerate(sequence(context.get("supplementalGroups"))):
        if is_int(group) and not 0 <= group <= MAX_ID:
            causes.append(invalid(index(groups_path, i), group, inclusive_range(0, MAX_ID)))
    if spec.get("shareProcessNamespace") is True and spec.get("hostPID") is True:
        detail = "ShareProcessNamespace and HostPID cannot both be enabled"
        causes.append(invalid(child(context_path, "shareProcessNamespace"), True, detail))
    policy = context.get("fsGroupChangePolicy")
    if policy is not None and policy not in ("Always", "OnRootMismatch"):
        field = child(context_path, "fsGroupChangePolicy")
        causes.append(not_supported(field, policy, ["Always", "OnRootMismatch"]))
    causes += seccomp_causes(context.get("seccompProfile"), child(context_path, "seccompProfile"))
    if context.get("hostUsers") is False:
        # Kube spells two of these paths with capitals.
        for field, spelled in (
            ("hostNetwork", "hostNetwork"),
            ("hostPID", "HostPID"),
            ("hostIPC", "HostIPC"),
        ):
            if spec.get(field) is True:
                causes.append(forbidden(child(path, spelled), "when `pod.Spec.HostUsers` is false"))
    return causes
