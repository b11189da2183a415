"""Nodes: kube's ``pkg/registry/core/node``.

A node agent registers its Node with status included (kube allows status on create); after
that, status changes only through ``nodes/status`` and a plain update keeps the stored one.
``spec.podCIDRs`` (mirrored in the older ``spec.podCIDR``) may be set once, then never changes;
so with ``spec.providerID``. Taints are unique by key and effect.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from cluster.registry.errors import Cause, duplicate, forbidden, invalid, not_supported, required
from cluster.registry.kinds import quantity
from cluster.registry.kinds.formats import NEGATIVE_PROBLEM, cidr_causes, parse_cidr
from cluster.registry.kinds.podresources import default_resource_list
from cluster.registry.kinds.scheduling import validate_taints
from cluster.registry.kinds.shapes import (
    check_list_of,
    check_types,
    child,
    entries,
    index,
    invalid_object,
    mapping,
    sequence,
    shown,
    text,
)
from cluster.registry.strategy import StatusStrategy, Strategy
from cluster.store.types import Object

ADDRESS_TYPES = ["Hostname", "InternalIP", "ExternalIP", "InternalDNS", "ExternalDNS"]
CONDITION_STATUSES = ["True", "False", "Unknown"]
_CIDR_CHANGE = 'node updates may not change podCIDR except from "" to valid'
_PROVIDER_CHANGE = 'node updates may not change providerID except from "" to valid'
_SPEC_TYPES = {
    "podCIDR": "string",
    "podCIDRs": "list",
    "providerID": "string",
    "unschedulable": "boolean",
    "taints": "list",
}


def default_node_status(status: Any) -> None:
    """Allocatable defaults to capacity; quantities are rounded and printed as kube does."""
    if not isinstance(status, dict):
        return
    if status.get("allocatable") is None and isinstance(status.get("capacity"), dict):
        status["allocatable"] = dict(status["capacity"])
    default_resource_list(status.get("capacity"))
    default_resource_list(status.get("allocatable"))


def _resource_causes(status: dict[str, Any]) -> list[Cause]:
    """Capacity and allocatable quantities; kube names them ``status.capacity.cpu``."""
    causes: list[Cause] = []
    for field in ("capacity", "allocatable"):
        for name, raw in mapping(status.get(field)).items():
            path = f"status.{field}.{name}"
            try:
                amount = quantity.parse(raw)
            except quantity.QuantityError as err:
                causes.append(invalid(path, raw, str(err)))
                continue
            if amount.value < 0:
                causes.append(invalid(path, str(amount), NEGATIVE_PROBLEM))
    return causes


def _cidr_causes(cidrs: list[Any]) -> list[Cause]:
    path = "spec.podCIDRs"
    causes = check_list_of(cidrs, path, "string")
    for i, cidr in enumerate(cidrs):
        if isinstance(cidr, str):
            causes += cidr_causes(index(path, i), cidr)
    if len(cidrs) > 1:
        networks = [parse_cidr(text(cidr)) for cidr in cidrs]
        families = {isinstance(n, ipaddress.IPv6Network) for n in networks if n is not None}
        if len(cidrs) > 2 or len(families) != 2:
            detail = "may specify no more than one CIDR for each IP family"
            causes.append(invalid_object(path, cidrs, detail))
        seen: set[str] = set()
        for i, cidr in enumerate(map(text, cidrs)):
            if cidr in seen:
                causes.append(duplicate(index(path, i), cidr))
            seen.add(cidr)
    return causes


def _status_causes(status: dict[str, Any]) -> list[Cause]:
    causes = _resource_causes(status)
    seen: list[dict[str, Any]] = []
    for i, address in entries(status.get("addresses")):
        path = index("status.addresses", i)
        kind = address.get("type")
        if kind not in ADDRESS_TYPES:
            causes.append(not_supported(child(path, "type"), kind, ADDRESS_TYPES))
        if not address.get("address"):
            causes.append(required(child(path, "address")))
        if address in seen:
            causes.append(Cause(path, f"Duplicate value: {shown(address)}", "FieldValueDuplicate"))
        seen.append(address)
    for i, condition in entries(status.get("conditions")):
        path = index("status.conditions", i)
        if not condition.get("type"):
            causes.append(required(child(path, "type")))
        if condition.get("status") not in CONDITION_STATUSES:
            field = child(path, "status")
            causes.append(not_supported(field, condition.get("status"), CONDITION_STATUSES))
    return causes


class NodeStrategy(Strategy):
    namespaced = False
    preserves_status = True
    generation_fields = ()

    def default(self, obj: Object) -> None:
        spec = obj.get("spec")
        if isinstance(spec, dict):
            # v1 mirrors the first of podCIDRs in the older podCIDR; the list is the truth.
            cidrs = spec.get("podCIDRs")
            if not cidrs and isinstance(spec.get("podCIDR"), str) and spec["podCIDR"]:
                spec["podCIDRs"] = [spec["podCIDR"]]
            elif isinstance(cidrs, list) and cidrs:
                spec["podCIDR"] = cidrs[0]
        default_node_status(obj.get("status"))

    def prepare_for_create(self, obj: Object) -> None:
        """Unlike most kinds, a node may be created with its status (its agent registers it)."""

    def validate(self, obj: Object) -> list[Cause]:
        spec = mapping(obj.get("spec"))
        causes = check_types(spec, "spec", _SPEC_TYPES)
        # Kube reports node taints under "metadata.taints" (sic).
        causes += validate_taints(spec.get("taints"), "metadata.taints")
        causes += _status_causes(mapping(obj.get("status")))
        return causes + _cidr_causes(sequence(spec.get("podCIDRs")))

    def validate_update(self, new: Object, old: Object) -> list[Cause]:
        causes = self.validate(new)
        spec, old_spec = mapping(new.get("spec")), mapping(old.get("spec"))
        old_cidrs, cidrs = sequence(old_spec.get("podCIDRs")), sequence(spec.get("podCIDRs"))
        if old_cidrs and len(old_cidrs) != len(cidrs):
            causes.append(forbidden("spec.podCIDRs", _CIDR_CHANGE))
        elif old_cidrs:
            changed = sum(1 for a, b in zip(old_cidrs, cidrs, strict=True) if a != b)
            causes += [forbidden("spec.podCIDRs", _CIDR_CHANGE)] * changed
        old_provider = old_spec.get("providerID")
        if old_provider and old_provider != spec.get("providerID"):
            causes.append(forbidden("spec.providerID", _PROVIDER_CHANGE))
        if spec.get("externalID") != old_spec.get("externalID"):
            causes.append(forbidden("spec.externalID", "may not be updated"))
        return causes


class NodeStatusStrategy(StatusStrategy):
    """``nodes/status``: addresses, capacity, allocatable, conditions, as the agent reports."""

    def prepare_for_update(self, new: Object, old: Object) -> None:
        super().prepare_for_update(new, old)
        default_node_status(new.get("status"))

    def validate_status(self, new: Object, old: Object) -> list[Cause]:
        return _status_causes(mapping(new.get("status")))
