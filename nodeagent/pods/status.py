"""A pod's status computed from what the runtime shows, in kubelet's terms.

Pure functions: given the pod, its containers as the engine reports them and the reasons the
agent could not start some of them (``waiting``: ErrImagePull, CrashLoopBackOff...) and what
the probes say of the running ones (``health``: started, ready), produce
``status``: phase (kubelet's ``getPhase``), conditions, IPs, start time, and one status per init
and app container with state, last state, restart count, readiness and IDs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from nodeagent import labels, timefmt
from nodeagent.runtime.base import Container

TERMINAL_PHASES = ("Succeeded", "Failed")


@dataclass(frozen=True)
class Health:
    """What the probes say of a running container (both True for one without probes)."""

    started: bool = True
    ready: bool = True


@dataclass(frozen=True)
class Waiting:
    reason: str
    message: str = ""


def instances(containers: Iterable[Container], name: str) -> list[Container]:
    """The instances of container ``name``, oldest first (by restart count, then creation)."""
    found = [
        c
        for c in containers
        if c.labels.get(labels.CONTAINER_KIND) == labels.APP
        and c.labels.get(labels.CONTAINER_NAME) == name
    ]
    return sorted(found, key=lambda c: (labels.restart_count(c.labels), c.created_at))


def latest(containers: Iterable[Container], name: str) -> Container | None:
    found = instances(containers, name)
    return found[-1] if found else None


def sandboxes(containers: Iterable[Container]) -> list[Container]:
    found = [c for c in containers if c.labels.get(labels.CONTAINER_KIND) == labels.SANDBOX]
    return sorted(found, key=lambda c: (int(c.labels.get(labels.ATTEMPT, "0")), c.created_at))


def has_failed(container: Container) -> bool:
    """Exited with a non-zero code, or never got to run (a start error)."""
    if container.state == "created":
        return bool(container.error)
    return container.state == "exited" and container.exit_code != 0


def has_succeeded(container: Container) -> bool:
    return container.state == "exited" and container.exit_code == 0


def ran_in(container: Container, sandbox_id: str) -> bool:
    """Whether the app or init container ran in sandbox ``sandbox_id`` (assumed where the
    runtime does not tell)."""
    return container.sandbox_id is None or container.sandbox_id == sandbox_id


def _terminated(c: Container) -> dict[str, Any]:
    if c.state == "created":
        reason, code = "StartError", 128
    elif c.oom_killed:
        reason, code = "OOMKilled", c.exit_code or 137
    else:
        code = c.exit_code or 0
        reason = "Completed" if code == 0 else "Error"
    state: dict[str, Any] = {"exitCode": code, "reason": reason}
    if c.error:
        state["message"] = c.error
    state["startedAt"] = timefmt.rfc3339(c.started_at or c.created_at)
    state["finishedAt"] = timefmt.rfc3339(c.finished_at or c.started_at or c.created_at)
    state["containerID"] = f"docker://{c.id}"
    return {"terminated": state}


def _state(c: Container) -> dict[str, Any]:
    if c.state == "running":
        return {"running": {"startedAt": timefmt.rfc3339(c.started_at or c.created_at)}}
    if c.state == "created" and not c.error:
        return {"waiting": {"reason": "ContainerCreating"}}
    return _terminated(c)


def container_status(
    spec: Mapping[str, Any],
    containers: list[Container],
    waiting: Waiting | None,
    default_waiting: str,
    health: Mapping[str, Health] | None = None,
) -> dict[str, Any]:
    name = spec["name"]
    found = instances(containers, name)
    current = found[-1] if found else None
    shown = None if waiting is not None else current
    previous = [c for c in found if c is not shown and c.state != "running"]
    if shown is not None:
        state = _state(shown)
    else:
        reason = waiting or Waiting(default_waiting)
        state = {"waiting": {"reason": reason.reason}}
        if reason.message:
            state["waiting"]["message"] = reason.message
    running = shown is not None and shown.state == "running"
    probed = (health or {}).get(shown.id) if shown is not None else None
    probed = probed or Health()
    status: dict[str, Any] = {
        "name": name,
        "state": state,
        "lastState": _terminated(previous[-1]) if previous else {},
        "ready": running and probed.ready,
        "restartCount": labels.restart_count(current.labels) if current else 0,
        "image": spec["image"],
        "imageID": f"docker://{shown.image_id}" if shown is not None else "",
        "started": running and probed.started,
    }
    if shown is not None:
        status["containerID"] = f"docker://{shown.id}"
    return status


def _phase(pod: Mapping[str, Any], statuses: list[dict[str, Any]], initialized: bool) -> str:
    """Kubelet's ``getPhase`` (without the unknown-state cases the agent never reports)."""
    policy = (pod.get("spec") or {}).get("restartPolicy", "Always")
    if not initialized:
        return "Pending"
    waiting = running = stopped = succeeded = 0
    for status in statuses:
        state = status["state"]
        if "running" in state:
            running += 1
        elif "terminated" in state:
            stopped += 1
            succeeded += state["terminated"]["exitCode"] == 0
        elif status["lastState"].get("terminated"):
            stopped += 1
        else:
            waiting += 1
    if waiting:
        return "Pending"
    if running:
        return "Running"
    if stopped:
        if policy == "Always":
            return "Running"
        if stopped == succeeded:
            return "Succeeded"
        if policy == "Never":
            return "Failed"
        return "Running"
    return "Pending"


