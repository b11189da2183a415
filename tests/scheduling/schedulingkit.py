"""Nodes, pods and helpers for the scheduler's tests.

The pure tests build the scheduler's in-memory view (``NodeInfo``, ``Placement``, ``Demand``)
from these manifests; the reconcile tests create them through the real registry and run
``Scheduler.reconcile`` by hand, as a worker would.
"""

from __future__ import annotations

from typing import Any

from cluster.registry.catalog import RESOURCES
from cluster.registry.registry import Registry
from cluster.registry.subresources import bind_pod
from cluster.registry.vocabulary import Object
from cluster.scheduling.batch import Decision, Planner
from cluster.scheduling.filters import placement_of
from cluster.scheduling.nodes import NodeInfo, node_info
from cluster.scheduling.resources import demand_of

NODES, PODS, EVENTS = (RESOURCES.of_kind(kind) for kind in ("Node", "Pod", "Event"))
NS = "default"


def node(
    name: str,
    *,
    cpu: str = "4",
    memory: str = "8Gi",
    pods: int = 110,
    labels: dict[str, str] | None = None,
    taints: list[dict[str, str]] | None = None,
    unschedulable: bool = False,
    ready: str | None = "True",
) -> Object:
    spec: dict[str, Any] = {}
    if taints:
        spec["taints"] = taints
    if unschedulable:
        spec["unschedulable"] = True
    allocatable = {"cpu": cpu, "memory": memory, "pods": str(pods)}
    conditions = [{"type": "Ready", "status": ready}] if ready else []
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": dict(labels or {})},
        "spec": spec,
        "status": {"capacity": allocatable, "allocatable": allocatable, "conditions": conditions},
    }


def container(cpu: str | None = None, memory: str | None = None, **extra: Any) -> Object:
    requests = {k: v for k, v in (("cpu", cpu), ("memory", memory)) if v is not None}
    resources = {"requests": requests} if requests else {}
    return {"name": extra.pop("name", "main"), "image": "busybox", "resources": resources, **extra}


def pod(
    name: str,
    *,
    cpu: str | None = "100m",
    memory: str | None = "128Mi",
    owner: str | None = None,
    node_name: str | None = None,
    **spec: Any,
) -> Object:
    meta: dict[str, Any] = {"name": name, "namespace": NS}
    if owner is not None:
        meta["ownerReferences"] = [
            {
                "apiVersion": "v1",
                "kind": "ReplicationController",
                "name": owner,
                "uid": f"uid-{owner}",
                "controller": True,
            }
        ]
    body: dict[str, Any] = {"containers": [container(cpu, memory)], **spec}
    if node_name is not None:
        body["nodeName"] = node_name
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": body}


def required_affinity(*terms: dict[str, Any]) -> dict[str, Any]:
    return {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": list(terms)}
        }
    }


def expression(key: str, operator: str, *values: str) -> dict[str, Any]:
    found: dict[str, Any] = {"key": key, "operator": operator}
    if values:
        found["values"] = list(values)
    return found


# -- the in-memory view --


def info(manifest: Object, *bound: Object) -> NodeInfo:
    """The scheduler's view of ``manifest`` with ``bound`` pods already on it."""
    view = node_info(manifest)
    for placed in bound:
        view.add(demand_of(placed))
    return view


def place(planner: Planner, manifest: Object) -> Decision:
    return planner.place(placement_of(manifest), demand_of(manifest))


# -- the real registry --


def create_node(registry: Registry, name: str, **kwargs: Any) -> Object:
    return registry.create(NODES, None, node(name, **kwargs)).object


def create_pod(registry: Registry, name: str, **kwargs: Any) -> Object:
    return registry.create(PODS, NS, pod(name, **kwargs)).object


def get_pod(registry: Registry, name: str) -> Object:
    return registry.get(PODS, NS, name)


def bind(registry: Registry, name: str, *, node: str) -> Object:
    return bind_pod(registry, NS, name, {"target": {"kind": "Node", "name": node}})


def condition(obj: Object) -> dict[str, Any] | None:
    """The pod's PodScheduled condition, without its timestamps."""
    for found in obj.get("status", {}).get("conditions") or []:
        if found["type"] == "PodScheduled":
            return {k: v for k, v in found.items() if not k.startswith("last")}
    return None


def events(registry: Registry, reason: str) -> list[Object]:
    return [e for e in registry.list(EVENTS, NS).items if e["reason"] == reason]
