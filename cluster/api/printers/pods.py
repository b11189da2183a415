"""``kubectl get pods``: NAME READY STATUS RESTARTS AGE, and IP NODE NOMINATED NODE READINESS
GATES for ``-o wide``.

STATUS is kube's printPod reason, not the bare phase: init progress (``Init:1/2``), the first
container's waiting or terminated reason (``CrashLoopBackOff``, ``Completed``, ``Error``),
``Terminating`` while a deletion is pending, ``Unknown`` for a pod lost with its node.
"""

from __future__ import annotations

from datetime import datetime

from cluster.api.printers.common import (
    NONE,
    condition_true,
    duration_since,
    parse_time,
    spec_of,
    status_of,
)
from cluster.api.tables import AGE, NAME, Cell, Column, Printer, age, name_of
from cluster.registry.vocabulary import Object

COLUMNS = (
    NAME,
    Column("Ready", description="The aggregate readiness state of this pod for accepting traffic."),
    Column("Status", description="The aggregate status of the containers in this pod."),
    Column(
        "Restarts",
        description="The number of times the containers in this pod have been restarted "
        "and when the last container in this pod has restarted.",
    ),
    AGE,
    Column("IP", priority=1, description="podIP address allocated to the pod."),
    Column(
        "Node", priority=1, description="NodeName indicates in which node this pod is scheduled."
    ),
    Column(
        "Nominated Node",
        priority=1,
        description="nominatedNodeName is set only when this pod preempts other pods on the "
        "node, but it cannot be scheduled right away as preemption victims receive their "
        "graceful termination periods.",
    ),
    Column(
        "Readiness Gates",
        priority=1,
        description="If specified, all readiness gates will be evaluated for pod readiness.",
    ),
)

# The pod reason the node lifecycle controller sets when a pod's node stops reporting.
NODE_UNREACHABLE_REASON = "NodeLost"
_TERMINAL_PHASES = ("Succeeded", "Failed")
_COMPLETED_MESSAGES = {
    "Succeeded": "The pod has completed successfully.",
    "Failed": "The pod failed.",
}


def _is_sidecar(container: Object | None) -> bool:
    """An init container with ``restartPolicy: Always`` keeps running beside the app."""
    return container is not None and container.get("restartPolicy") == "Always"


def _later_restart(current: datetime | None, container_status: Object) -> datetime | None:
    """The later of ``current`` and when this container last terminated (its last restart)."""
    finished = ((container_status.get("lastState") or {}).get("terminated") or {}).get("finishedAt")
    if not finished:
        return current
    when = parse_time(finished)
    return when if current is None or current < when else current


def _exit_reason(terminated: Object, prefix: str = "") -> str:
    if terminated.get("reason"):
        return f"{prefix}{terminated['reason']}"
    if terminated.get("signal"):
        return f"{prefix}Signal:{terminated['signal']}"
    return f"{prefix}ExitCode:{terminated.get('exitCode', 0)}"


