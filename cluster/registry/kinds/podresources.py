"""A container's compute resources: defaults, validation, and the pod's QoS class.

Requests and limits are maps of resource names to quantities. Kube rounds each quantity up to
a thousandth and prints it canonically; a pod (not a template) also takes missing requests from
its limits. Validation follows ``validateResourceRequirements``: known or fully qualified names,
non-negative quantities, whole numbers for extended resources, requests no larger than limits
(and equal to them for resources that cannot be overcommitted, such as hugepages).
"""

from __future__ import annotations

from collections import defaultdict
from fractions import Fraction
from typing import Any

from cluster.registry import names
from cluster.registry.errors import Cause, forbidden, invalid, required
from cluster.registry.kinds import quantity
from cluster.registry.kinds.formats import NEGATIVE_PROBLEM, each
from cluster.registry.kinds.shapes import check_types, child, entries, key, mapping, wrong_type

HUGEPAGES_PREFIX = "hugepages-"
_CONTAINER_RESOURCES = {"cpu", "memory", "ephemeral-storage"}
# Kube's standard resource names; outside containers they name quota and limit-range entries.
_STANDARD_RESOURCES = _CONTAINER_RESOURCES | {
    "requests.cpu",
    "requests.memory",
    "requests.ephemeral-storage",
    "requests.storage",
    "limits.cpu",
    "limits.memory",
    "limits.ephemeral-storage",
    "pods",
    "services",
    "replicationcontrollers",
    "resourcequotas",
    "secrets",
    "configmaps",
    "persistentvolumeclaims",
    "storage",
    "services.nodeports",
    "services.loadbalancers",
}
_QOS_RESOURCES = ("cpu", "memory")


def parse_or_none(raw: Any) -> quantity.Quantity | None:
    try:
        return quantity.parse(raw)
    except quantity.QuantityError:
        return None


def default_resource_list(resources: Any) -> None:
    """Round every well-formed quantity up to a thousandth and print it canonically."""
    for name, raw in mapping(resources).items():
        try:
            resources[name] = quantity.rounded_text(raw)
        except quantity.QuantityError:
            continue


def default_requests_from_limits(requirements: dict[str, Any]) -> None:
    """A pod's container requests what it limits, unless it says otherwise."""
    limits = requirements.get("limits")
    if not isinstance(limits, dict):
        return
    requests = requirements.get("requests")
    if not isinstance(requests, dict):
        requests = requirements["requests"] = {}
    for name, value in limits.items():
        requests.setdefault(name, value)


def _is_native(name: str) -> bool:
    return "/" not in name or "kubernetes.io/" in name


def _is_hugepages(name: str) -> bool:
    return name.startswith(HUGEPAGES_PREFIX)


def _is_extended(name: str) -> bool:
    if _is_native(name) or name.startswith("requests."):
        return False
    return not names.qualified_name("requests." + name)


def _overcommit_allowed(name: str) -> bool:
    return _is_native(name) and not _is_hugepages(name)


def _name_causes(name: str, path: str) -> list[Cause]:
    """Kube's ``validateContainerResourceName``."""
    causes = each(path, names.qualified_name(name), name)
    if not causes and "/" not in name and not (name in _STANDARD_RESOURCES or _is_hugepages(name)):
        causes.append(invalid(path, name, "must be a standard resource type or fully qualified"))
    if "/" not in name:
        if name not in _CONTAINER_RESOURCES and not _is_hugepages(name):
            causes.append(invalid(path, name, "must be a standard resource for containers"))
    elif not _is_native(name) and not _is_extended(name):
        causes.append(invalid(path, name, "doesn't follow extended resource name standard"))
    return causes


