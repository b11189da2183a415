"""A pod's status as its node reports it through ``pods/status``: sync and validation.

Kube's own checks (``ValidatePodStatusUpdate``): the QoS class never changes, pod and host IPs
are IPs (at most one per family, no duplicates), and a container that ended for good (its pod
does not restart it) stays ended. Pilothouse adds checks that kube leaves to its kubelet: the
phase and condition statuses are known values, and container statuses name containers of the
spec.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from cluster.registry import names
from cluster.registry.errors import Cause, forbidden, invalid, not_supported
from cluster.registry.kinds.formats import IMMUTABLE_PROBLEM, each, ip_causes, not_found, parse_ip
from cluster.registry.kinds.shapes import (
    child,
    entries,
    index,
    invalid_object,
    mapping,
    shown,
    text,
)

PHASES = ["Pending", "Running", "Succeeded", "Failed", "Unknown"]
CONDITION_STATUSES = ["True", "False", "Unknown"]
_SYSTEM_CONDITIONS = {"PodScheduled", "Ready", "Initialized"}


def sync_ips(status: dict[str, Any]) -> None:
    """v1 carries each IP twice (``podIP`` and ``podIPs[0].ip``); the list wins, as in kube."""
    for single, plural in (("podIP", "podIPs"), ("hostIP", "hostIPs")):
        listed = status.get(plural)
        if not listed and isinstance(status.get(single), str) and status[single]:
            status[plural] = [{"ip": status[single]}]
        elif isinstance(listed, list) and listed and isinstance(listed[0], dict):
            status[single] = listed[0].get("ip")


def validate_pod_status(new: dict[str, Any], old: dict[str, Any]) -> list[Cause]:
    status, old_status = mapping(new.get("status")), mapping(old.get("status"))
    spec = mapping(new.get("spec"))
    causes: list[Cause] = []
    phase = status.get("phase")
    if phase is not None and phase not in PHASES:
        causes.append(not_supported("status.phase", phase, PHASES))
    causes += _condition_causes(status.get("conditions"))
    nominated = status.get("nominatedNodeName")
    if (
        isinstance(nominated, str)
        and nominated
        and nominated != old_status.get("nominatedNodeName")
    ):
        problems = names.dns1123_subdomain(nominated)
        causes += each("status.nominatedNodeName", problems, nominated)
    if status.get("qosClass") != old_status.get("qosClass"):
        causes.append(invalid("status.qosClass", status.get("qosClass"), IMMUTABLE_PROBLEM))
    for field, containers in (
        ("containerStatuses", spec.get("containers")),
        ("initContainerStatuses", spec.get("initContainers")),
    ):
        declared = {text(c.get("name")) for _, c in entries(containers)}
        for i, container_status in entries(status.get(field)):
            name = text(container_status.get("name"))
            if name not in declared:
                causes.append(not_found(child(index(f"status.{field}", i), "name"), name))
    causes += _ended_containers_stay_ended(status, old_status, spec)
    causes += _ip_list_causes(status.get("podIPs"), "status.podIPs")
    return causes + _host_ip_causes(status)


def _condition_causes(conditions: Any) -> list[Cause]:
    causes: list[Cause] = []
    for i, condition in entries(conditions):
        kind = text(condition.get("type"))
        if kind not in _SYSTEM_CONDITIONS:
            # Kube reports custom condition types under this path (sic).
            field = child(index("metadata.conditions", i), "Type")
            causes += each(field, names.qualified_name(kind), kind)
        value = condition.get("status")
        if value not in CONDITION_STATUSES:
            field = child(index("status.conditions", i), "status")
            causes.append(not_supported(field, value, CONDITION_STATUSES))
    return causes


def _ended_containers_stay_ended(
    status: dict[str, Any], old_status: dict[str, Any], spec: dict[str, Any]
) -> list[Cause]:
    policy = spec.get("restartPolicy")
    if policy == "Always":
        return []
    sidecars = {
        text(c.get("name"))
        for _, c in entries(spec.get("initContainers"))
        if c.get("restartPolicy") == "Always"
    }
    causes = []
    for field in ("containerStatuses", "initContainerStatuses"):
        running_again = {
            text(s.get("name"))
            for _, s in entries(status.get(field))
            if mapping(s.get("state")).get("terminated") is None
        }
        for i, old in entries(old_status.get(field)):
            name = text(old.get("name"))
            ended = mapping(mapping(old.get("state")).get("terminated"))
            if not ended or (field == "initContainerStatuses" and name in sidecars):
                continue
            if ended.get("exitCode") != 0 and policy == "OnFailure":
                continue
            if name in running_again:
                path = child(index(f"status.{field}", i), "state")
                causes.append(forbidden(path, "may not be transitioned to non-terminated state"))
    return causes


def _ip_list_causes(listed: Any, path: str) -> list[Cause]:
    items = [(i, item, text(item.get("ip"))) for i, item in entries(listed)]
    causes: list[Cause] = []
    for i, _, address in items:
        causes += ip_causes(index(path, i), address)
    if len(items) < 2:
        return causes
    parsed = [parse_ip(address) for _, _, address in items]
    families = {isinstance(ip, ipaddress.IPv6Address) for ip in parsed if ip is not None}
    if len(items) > 2 or len(families) != 2:
        detail = "may specify no more than one IP for each IP family"
        causes.append(invalid_object(path, listed, detail))
    seen: set[str] = set()
    for i, item, address in items:
        if address in seen:
            message = f"Duplicate value: {shown(item)}"
            causes.append(Cause(index(path, i), message, "FieldValueDuplicate"))
        seen.add(address)
    return causes


def _host_ip_causes(status: dict[str, Any]) -> list[Cause]:
    listed = list(entries(status.get("hostIPs")))
    if not listed:
        return []
    first = text(listed[0][1].get("ip"))
    causes = []
    if status.get("hostIP") != first:
        causes.append(invalid("status.hostIPs[0].ip", first, "must be equal to `hostIP`"))
    return causes + _ip_list_causes(status.get("hostIPs"), "status.hostIPs")