class PodSummary:
    """READY, STATUS and RESTARTS of one pod, worked out in the order kube's printPod does."""

    def __init__(self, pod: Object) -> None:
        spec, status = spec_of(pod), status_of(pod)
        self._conditions: list[Object] = status.get("conditions") or []
        phase: str = status.get("phase", "")
        self.reason: str = status.get("reason") or phase
        if any(
            c.get("type") == "PodScheduled" and c.get("reason") == "SchedulingGated"
            for c in self._conditions
        ):
            self.reason = "SchedulingGated"
        init_containers: list[Object] = spec.get("initContainers") or []
        self.ready = 0
        self.total = len(spec.get("containers") or []) + sum(map(_is_sidecar, init_containers))
        self.restarts = 0
        self.last_restart: datetime | None = None
        self._sidecar_restarts = 0
        self._last_sidecar_restart: datetime | None = None

        initializing = self._read_init_containers(init_containers, status)
        if not initializing or condition_true(self._conditions, "Initialized"):
            self._read_containers(status.get("containerStatuses") or [])

        deleting = bool((pod.get("metadata") or {}).get("deletionTimestamp"))
        if deleting and status.get("reason") == NODE_UNREACHABLE_REASON:
            self.reason = "Unknown"
        elif deleting and phase not in _TERMINAL_PHASES:
            self.reason = "Terminating"

    def _read_init_containers(self, init_containers: list[Object], status: Object) -> bool:
        """Count init restarts; say whether initialization is still under way (and how)."""
        by_name = {c.get("name"): c for c in init_containers}
        for index, container in enumerate(status.get("initContainerStatuses") or []):
            sidecar = _is_sidecar(by_name.get(container.get("name")))
            self.restarts += container.get("restartCount", 0)
            self.last_restart = _later_restart(self.last_restart, container)
            if sidecar:
                self._sidecar_restarts += container.get("restartCount", 0)
                self._last_sidecar_restart = _later_restart(self._last_sidecar_restart, container)
            state = container.get("state") or {}
            terminated, waiting = state.get("terminated"), state.get("waiting")
            if terminated is not None and terminated.get("exitCode", 0) == 0:
                continue
            if sidecar and container.get("started"):
                self.ready += bool(container.get("ready"))
                continue
            if terminated is not None:
                self.reason = _exit_reason(terminated, "Init:")
            elif waiting and waiting.get("reason") and waiting["reason"] != "PodInitializing":
                self.reason = f"Init:{waiting['reason']}"
            else:
                self.reason = f"Init:{index}/{len(init_containers)}"
            return True
        return False

    def _read_containers(self, statuses: list[Object]) -> None:
        # Once initialized, only sidecar restarts count besides the app containers'.
        self.restarts = self._sidecar_restarts
        self.last_restart = self._last_sidecar_restart
        has_running = False
        # Backwards, so that the first container with something to say has the last word.
        for container in reversed(statuses):
            self.restarts += container.get("restartCount", 0)
            self.last_restart = _later_restart(self.last_restart, container)
            state = container.get("state") or {}
            terminated, waiting = state.get("terminated"), state.get("waiting")
            if waiting and waiting.get("reason"):
                self.reason = waiting["reason"]
            elif terminated is not None:
                self.reason = _exit_reason(terminated)
            elif container.get("ready") and state.get("running") is not None:
                has_running = True
                self.ready += 1
        if self.reason == "Completed" and has_running:
            self.reason = "Running" if condition_true(self._conditions, "Ready") else "NotReady"

    @property
    def restarts_cell(self) -> str:
        """``3``, or ``3 (5m ago)`` when the last restart's time is known."""
        if self.restarts and self.last_restart is not None:
            return f"{self.restarts} ({duration_since(self.last_restart)} ago)"
        return str(self.restarts)


def _pod_ip(status: Object) -> str:
    # A v1 pod may carry podIP alone; kube's v1 conversion makes it podIPs[0].
    ips = status.get("podIPs") or [{"ip": status.get("podIP")}]
    return str(ips[0].get("ip") or NONE)


def _readiness_gates(pod: Object) -> str:
    gates = spec_of(pod).get("readinessGates") or []
    if not gates:
        return NONE
    conditions = status_of(pod).get("conditions") or []
    passed = sum(condition_true(conditions, gate.get("conditionType", "")) for gate in gates)
    return f"{passed}/{len(gates)}"


def pod_cells(pod: Object) -> list[Cell]:
    summary = PodSummary(pod)
    spec, status = spec_of(pod), status_of(pod)
    return [
        name_of(pod),
        f"{summary.ready}/{summary.total}",
        summary.reason,
        summary.restarts_cell,
        age(pod),
        _pod_ip(status),
        spec.get("nodeName") or NONE,
        status.get("nominatedNodeName") or NONE,
        _readiness_gates(pod),
    ]


def pod_conditions(pod: Object) -> list[dict[str, str]]:
    """A finished pod's row is marked Completed, as kube's printer marks it for clients."""
    phase = status_of(pod).get("phase", "")
    if phase not in _COMPLETED_MESSAGES:
        return []
    message = _COMPLETED_MESSAGES[phase]
    return [{"type": "Completed", "status": "True", "reason": phase, "message": message}]


POD: Printer = Printer(COLUMNS, pod_cells, conditions=pod_conditions)