def _quantity_causes(
    name: str, raw: Any, path: str
) -> tuple[quantity.Quantity | None, list[Cause]]:
    try:
        parsed = quantity.parse(raw)
    except quantity.QuantityError as err:
        return None, [invalid(path, raw, str(err))]
    causes = []
    if parsed.value < 0:
        causes.append(invalid(path, str(parsed), NEGATIVE_PROBLEM))
    if _is_extended(name) and parsed.rounded_up().value.denominator != 1:
        causes.append(invalid(path, str(parsed), "must be an integer"))
    if _is_hugepages(name) and not _divides_into_pages(name, parsed):
        causes.append(
            invalid(path, str(parsed), f"{parsed} is not positive integer multiple of {name}")
        )
    return parsed, causes


def _divides_into_pages(name: str, amount: quantity.Quantity) -> bool:
    page = parse_or_none(name[len(HUGEPAGES_PREFIX) :])
    if page is None or page.value <= 0 or amount.value < 0:
        return False
    return amount.whole() % page.whole() == 0


def validate_resources(requirements: Any, path: str) -> list[Cause]:
    """The ``resources`` of one container."""
    if requirements is None:
        return []
    if not isinstance(requirements, dict):
        return [wrong_type(path, requirements, "an object")]
    causes = check_types(requirements, path, {"limits": "object", "requests": "object"})
    limits_path, requests_path = child(path, "limits"), child(path, "requests")
    limits: dict[str, quantity.Quantity] = {}
    for name, raw in mapping(requirements.get("limits")).items():
        causes += _name_causes(name, key(limits_path, name))
        parsed, problems = _quantity_causes(name, raw, key(limits_path, name))
        causes += problems
        if parsed is not None:
            limits[name] = parsed
    requests = mapping(requirements.get("requests"))
    for name, raw in requests.items():
        causes += _name_causes(name, key(requests_path, name))
        parsed, problems = _quantity_causes(name, raw, key(requests_path, name))
        causes += problems
        if name in limits or name not in mapping(requirements.get("limits")):
            causes += _request_within_limit(name, parsed, limits, requests_path, limits_path)
    touched = set(limits) | set(requests)
    if any(_is_hugepages(n) for n in touched) and not touched & set(_QOS_RESOURCES):
        causes.append(forbidden(path, "HugePages require cpu or memory"))
    return causes


def _request_within_limit(
    name: str,
    request: quantity.Quantity | None,
    limits: dict[str, quantity.Quantity],
    requests_path: str,
    limits_path: str,
) -> list[Cause]:
    limit = limits.get(name)
    if limit is None:
        if _overcommit_allowed(name):
            return []
        return [required(limits_path, "Limit must be set for non overcommitable resources")]
    if request is None:
        return []
    if request.value != limit.value and not _overcommit_allowed(name):
        detail = f"must be equal to {name} limit of {limit}"
        return [invalid(requests_path, str(request), detail)]
    if request.value > limit.value:
        detail = f"must be less than or equal to {name} limit of {limit}"
        return [invalid(requests_path, str(request), detail)]
    return []


def qos_class(spec: dict[str, Any]) -> str:
    """BestEffort, Burstable or Guaranteed, from the CPU and memory of every container."""
    requests: dict[str, Fraction] = defaultdict(Fraction)
    limits: dict[str, Fraction] = defaultdict(Fraction)
    guaranteed = True
    for _, container in [*entries(spec.get("containers")), *entries(spec.get("initContainers"))]:
        requirements = mapping(container.get("resources"))
        _add_positive(requests, mapping(requirements.get("requests")))
        if not set(_QOS_RESOURCES) <= _add_positive(limits, mapping(requirements.get("limits"))):
            guaranteed = False
    if not requests and not limits:
        return "BestEffort"
    matched = all(limits.get(name) == amount for name, amount in requests.items())
    if guaranteed and matched and len(requests) == len(limits):
        return "Guaranteed"
    return "Burstable"


def _add_positive(totals: dict[str, Fraction], resources: dict[str, Any]) -> set[str]:
    """Add the positive CPU and memory amounts to ``totals``; return the names added."""
    added = set()
    for name in _QOS_RESOURCES:
        parsed = parse_or_none(resources.get(name))
        if parsed is not None and parsed.value > 0:
            totals[name] += parsed.value
            added.add(name)
    return added
