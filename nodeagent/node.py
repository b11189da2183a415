"""The agent's Node and its Lease: registration, status reports and heartbeats.

As kubelet does: the Node is created with its status (capacity, addresses, nodeInfo,
conditions); afterwards its status is recomputed every ``check_period`` seconds and written
through ``nodes/status`` when it changed or ``report_period`` seconds have passed since the last
report (kubelet's nodeStatusUpdateFrequency and nodeStatusReportFrequency). The cheap, frequent
heartbeat is the Lease in ``kube-node-lease``, renewed every ``period`` seconds, which the node
health controller reads.
"""

from __future__ import annotations

import copy
import logging
import platform
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from nodeagent import hostinfo, timefmt
from nodeagent.client import ApiClient
from nodeagent.errors import AlreadyExists, ApiError, Conflict, NotFound
from nodeagent.runtime.base import Runtime, RuntimeFailure, RuntimeInfo
from nodeagent.servingcert import FINGERPRINT_ANNOTATION

log = logging.getLogger(__name__)

KUBELET_VERSION = "v1.37.0-pilothouse"
MAX_PODS = 110
LEASE_NAMESPACE = "kube-node-lease"
LEASE_DURATION_SECONDS = 40
# Go's names for architectures, which Kubernetes uses (kubernetes.io/arch).
_GOARCH = {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "ppc64le": "ppc64le"}
_CONDITIONS = (
    # type, (status, reason, message) when False, the same when True
    (
        "MemoryPressure",
        ("KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
        ("KubeletHasInsufficientMemory", "kubelet has insufficient memory available"),
    ),
    (
        "DiskPressure",
        ("KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
        ("KubeletHasDiskPressure", "kubelet has disk pressure"),
    ),
    (
        "PIDPressure",
        ("KubeletHasSufficientPID", "kubelet has sufficient PID available"),
        ("KubeletHasInsufficientPID", "kubelet has insufficient PID available"),
    ),
)


def goarch(machine: str) -> str:
    return _GOARCH.get(machine, machine)


@dataclass(frozen=True)
class NodeFacts:
    """Everything a node status is computed from, gathered at one moment."""

    name: str
    internal_ip: str
    hostname: str
    runtime: RuntimeInfo
    runtime_up: bool
    pressure: hostinfo.Pressure
    machine_id: str = ""
    boot_id: str = ""
    # Where the log server listens (0: it does not) and its certificate's fingerprint.
    kubelet_port: int = 0
    serving_fingerprint: str = ""


def _condition(
    kind: str, status: bool, reason: str, message: str, previous: dict[str, Any], now: str
) -> dict[str, Any]:
    value = "True" if status else "False"
    before = previous.get(kind) or {}
    changed = before.get("status") != value
    return {
        "type": kind,
        "status": value,
        "lastHeartbeatTime": now,
        "lastTransitionTime": now if changed else before.get("lastTransitionTime", now),
        "reason": reason,
        "message": message,
    }


def node_conditions(
    facts: NodeFacts, previous: list[dict[str, Any]], now: datetime
) -> list[dict[str, Any]]:
    """MemoryPressure, DiskPressure, PIDPressure and Ready, in kubelet's order and words."""
    stamp = timefmt.rfc3339(now)
    before = {c.get("type", ""): c for c in previous}
    pressures = {
        "MemoryPressure": facts.pressure.memory,
        "DiskPressure": facts.pressure.disk,
        "PIDPressure": facts.pressure.pids,
    }
    conditions = []
    for kind, (ok_reason, ok_message), (bad_reason, bad_message) in _CONDITIONS:
        bad = pressures[kind]
        reason, message = (bad_reason, bad_message) if bad else (ok_reason, ok_message)
        conditions.append(_condition(kind, bad, reason, message, before, stamp))
    if facts.runtime_up:
        ready = ("KubeletReady", "kubelet is posting ready status")
    else:
        ready = ("KubeletNotReady", "container runtime is down")
    conditions.append(_condition("Ready", facts.runtime_up, *ready, before, stamp))
    return conditions


def node_status(facts: NodeFacts, previous: list[dict[str, Any]], now: datetime) -> dict[str, Any]:
    capacity = {
        "cpu": str(facts.runtime.cpus),
        "memory": f"{facts.runtime.memory_bytes // 1024}Ki",
        "pods": str(MAX_PODS),
    }
    return {
        "capacity": capacity,
        "allocatable": dict(capacity),
        "daemonEndpoints": {"kubeletEndpoint": {"Port": facts.kubelet_port}},
        "conditions": node_conditions(facts, previous, now),
        "addresses": [
            {"type": "InternalIP", "address": facts.internal_ip},
            {"type": "Hostname", "address": facts.hostname},
        ],
        "nodeInfo": {
            "machineID": facts.machine_id,
            "systemUUID": facts.machine_id,
            "bootID": facts.boot_id,
            "kernelVersion": facts.runtime.kernel_version or platform.release(),
            "osImage": facts.runtime.os_image,
            "containerRuntimeVersion": f"{facts.runtime.name}://{facts.runtime.version}",
            "kubeletVersion": KUBELET_VERSION,
            "operatingSystem": "linux",
            "architecture": goarch(facts.runtime.architecture or platform.machine()),
        },
    }


def node_labels(facts: NodeFacts) -> dict[str, str]:
    arch = goarch(facts.runtime.architecture or platform.machine())
    return {
        "kubernetes.io/hostname": facts.name,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": arch,
        "beta.kubernetes.io/os": "linux",
        "beta.kubernetes.io/arch": arch,
    }


def node_annotations(facts: NodeFacts) -> dict[str, str]:
    """The log server's certificate fingerprint, which the API server pins."""
    if not facts.serving_fingerprint:
        return {}
    return {FINGERPRINT_ANNOTATION: facts.serving_fingerprint}


def without_heartbeats(status: dict[str, Any]) -> dict[str, Any]:
    """The status with the heartbeat times removed: what "changed" is judged on."""
    bare = copy.deepcopy(status)
    for condition in bare.get("conditions") or []:
        condition.pop("lastHeartbeatTime", None)
    return bare


class NodeStatusReporter:
    """Registers the Node, then keeps its status true."""

    def __init__(
        self,
        client: ApiClient,
        node_name: str,
        facts: Callable[[], NodeFacts],
        *,
        stop: threading.Event,
        check_period: float = 10.0,
        report_period: float = 60.0,
    ) -> None:
        self.client = client
        self.node_name = node_name
        self.facts = facts
        self.stop = stop
        self.check_period = check_period
        self.report_period = report_period
        self.node: dict[str, Any] | None = None
        self._reported: dict[str, Any] | None = None
        self._reported_at = 0.0

    @property
    def path(self) -> str:
        return f"/api/v1/nodes/{self.node_name}"

    def register(self) -> dict[str, Any]:
        """Create the Node (or find it, after a restart); the Node as the API has it."""
        facts = self.facts()
        status = node_status(facts, [], timefmt.now())
        node = {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {
                "name": self.node_name,
                "labels": node_labels(facts),
                "annotations": node_annotations(facts),
            },
            "spec": {},
            "status": status,
        }
        try:
            self.node = self.client.create("/api/v1/nodes", node)
            self._remember(status)
        except AlreadyExists:
            meta = {"labels": node_labels(facts), "annotations": node_annotations(facts)}
            patch = {"metadata": meta}
            self.node = self.client.merge_patch(self.path, patch)
            self.report()
        assert self.node is not None
        return self.node

    def _remember(self, status: dict[str, Any]) -> None:
        self._reported = without_heartbeats(status)
        self._reported_at = time.monotonic()

    def report(self, *, force: bool = True) -> bool:
        """Write the node's status if it changed (or ``force``); whether it wrote."""
        facts = self.facts()
        previous = ((self.node or {}).get("status") or {}).get("conditions") or []
        status = node_status(facts, previous, timefmt.now())
        due = time.monotonic() - self._reported_at >= self.report_period
        if not force and not due and without_heartbeats(status) == self._reported:
            return False
        self.node = self.client.merge_patch(f"{self.path}/status", {"status": status})
        self._remember(status)
        return True

    def run(self) -> None:
        """Register (retrying until it works), then report until ``stop``."""
        while self.node is None and not self.stop.is_set():
            try:
                self.register()
            except (ApiError, RuntimeFailure) as e:
                log.warning("registering node failed: %s", e)
                self.stop.wait(self.check_period)
        while not self.stop.wait(self.check_period):
            try:
                self.report(force=False)
            except (ApiError, RuntimeFailure) as e:
                log.warning("reporting node status failed: %s", e)


class LeaseRenewer:
    """Holds the node's Lease in ``kube-node-lease`` and renews it every ``period`` seconds."""

    def __init__(
        self,
        client: ApiClient,
        node_name: str,
        *,
        stop: threading.Event,
        period: float = 10.0,
        node_uid: Callable[[], str | None] = lambda: None,
    ) -> None:
        self.client = client
        self.node_name = node_name
        self.stop = stop
        self.period = period
        self.node_uid = node_uid
        self.lease: dict[str, Any] | None = None

    @property
    def path(self) -> str:
        return f"/apis/coordination.k8s.io/v1/namespaces/{LEASE_NAMESPACE}/leases"

    def _new_lease(self) -> dict[str, Any]:
        return {
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": {"name": self.node_name, "namespace": LEASE_NAMESPACE},
            "spec": {
                "holderIdentity": self.node_name,
                "leaseDurationSeconds": LEASE_DURATION_SECONDS,
            },
        }

    def renew(self) -> dict[str, Any]:
        """Set ``renewTime`` to now, creating the Lease if needed; the stored Lease."""
        lease = self.lease or self._new_lease()
        lease = copy.deepcopy(lease)
        lease["spec"]["renewTime"] = timefmt.micro_time(timefmt.now())
        uid = self.node_uid()
        if uid and not lease["metadata"].get("ownerReferences"):
            # The node owns its lease (the garbage collector removes it with the node); the
            # lease may be older than the node's registration, so the owner is added late.
            lease["metadata"]["ownerReferences"] = [
                {"apiVersion": "v1", "kind": "Node", "name": self.node_name, "uid": uid}
            ]
        try:
            if "resourceVersion" in lease["metadata"]:
                self.lease = self.client.replace(f"{self.path}/{self.node_name}", lease)
            else:
                self.lease = self.client.create(self.path, lease)
        except (Conflict, NotFound, AlreadyExists):
            # Someone else wrote it, or it went away: start again from what the API has.
            self.lease = self._current()
            raise
        assert self.lease is not None
        return self.lease

    def _current(self) -> dict[str, Any] | None:
        try:
            current: dict[str, Any] = self.client.get(f"{self.path}/{self.node_name}")
            return current
        except NotFound:
            return None

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                self.renew()
            except ApiError as e:
                log.warning("renewing lease failed: %s", e)
                # After a conflict the next try (with the current version) comes soon.
                if self.stop.wait(min(1.0, self.period)):
                    return
                continue
            self.stop.wait(self.period)


def gather_facts(
    runtime: Runtime,
    *,
    name: str,
    internal_ip: str,
    data_dir: Path,
    kubelet_port: int = 0,
    serving_fingerprint: str = "",
) -> Callable[[], NodeFacts]:
    """A function that gathers fresh facts, keeping the last engine info when it is down."""
    known: list[RuntimeInfo] = []

    def facts() -> NodeFacts:
        try:
            known[:] = [runtime.info()]
            up = runtime.ping()
        except RuntimeFailure:
            up = False
        if not known:
            raise RuntimeFailure("the container runtime has not answered yet")
        return NodeFacts(
            name=name,
            internal_ip=internal_ip,
            hostname=hostinfo.hostname(),
            runtime=known[0],
            runtime_up=up,
            pressure=hostinfo.pressure(data_dir),
            machine_id=hostinfo.machine_id(),
            boot_id=hostinfo.boot_id(),
            kubelet_port=kubelet_port,
            serving_fingerprint=serving_fingerprint,
        )

    return facts
