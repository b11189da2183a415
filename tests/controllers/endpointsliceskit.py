"""Reading what the EndpointSlice controller wrote, for its tests.

Services and pods come from ``endpointskit`` (the same objects the endpoints controller's
tests use); ``sync`` runs ``EndpointSliceController.reconcile`` by hand, as a worker would.
"""

from __future__ import annotations

from typing import Any

from cluster.controllers.endpointslices import EndpointSliceController
from cluster.registry.catalog import RESOURCES
from cluster.registry.reconcile import DONE
from cluster.registry.registry import Registry
from cluster.registry.vocabulary import LabelRequirement, LabelSelector, Object
from tests.controllers.endpointskit import NS, address

SLICES = RESOURCES.of_kind("EndpointSlice", "discovery.k8s.io")
CONTROLLER = EndpointSliceController()


def sync(registry: Registry, name: str = "web", *, limit: int = 100) -> None:
    controller = CONTROLLER if limit == 100 else EndpointSliceController(limit)
    assert controller.reconcile(f"{NS}/{name}", registry) == DONE


def slices(registry: Registry, service: str = "web") -> list[Object]:
    """The service's slices, by name."""
    selector = LabelSelector((LabelRequirement("kubernetes.io/service-name", "=", (service,)),))
    found = registry.list(SLICES, NS, label_selector=selector).items
    return sorted(found, key=lambda s: str(s["metadata"]["name"]))


def only_slice(registry: Registry, service: str = "web") -> Object:
    found = slices(registry, service)
    assert len(found) == 1, [s["metadata"]["name"] for s in found]
    return found[0]


def addresses(endpoint_slice: Object) -> list[str]:
    return [a for e in endpoint_slice.get("endpoints") or [] for a in e["addresses"]]


def endpoint(
    pod: Object, *, ip: str, ready: bool = True, serving: bool = True, terminating: bool = False
) -> dict[str, Any]:
    """The endpoint kube writes for ``pod`` (where the Endpoints address of it would be)."""
    where = address(pod, ip=ip)
    return {
        "addresses": [ip],
        "conditions": {"ready": ready, "serving": serving, "terminating": terminating},
        "nodeName": where["nodeName"],
        "targetRef": where["targetRef"],
    }
