"""Nodes and allocation records for the node IPAM controller's tests.

The tests call ``NodeIpamController.reconcile`` by hand, as a worker would, against the real
registry and store, and read the allocation records it keeps there.
"""

from __future__ import annotations

from typing import Any

from cluster.controllers.nodeipam import RECORD_KIND, NodeIpamController
from cluster.registry import records
from cluster.registry.catalog import RESOURCES
from cluster.registry.reconcile import DONE
from cluster.registry.registry import Registry
from cluster.registry.resources import Resource
from cluster.registry.vocabulary import Object


def resource(kind: str) -> Resource:
    found = RESOURCES.by_kind("", kind)
    assert found is not None
    return found


NODES, EVENTS = resource("Node"), resource("Event")
CONTROLLER = NodeIpamController()
TINY_CIDR = "10.9.0.0/23"
"""Two /24 node ranges: 10.9.0.0/24 and 10.9.1.0/24."""


def create_node(registry: Registry, name: str, **spec: Any) -> Object:
    node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name}, "spec": spec}
    return registry.create(NODES, None, node).object


def sync(registry: Registry, name: str) -> None:
    assert CONTROLLER.reconcile(name, registry) == DONE


def pod_cidr(registry: Registry, name: str) -> str | None:
    spec = registry.get(NODES, None, name).get("spec") or {}
    if spec.get("podCIDR") is not None:
        assert spec["podCIDRs"] == [spec["podCIDR"]]
    return spec.get("podCIDR")


def holders(registry: Registry) -> dict[str, str]:
    """Taken range -> name of the node its record names."""
    return {
        r["spec"]["cidr"]: r["spec"]["nodeRef"]["name"]
        for r in records.all_of(registry, RECORD_KIND)
    }


def events(registry: Registry, node: str) -> list[tuple[str, str, str]]:
    return [
        (e["type"], e["reason"], e["message"])
        for e in registry.list(EVENTS, None).items
        if e["involvedObject"]["name"] == node
    ]
