"""What a pod asks of a node and what a node offers, as integers the way kube-scheduler counts.

CPU is counted in millicores (kube's ``MilliValue``), every other resource in whole units
(``Value``), both rounded up. A pod's request follows kube's ``PodRequests``: its containers'
requests add up; init containers run one at a time, so the pod needs the largest of them,
except sidecars (init containers with ``restartPolicy: Always``), which keep running beside
everything started after them; the pod's ``overhead`` comes on top.

For scoring, kube counts a container that names no CPU or memory request as if it asked for
100m and 200Mi (its "non-zero" requests), so that pods without requests do not all pile onto
one node; the fit filter uses the real requests.

Quantities are parsed once per distinct text: a cluster's pods repeat the same few strings.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from cluster.registry.kinds import quantity

Resources = dict[str, int]
"""Amounts by resource name: ``cpu`` in millicores, anything else in whole units."""

CPU = "cpu"
MEMORY = "memory"
PODS = "pods"
DEFAULT_MILLI_CPU = 100
DEFAULT_MEMORY = 200 * 1024 * 1024
_SIDECAR = "Always"


@dataclass(frozen=True)
class Demand:
    """What one pod needs: the requests the fit filter checks and the amounts scoring counts.

    ``requests`` holds only positive amounts (kube ignores a zero request). ``controller`` is
    the uid of the pod's controlling owner ("" if none), for spreading.
    """

    requests: tuple[tuple[str, int], ...]
    non_zero_cpu: int
    non_zero_memory: int
    controller: str = ""


def amount(name: str, raw: Any) -> int:
    """One quantity as the scheduler counts it; 0 for anything that is not a quantity."""
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        return 0
    return _amount(name == CPU, raw)


@lru_cache(maxsize=4096)
def _amount(milli: bool, raw: str | int | float) -> int:
    try:
        value = quantity.parse(raw).value
    except quantity.QuantityError:
        return 0
    return math.ceil(value * 1000) if milli else math.ceil(value)


def resource_list(raw: Any) -> Resources:
    """A ResourceList (``requests``, ``allocatable``...) as integers."""
    if not isinstance(raw, dict):
        return {}
    return {str(name): amount(str(name), value) for name, value in raw.items()}


def _add(total: Resources, more: Resources) -> None:
    for name, value in more.items():
        total[name] = total.get(name, 0) + value


def _raise_to(total: Resources, other: Resources) -> None:
    for name, value in other.items():
        total[name] = max(total.get(name, 0), value)


def _container_requests(container: Any, *, non_zero: bool) -> Resources:
    if not isinstance(container, dict):
        return {}
    resources = container.get("resources")
    requests = resource_list(resources.get("requests") if isinstance(resources, dict) else None)
    if non_zero:
        requests.setdefault(CPU, DEFAULT_MILLI_CPU)
        requests.setdefault(MEMORY, DEFAULT_MEMORY)
    return requests


def _containers(spec: dict[str, Any], field: str) -> Iterable[Any]:
    listed = spec.get(field)
    return listed if isinstance(listed, list) else ()


def pod_requests(spec: dict[str, Any], *, non_zero: bool = False) -> Resources:
    """Kube's ``PodRequests``: what the pod needs of a node over its whole life."""
    total: Resources = {}
    for container in _containers(spec, "containers"):
        _add(total, _container_requests(container, non_zero=non_zero))
    init_peak: Resources = {}
    sidecars: Resources = {}
    for container in _containers(spec, "initContainers"):
        requests = _container_requests(container, non_zero=non_zero)
        if isinstance(container, dict) and container.get("restartPolicy") == _SIDECAR:
            _add(total, requests)
            _add(sidecars, requests)
            during = dict(sidecars)
        else:
            during = dict(requests)
            _add(during, sidecars)
        _raise_to(init_peak, during)
    _raise_to(total, init_peak)
    _add(total, resource_list(spec.get("overhead")))
    return total


def controller_uid(obj: dict[str, Any]) -> str:
    """The uid of the owner reference marked ``controller: true``, or ""."""
    for ref in (obj.get("metadata") or {}).get("ownerReferences") or []:
        if isinstance(ref, dict) and ref.get("controller") is True:
            return str(ref.get("uid") or "")
    return ""


def demand_of(pod: dict[str, Any]) -> Demand:
    """What ``pod`` needs, for filtering and scoring."""
    spec = pod.get("spec") or {}
    requests = pod_requests(spec)
    non_zero = pod_requests(spec, non_zero=True)
    return Demand(
        requests=tuple(sorted((n, v) for n, v in requests.items() if v > 0)),
        non_zero_cpu=non_zero.get(CPU, 0),
        non_zero_memory=non_zero.get(MEMORY, 0),
        controller=controller_uid(pod),
    )
