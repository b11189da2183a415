"""A cluster with two nodes on this machine for the network tests: ``manage.py runcluster``
(API, worker, beat and node A's agent, as ``make up``) plus a second agent for node B.

Both agents play flannel and kube-proxy for real: Docker bridge networks, iptables rules and
blackhole routes. Afterwards everything is removed by name: the nodes' containers, their
``pilothouse-<node>`` networks and their ``PH-<node id>-`` chains.
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


@dataclass
class TwoNodes:
    kubectl: Kubectl
    env: dict[str, str]
    data: Path
    nodes: tuple[str, str]
    docker: docker.DockerClient
    agent_b: subprocess.Popen[bytes] | None = None
    logs: list[Path] = field(default_factory=list)

    def start_agent_b(self) -> None:
        node = self.nodes[1]
        kubeconfig = self.data / f"{node}.kubeconfig"
        if not kubeconfig.exists():
            manage(self.env, "createtoken", "--node", node, "--kubeconfig", str(kubeconfig))
        log = self.data / f"agent-{node}-{len(self.logs)}.log"
        self.logs.append(log)
        with log.open("w") as out:
            self.agent_b = subprocess.Popen(
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

    def stop_agent_b(self) -> None:
        if self.agent_b is not None:
            _stop(self.agent_b)
            self.agent_b = None

    def container(self, pod: str) -> Any:
        """The app container of ``pod`` (one container per pod in these tests)."""
        filters = {"label": [f"{labels.POD_NAME}={pod}", f"{labels.CONTAINER_KIND}={labels.APP}"]}
        found = self.docker.containers.list(filters=filters)
        assert len(found) == 1, f"containers of {pod}: {found}"
        return found[0]

    def in_pod(self, pod: str, *command: str) -> tuple[int, str]:
        code, output = self.container(pod).exec_run(["timeout", "5", *command])
        return int(code), output.decode(errors="replace")


def _clean_up(client: docker.DockerClient, node: str) -> None:
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


@pytest.fixture(scope="module")
def two_nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TwoNodes]:
    root = tmp_path_factory.mktemp("network")
    data = root / "data"
    env = server_env(
        data,
        database_url=None,
        CLUSTER_API_BIND=f"127.0.0.1:{free_port()}",
        CLUSTER_API_WORKERS="2",
        NODEAGENT_KUBELET_PORT="0",
    )
    manage(env, "migrate", "--noinput")
    nodes = (f"net-a-{os.getpid()}", f"net-b-{os.getpid()}")
    home = root / "home"
    home.mkdir()
    client = docker.from_env(timeout=60)
    with (root / "runcluster.log").open("w") as out:
        cluster = subprocess.Popen(
            [sys.executable, "manage.py", "runcluster", "--node-name", nodes[0]],
            cwd=REPO_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    handle = TwoNodes(Kubectl(data / "kubeconfig", home), env, data, nodes, client)
    try:
        eventually((data / "kubeconfig").exists, timeout=60)
        handle.start_agent_b()
        for node in nodes:
            eventually(functools.partial(_node_ready, handle.kubectl, node), timeout=90)
        yield handle
    finally:
        handle.stop_agent_b()
        _stop(cluster)
        for node in nodes:
            _clean_up(client, node)
        client.close()