def init_failed(pod: Mapping[str, Any], containers: list[Container]) -> bool:
    """An init container failed and the pod does not restart it: the pod has failed."""
    if (pod.get("spec") or {}).get("restartPolicy") != "Never":
        return False
    for spec in (pod.get("spec") or {}).get("initContainers") or []:
        current = latest(containers, spec["name"])
        if current is not None and has_failed(current):
            return True
    return False


def _condition(
    kind: str, ok: bool, old: Mapping[str, Any], now: str, reason: str = "", message: str = ""
) -> dict[str, Any]:
    status = "True" if ok else "False"
    condition: dict[str, Any] = {
        "type": kind,
        "status": status,
        "lastProbeTime": None,
        "lastTransitionTime": now,
    }
    before = old.get(kind)
    if before and before.get("status") == status and before.get("lastTransitionTime"):
        condition["lastTransitionTime"] = before["lastTransitionTime"]
    if not ok and reason:
        condition["reason"] = reason
        condition["message"] = message
    return condition


def _conditions(
    old_status: Mapping[str, Any],
    *,
    sandbox_ready: bool,
    pending_init: list[str],
    unready: list[str],
    phase: str,
    now: str,
) -> list[dict[str, Any]]:
    old = {c.get("type"): c for c in old_status.get("conditions") or []}
    completed = phase == "Succeeded"
    not_ready_reason = "PodCompleted" if completed else "ContainersNotReady"
    not_ready = "" if completed else f"containers with unready status: [{' '.join(unready)}]"
    init_ok = not pending_init or completed
    ready = not unready and phase not in TERMINAL_PHASES
    scheduled = old.get("PodScheduled") or _condition("PodScheduled", True, {}, now)
    return [
        _condition("PodReadyToStartContainers", sandbox_ready, old, now),
        _condition(
            "Initialized",
            init_ok,
            old,
            now,
            "ContainersNotInitialized",
            f"containers with incomplete status: [{' '.join(pending_init)}]",
        ),
        _condition("Ready", ready, old, now, not_ready_reason, not_ready),
        _condition("ContainersReady", ready, old, now, not_ready_reason, not_ready),
        dict(scheduled),
    ]


def pod_status(
    pod: Mapping[str, Any],
    containers: list[Container],
    *,
    waiting: Mapping[str, Waiting],
    host_ip: str,
    now: datetime,
    health: Mapping[str, Health] | None = None,
) -> dict[str, Any]:
    """The status to report for ``pod`` given its containers."""
    spec = pod.get("spec") or {}
    old = pod.get("status") or {}
    init_specs = spec.get("initContainers") or []
    pending_init = [
        s["name"]
        for s in init_specs
        if not ((c := latest(containers, s["name"])) is not None and has_succeeded(c))
    ]
    init_statuses = [
        container_status(s, containers, waiting.get(s["name"]), "PodInitializing")
        for s in init_specs
    ]
    app_default = "PodInitializing" if pending_init else "ContainerCreating"
    app_statuses = [
        container_status(s, containers, waiting.get(s["name"]), app_default, health)
        for s in spec.get("containers") or []
    ]
    # Kubelet's rule: once an app container has run, the pod has been initialized, even while
    # a new sandbox runs its init containers again.
    if any("running" in s["state"] or "terminated" in s["state"] for s in app_statuses):
        pending_init = []
    if old.get("phase") in TERMINAL_PHASES:
        phase = old["phase"]
    elif init_failed(pod, containers):
        phase = "Failed"
    else:
        phase = _phase(pod, app_statuses, not pending_init)
    live = [s for s in sandboxes(containers) if s.state == "running"]
    pod_ip = live[-1].ip if live and live[-1].ip else old.get("podIP")
    stamp = timefmt.rfc3339(now)
    status: dict[str, Any] = {
        "phase": phase,
        "conditions": _conditions(
            old,
            sandbox_ready=bool(live),
            pending_init=pending_init,
            unready=[s["name"] for s in app_statuses if not s["ready"]],
            phase=phase,
            now=stamp,
        ),
        "hostIP": host_ip,
        "hostIPs": [{"ip": host_ip}],
        "startTime": old.get("startTime") or stamp,
        "containerStatuses": app_statuses,
    }
    if pod_ip:
        status["podIP"] = pod_ip
        status["podIPs"] = [{"ip": pod_ip}]
    if init_specs:
        status["initContainerStatuses"] = init_statuses
    if old.get("qosClass"):
        status["qosClass"] = old["qosClass"]
    return status
