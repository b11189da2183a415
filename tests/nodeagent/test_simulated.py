"""The simulated runtime: the real agent and API traffic, containers only in memory.

No Docker here: these tests show that a simulated node registers, renews its Lease, runs the
pods bound to it through their whole life (status, events, graceful deletion confirmed to the
API), and that one process hosts many such nodes (``--nodes``).
"""

from __future__ import annotations

import functools
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from nodeagent.agent import Agent
from nodeagent.config import AgentConfig, parse_config
from nodeagent.fleet import fleet_configs
from nodeagent.node import LEASE_NAMESPACE
from nodeagent.pods.probes import READINESS, ProbeSpec, Target, simulated_probe
from nodeagent.runtime.base import ContainerConfig
from nodeagent.runtime.simulated import SimulatedRuntime
from tests.e2e.cluster import Api
from tests.nodeagent.conftest import AgentApi
from tests.nodeagent.pods import (
    conditions,
    container,
    container_state,
    events_for,
    phase,
    pod_path,
    run_pod,
    wait_for_pod,
    wait_until_gone,
)
from tests.serving import REPO_ROOT

pytestmark = [pytest.mark.e2e]

LEASES = f"/apis/coordination.k8s.io/v1/namespaces/{LEASE_NAMESPACE}/leases"


def test_a_simulated_container_starts_after_its_delay_and_exits_on_a_signal() -> None:
    runtime = SimulatedRuntime(start_delay=0.2)
    config = ContainerConfig(name="c", image="any:1", labels={"io.pilothouse.node": "n"})
    container_id = runtime.create(config)
    assert [c.state for c in runtime.containers({"io.pilothouse.node": "n"})] == ["created"]
    started = time.monotonic()
    runtime.start(container_id)
    assert time.monotonic() - started >= 0.2
    runtime.signal(container_id, 15)
    (found,) = runtime.containers({})
    assert (found.state, found.exit_code) == ("exited", 143)
    runtime.remove(container_id)
    assert runtime.summaries({}) == []


def test_network_probes_on_a_simulated_node_pass_without_a_packet() -> None:
    spec = ProbeSpec(READINESS, {"tcpSocket": {"port": 1}})
    # An address nothing answers on: a real probe would fail, a simulated one never dials.
    target = Target("c1", "198.51.100.7", {})
    assert simulated_probe(spec, target, SimulatedRuntime()).ok


def test_many_nodes_are_named_after_the_first(tmp_path: Path) -> None:
    argv = ["--kubeconfig", "k", "--node-name", "sim", "--runtime", "simulated", "--nodes", "3"]
    config = parse_config([*argv, "--data-dir", str(tmp_path)], {})
    nodes = fleet_configs(config)
    assert [c.node_name for c in nodes] == ["sim-0", "sim-1", "sim-2"]
    assert [c.data_dir for c in nodes] == [tmp_path / f"sim-{i}" for i in range(3)]
    assert {c.nodes for c in nodes} == {1}


@pytest.fixture
def simulated_agent(agent_api: AgentApi, node_name: str, tmp_path: Path) -> Iterator[Agent]:
    config = AgentConfig(
        kubeconfig=agent_api.kubeconfig,
        node_name=node_name,
        runtime="simulated",
        data_dir=tmp_path / "node",
        start_delay=0.1,
    )
    agent = Agent(config)
    thread = threading.Thread(target=agent.run, name=f"agent-{node_name}", daemon=True)
    thread.start()
    try:
        yield agent
    finally:
        agent.stop.set()
        thread.join(timeout=20)


def wait_for(check: Callable[[], Any], timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"never happened within {timeout} s")


def lease_exists(admin: Api, node: str) -> bool:
    return admin.get(f"{LEASES}/{node}").status == 200


def test_a_simulated_node_runs_a_pod_through_its_life(
    admin: Api, namespace: str, simulated_agent: Agent
) -> None:
    node = simulated_agent.config.node_name
    probe = {"httpGet": {"path": "/", "port": 80}, "periodSeconds": 1}
    app = container("app", "sleep", "3600", readinessProbe=probe)
    run_pod(admin, namespace, node, "sim", [app])
    pod = wait_for_pod(admin, namespace, "sim", lambda p: conditions(p).get("Ready") == "True")
    assert pod["status"]["phase"] == "Running"
    assert pod["status"]["podIP"].startswith("198.51.100.")
    assert container_state(pod, "app")["ready"] is True
    reasons = {e["reason"] for e in events_for(admin, namespace, "sim")}
    assert {"Pulled", "Created", "Started"} <= reasons

    registered = admin.get(f"/api/v1/nodes/{node}").body
    assert registered["status"]["nodeInfo"]["containerRuntimeVersion"] == "simulated://1.0.0"
    assert admin.get(f"{LEASES}/{node}").body["spec"]["holderIdentity"] == node

    response = admin.request("DELETE", pod_path(namespace, "sim"), {"gracePeriodSeconds": 5})
    assert response.status == 200, response.text
    wait_until_gone(admin, namespace, "sim", timeout=15)
    assert simulated_agent.runtime.summaries({}) == []


def test_one_process_hosts_many_simulated_nodes(
    admin: Api, namespace: str, agent_api: AgentApi, node_name: str, tmp_path: Path
) -> None:
    command = [
        sys.executable,
        "-m",
        "nodeagent",
        "--kubeconfig",
        str(agent_api.kubeconfig),
        "--node-name",
        node_name,
        "--runtime",
        "simulated",
        "--nodes",
        "3",
        "--data-dir",
        str(tmp_path),
    ]
    with (tmp_path / "agent.log").open("wb") as log:
        process = subprocess.Popen(command, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:
        names = [f"{node_name}-{i}" for i in range(3)]
        for name in names:
            wait_for(functools.partial(lease_exists, admin, name))
        for i, name in enumerate(names):
            run_pod(admin, namespace, name, f"p{i}", [container("app", "sleep", "3600")])
        for i, name in enumerate(names):
            pod = wait_for_pod(admin, namespace, f"p{i}", phase("Running"))
            assert pod["spec"]["nodeName"] == name
    finally:
        process.terminate()
        process.wait(timeout=30)
