"""Clusters on this machine for the network tests: ``manage.py runcluster`` (API, worker, beat
and node A's agent, as ``make up``) plus agents of further nodes started by the tests.

The agents play flannel and kube-proxy for real: Docker bridge networks, iptables rules and
blackhole routes, in CIDRs of this test run's own. Afterwards everything is removed by name:
the nodes' containers, their ``pilothouse-<node>`` networks and their ``PH-<node id>-`` chains.
"""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker
import docker.errors
import pytest

from nodeagent import labels
from nodeagent.podnet import network_name
from nodeagent.proxy.iptables import Chains, Iptables, forward_jump, nat_jumps, removal
from tests.controlplane.cluster import eventually
from tests.e2e.cluster import Kubectl
from tests.serving import REPO_ROOT, free_port, manage, server_env

IMAGE = "pilothouse/busybox:test"
INFRA_IMAGE = "pilothouse/pause:local"


def _stop(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def cidrs_of_this_run() -> dict[str, str]:
    """A cluster CIDR and a service CIDR of this test run's own, for the control plane and the
    agents: other clusters on the machine (other test runs, ``make up``) use the defaults, and
    Docker refuses a pod network whose subnet another network has."""
    block = 150 + 2 * (os.getpid() % 50)
    cluster, service = f"10.{block}.0.0/16", f"10.{block + 1}.0.0/16"
    return {
        "CLUSTER_CIDR": cluster,
        "NODEAGENT_CLUSTER_CIDR": cluster,
        "CLUSTER_SERVICE_CIDR": service,
        "NODEAGENT_SERVICE_CIDR": service,
    }


@dataclass
class Cluster:
    """A running cluster: node A's agent runs in ``runcluster``, the others are the test's."""

    kubectl: Kubectl
    env: dict[str, str]
    data: Path
    node_a: str
    docker: docker.DockerClient
    agents: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    logs: dict[str, list[Path]] = field(default_factory=dict)

    @property
    def runcluster_log(self) -> Path:
        return self.data.parent / "runcluster.log"

    def start_agent(self, node: str) -> None:
        kubeconfig = self.data / f"{node}.kubeconfig"
        if not kubeconfig.exists():
            manage(self.env, "createtoken", "--node", node, "--kubeconfig", str(kubeconfig))
        logs = self.logs.setdefault(node, [])
        log = self.data / f"agent-{node}-{len(logs)}.log"
        logs.append(log)
        with log.open("w") as out:
            self.agents[node] = subprocess.Popen(
                [
                    sys.executable, "-m", "nodeagent", "--kubeconfig", str(kubeconfig),
                    "--node-name", node, "--data-dir", str(self.data / node),
                    "--infra-image", INFRA_IMAGE, "--kubelet-port", "0",
                ],
                cwd=REPO_ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip

    def stop_agent(self, node: str) -> None:
        agent = self.agents.pop(node, None)
        if agent is not None:
            _stop(agent)

    def wait_ready(self, node: str) -> None:
        eventually(functools.partial(_node_ready, self.kubectl, node), timeout=90)

    def container(self, pod: str) -> Any:
        """The app container of ``pod`` (one container per pod in these tests)."""
        filters = {"label": [f"{labels.POD_NAME}={pod}", f"{labels.CONTAINER_KIND}={labels.APP}"]}
        found = self.docker.containers.list(filters=filters)
        assert len(found) == 1, f"containers of {pod}: {found}"
        return found[0]

    def in_pod(self, pod: str, *command: str) -> tuple[int, str]:
        code, output = self.container(pod).exec_run(["timeout", "5", *command])
        return int(code), output.decode(errors="replace")


@dataclass
class TwoNodes(Cluster):
    """Node A in ``runcluster``, node B's agent started by the fixture."""

    @property
    def nodes(self) -> tuple[str, str]:
        return self.node_a, self.node_b

    @property
    def node_b(self) -> str:
        return f"net-b-{os.getpid()}"

    def start_agent_b(self) -> None:
        self.start_agent(self.node_b)

    def stop_agent_b(self) -> None:
        self.stop_agent(self.node_b)


def clean_up_node(client: docker.DockerClient, node: str) -> None:
    for container in client.containers.list(all=True, filters={"label": f"{labels.NODE}={node}"}):
        with contextlib.suppress(docker.errors.APIError):
            container.remove(force=True)
    with contextlib.suppress(docker.errors.APIError):
        client.networks.get(network_name(node)).remove()
    iptables, chains = Iptables(), Chains.for_node(node)
    for jump in [*nat_jumps(chains), forward_jump(chains)]:
        iptables.remove_jump(jump)
    iptables.restore(removal("nat", iptables.chains("nat", chains.prefix)))
    iptables.restore(removal("filter", iptables.chains("filter", chains.prefix)))


def _node_ready(kubectl: Kubectl, node: str) -> bool:
    rc, out, _ = kubectl("get", "node", node, "-o", "jsonpath={.status.conditions[-1].status}")
    return rc == 0 and out == "True"


@contextlib.contextmanager
def running_cluster(
    root: Path, *, node_a: str, kind: type[Cluster] = Cluster, **extra_env: str
) -> Iterator[Cluster]:
    """``runcluster`` on an SQLite data dir under ``root``, until the block ends; then every
    agent stops and what the nodes left behind is removed."""
    data = root / "data"
    env = server_env(
        data,
        database_url=None,
        CLUSTER_API_BIND=f"127.0.0.1:{free_port()}",
        CLUSTER_API_WORKERS="2",
        NODEAGENT_KUBELET_PORT="0",
        # The pods of a deleted node are collected at once, not after kube's 40 s.
        CLUSTER_POD_GC_QUARANTINE_SECONDS="0",
        **cidrs_of_this_run(),
        **extra_env,
    )
    manage(env, "migrate", "--noinput")
    home = root / "home"
    home.mkdir()
    client = docker.from_env(timeout=60)
    with (root / "runcluster.log").open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "runcluster", "--node-name", node_a],
            cwd=REPO_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    cluster = kind(Kubectl(data / "kubeconfig", home), env, data, node_a, client)
    try:
        eventually((data / "kubeconfig").exists, timeout=60)
        yield cluster
    finally:
        started = [*cluster.agents, *cluster.logs]
        for node in list(cluster.agents):
            cluster.stop_agent(node)
        _stop(process)
        for node in dict.fromkeys([node_a, *started]):
            clean_up_node(client, node)
        client.close()


@pytest.fixture(scope="module")
def two_nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TwoNodes]:
    root = tmp_path_factory.mktemp("network")
    with running_cluster(root, node_a=f"net-a-{os.getpid()}", kind=TwoNodes) as cluster:
        assert isinstance(cluster, TwoNodes)
        cluster.start_agent_b()
        for node in cluster.nodes:
            cluster.wait_ready(node)
        yield cluster
