"""Node registration, status reports and Lease renewal, against a real API server."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import docker
import pytest

from nodeagent import timefmt
from nodeagent.client import ApiClient
from nodeagent.hostinfo import Pressure
from nodeagent.node import (
    KUBELET_VERSION,
    LEASE_NAMESPACE,
    LeaseRenewer,
    NodeFacts,
    NodeStatusReporter,
    node_conditions,
)
from nodeagent.runtime.base import RuntimeInfo
from tests.e2e.cluster import Api, Response
from tests.nodeagent.conftest import Agents

ENGINE = RuntimeInfo(
    name="docker",
    version="20.10.24",
    cpus=2,
    memory_bytes=4 * 1024**3,
    os_image="Debian GNU/Linux 12 (bookworm)",
    kernel_version="6.1.0",
    architecture="x86_64",
)
CALM = Pressure(memory=False, disk=False, pids=False)


def facts(name: str, **changes: object) -> NodeFacts:
    base = NodeFacts(
        name=name,
        internal_ip="127.0.0.1",
        hostname="host-a",
        runtime=ENGINE,
        runtime_up=True,
        pressure=CALM,
        machine_id="m1",
        boot_id="b1",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def by_type(conditions: list[dict[str, str]]) -> dict[str, dict[str, str]]:
    return {c["type"]: c for c in conditions}


def test_conditions_say_ready_and_no_pressure_in_kubelets_words() -> None:
    conditions = node_conditions(facts("n"), [], datetime(2030, 1, 1, tzinfo=UTC))
    assert [(c["type"], c["status"], c["reason"]) for c in conditions] == [
        ("MemoryPressure", "False", "KubeletHasSufficientMemory"),
        ("DiskPressure", "False", "KubeletHasNoDiskPressure"),
        ("PIDPressure", "False", "KubeletHasSufficientPID"),
        ("Ready", "True", "KubeletReady"),
    ]


def test_a_transition_time_moves_only_when_the_status_changes() -> None:
    start = datetime(2030, 1, 1, tzinfo=UTC)
    first = node_conditions(facts("n"), [], start)
    later = start + timedelta(minutes=1)
    down = by_type(node_conditions(facts("n", runtime_up=False), first, later))
    assert (down["Ready"]["status"], down["Ready"]["reason"]) == ("False", "KubeletNotReady")
    assert down["Ready"]["lastTransitionTime"] == "2030-01-01T00:01:00Z"
    assert down["MemoryPressure"]["lastTransitionTime"] == "2030-01-01T00:00:00Z"
    assert down["MemoryPressure"]["lastHeartbeatTime"] == "2030-01-01T00:01:00Z"


def reporter(client: ApiClient, name: str, current: list[NodeFacts]) -> NodeStatusReporter:
    return NodeStatusReporter(client, name, lambda: current[0], stop=threading.Event())


def test_registration_creates_the_node_with_its_status(
    client: ApiClient, admin: Api, node_name: str
) -> None:
    reporter(client, node_name, [facts(node_name)]).register()
    node = admin.get(f"/api/v1/nodes/{node_name}").body
    status = node["status"]
    assert node["metadata"]["labels"]["kubernetes.io/hostname"] == node_name
    assert node["metadata"]["labels"]["kubernetes.io/arch"] == "amd64"
    assert status["capacity"] == {"cpu": "2", "memory": "4Gi", "pods": "110"}
    assert status["allocatable"] == status["capacity"]
    assert status["addresses"] == [
        {"type": "InternalIP", "address": "127.0.0.1"},
        {"type": "Hostname", "address": "host-a"},
    ]
    info = status["nodeInfo"]
    assert info["containerRuntimeVersion"] == "docker://20.10.24"
    assert info["kubeletVersion"] == KUBELET_VERSION
    assert (info["operatingSystem"], info["architecture"]) == ("linux", "amd64")
    assert (info["osImage"], info["kernelVersion"]) == (ENGINE.os_image, "6.1.0")
    assert by_type(status["conditions"])["Ready"]["status"] == "True"


def test_a_restarted_agent_finds_its_node_and_reports_again(
    client: ApiClient, admin: Api, node_name: str
) -> None:
    reporter(client, node_name, [facts(node_name)]).register()
    again = reporter(client, node_name, [facts(node_name, internal_ip="127.0.0.2")])
    again.register()
    status = admin.get(f"/api/v1/nodes/{node_name}").body["status"]
    assert status["addresses"][0] == {"type": "InternalIP", "address": "127.0.0.2"}


def test_status_is_written_on_change_and_not_otherwise(
    client: ApiClient, admin: Api, node_name: str
) -> None:
    current = [facts(node_name)]
    r = reporter(client, node_name, current)
    r.register()
    assert r.report(force=False) is False
    current[0] = facts(node_name, runtime_up=False)
    assert r.report(force=False) is True
    ready = by_type(admin.get(f"/api/v1/nodes/{node_name}").body["status"]["conditions"])["Ready"]
    assert (ready["status"], ready["message"]) == ("False", "container runtime is down")


def test_status_is_written_when_the_report_period_has_passed(
    client: ApiClient, node_name: str
) -> None:
    r = reporter(client, node_name, [facts(node_name)])
    r.register()
    r.report_period = 0
    assert r.report(force=False) is True


def lease_path(name: str) -> str:
    return f"/apis/coordination.k8s.io/v1/namespaces/{LEASE_NAMESPACE}/leases/{name}"


def test_the_lease_is_created_then_renewed(client: ApiClient, admin: Api, node_name: str) -> None:
    node = reporter(client, node_name, [facts(node_name)]).register()
    renewer = LeaseRenewer(
        client, node_name, stop=threading.Event(), node_uid=lambda: node["metadata"]["uid"]
    )
    first = renewer.renew()
    second = renewer.renew()
    stored = admin.get(lease_path(node_name)).body
    assert stored["spec"]["holderIdentity"] == node_name
    assert stored["spec"]["leaseDurationSeconds"] == 40
    assert stored["metadata"]["ownerReferences"][0]["uid"] == node["metadata"]["uid"]
    assert timefmt.parse(second["spec"]["renewTime"]) > timefmt.parse(first["spec"]["renewTime"])
    assert stored["spec"]["renewTime"] == second["spec"]["renewTime"]


def test_a_lease_changed_elsewhere_is_renewed_on_the_next_try(
    client: ApiClient, admin: Api, node_name: str
) -> None:
    renewer = LeaseRenewer(client, node_name, stop=threading.Event())
    renewer.renew()
    lease = admin.get(lease_path(node_name)).body
    lease["spec"]["holderIdentity"] = "someone-else"
    assert admin.request("PUT", lease_path(node_name), lease).status == 200
    with pytest.raises(Exception, match="Conflict|modified"):
        renewer.renew()
    renewed = renewer.renew()
    assert renewed["metadata"]["resourceVersion"] != lease["metadata"]["resourceVersion"]


@pytest.mark.docker
@pytest.mark.e2e
def test_the_agent_command_registers_its_node_and_holds_its_lease(
    admin: Api, agents: Agents, docker_client: docker.DockerClient
) -> None:
    agents.spawn()
    node = wait_for(lambda: admin.get(f"/api/v1/nodes/{agents.node_name}"))
    version = docker_client.version()["Version"]
    assert node["status"]["nodeInfo"]["containerRuntimeVersion"] == f"docker://{version}"
    assert node["status"]["capacity"]["pods"] == "110"
    assert by_type(node["status"]["conditions"])["Ready"]["status"] == "True"
    lease = wait_for(lambda: admin.get(lease_path(agents.node_name)))
    assert lease["spec"]["holderIdentity"] == agents.node_name
    # Renewed every 10 s: by the second renewal at the latest the node owns it.
    deadline = time.monotonic() + 25
    while not lease["metadata"].get("ownerReferences") and time.monotonic() < deadline:
        time.sleep(0.5)
        lease = wait_for(lambda: admin.get(lease_path(agents.node_name)))
    assert lease["metadata"]["ownerReferences"][0]["uid"] == node["metadata"]["uid"]


def wait_for(fetch: Callable[[], Response], timeout: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    response = fetch()
    while response.status != 200 and time.monotonic() < deadline:
        time.sleep(0.2)
        response = fetch()
    assert response.status == 200, response.text
    found: dict[str, Any] = response.body
    return found
