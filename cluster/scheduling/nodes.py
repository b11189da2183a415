"""The scheduler's view of one node: what it offers and what the pods bound to it already take.

This is kube-scheduler's ``NodeInfo``: built once per scheduling pass from the Node and the
non-terminated pods bound to it, then updated in memory as the pass assigns pods, so that
every decision of the pass sees the ones before it. ``version`` counts those assignments;
the batch planner uses it to tell a stale score from a current one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cluster.scheduling.resources import PODS, Demand, Resources, demand_of, resource_list

TERMINAL_PHASES = ("Succeeded", "Failed")


@dataclass(eq=False)
class NodeInfo:
    name: str
    labels: dict[str, str]
    taints: list[dict[str, Any]]
    ready: bool
    unschedulable: bool
    allocatable: Resources
    requested: Resources = field(default_factory=dict)
    non_zero_cpu: int = 0
    non_zero_memory: int = 0
    pods: int = 0
    controllers: dict[str, int] = field(default_factory=dict)
    version: int = 0

    @property
    def allowed_pods(self) -> int:
        return self.allocatable.get(PODS, 0)

    def add(self, demand: Demand) -> None:
        """Account for one more pod on this node."""
        for name, value in demand.requests:
            self.requested[name] = self.requested.get(name, 0) + value
        self.non_zero_cpu += demand.non_zero_cpu
        self.non_zero_memory += demand.non_zero_memory
        self.pods += 1
        if demand.controller:
            self.controllers[demand.controller] = self.controllers.get(demand.controller, 0) + 1
        self.version += 1

    def free(self, name: str) -> int:
        return self.allocatable.get(name, 0) - self.requested.get(name, 0)


def is_ready(node: dict[str, Any]) -> bool:
    """True when the node reports condition Ready=True."""
    for condition in (node.get("status") or {}).get("conditions") or []:
        if isinstance(condition, dict) and condition.get("type") == "Ready":
            return condition.get("status") == "True"
    return False


def node_info(node: dict[str, Any]) -> NodeInfo:
    meta = node.get("metadata") or {}
    spec = node.get("spec") or {}
    taints = [t for t in spec.get("taints") or [] if isinstance(t, dict)]
    return NodeInfo(
        name=str(meta.get("name") or ""),
        labels={str(k): str(v) for k, v in (meta.get("labels") or {}).items()},
        taints=taints,
        ready=is_ready(node),
        unschedulable=bool(spec.get("unschedulable")),
        allocatable=resource_list((node.get("status") or {}).get("allocatable")),
    )


def is_terminated(pod: dict[str, Any]) -> bool:
    return (pod.get("status") or {}).get("phase") in TERMINAL_PHASES


def cluster_view(nodes: list[dict[str, Any]], bound_pods: list[dict[str, Any]]) -> list[NodeInfo]:
    """Every node, with the non-terminated pods bound to it accounted for."""
    infos = {info.name: info for info in map(node_info, nodes)}
    for pod in bound_pods:
        info = infos.get(str((pod.get("spec") or {}).get("nodeName") or ""))
        if info is not None and not is_terminated(pod):
            info.add(demand_of(pod))
    return list(infos.values())
