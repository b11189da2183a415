"""``make up``'s cluster end to end: ``manage.py runcluster`` on the embedded defaults.

One real cluster as a newcomer gets it: SQLite, the file-system broker, the API, a Celery
worker, beat and a node agent on the Docker engine, all started by ``runcluster``. The README's
first steps then work with kubectl: the example RC's pods are scheduled onto this machine's
node and run in Docker, the Service gets their endpoints, ``kubectl logs`` shows a pod's
output, and deleting removes the containers. Nothing is pulled: the examples' image is built
from busybox-static by ``scripts/busybox-image.sh`` (as ``make up`` does), the sandbox image by
the agent.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import docker.errors
import pytest

from nodeagent import labels
from nodeagent.podnet import network_name
from tests.controlplane.cluster import eventually
from tests.e2e.cluster import Kubectl
from tests.serving import REPO_ROOT, free_port, manage, server_env

pytestmark = [pytest.mark.docker, pytest.mark.e2e, pytest.mark.slow]


@dataclass(frozen=True)
class RunningCluster:
    kubectl: Kubectl
    node: str
    log: Path


def _node_containers(client: docker.DockerClient, node: str) -> list[Any]:
    found: list[Any] = client.containers.list(all=True, filters={"label": f"{labels.NODE}={node}"})
    return found


@pytest.fixture(scope="module")
def docker_client() -> Iterator[docker.DockerClient]:
    client = docker.from_env(timeout=60)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture(scope="module")
def cluster(
    tmp_path_factory: pytest.TempPathFactory, docker_client: docker.DockerClient
) -> Iterator[RunningCluster]:
    """One ``runcluster`` for the module's tests, its node Ready."""
    tmp_path = tmp_path_factory.mktemp("runcluster")
    subprocess.run(
        ["bash", "scripts/busybox-image.sh", "pilothouse/busybox:local"],
        cwd=REPO_ROOT,
        check=True,
        timeout=300,
    )
    data = tmp_path / "data"
    env = server_env(
        data,
        database_url=None,  # the embedded SQLite default, as make up
        CLUSTER_API_BIND=f"127.0.0.1:{free_port()}",
        CLUSTER_API_WORKERS="2",
        NODEAGENT_KUBELET_PORT="0",
    )
    manage(env, "migrate", "--noinput")
    node = f"runcluster-{os.getpid()}"
    log = tmp_path / "runcluster.log"
    home = tmp_path / "home"
    home.mkdir()
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "runcluster", "--node-name", node],
            cwd=REPO_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        kubeconfig = data / "kubeconfig"
        eventually(kubeconfig.exists, timeout=60)
        running = RunningCluster(Kubectl(kubeconfig, home), node, log)
        eventually(lambda: _node_ready(running), timeout=90, interval=0.5)
        yield running
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        for container in _node_containers(docker_client, node):
            container.remove(force=True)
        # The agent keeps its pod network while pods use it, as it must on a restart.
        with contextlib.suppress(docker.errors.NotFound):
            docker_client.networks.get(network_name(node)).remove()


def _node_ready(cluster: RunningCluster) -> bool:
    rc, out, _ = cluster.kubectl("get", "node", cluster.node, "-o", "json")
    conditions = json.loads(out)["status"]["conditions"] if rc == 0 else []
    return any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)


def _pods(kubectl: Kubectl) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = kubectl.json("pods")["items"]
    return items


def _fetch(url: str) -> str:
    """One GET with a short timeout; a refused or reset connection counts as no answer."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return str(response.read().decode().strip())
    except OSError:
        return ""


def test_the_readme_first_steps_run_real_containers(
    cluster: RunningCluster, docker_client: docker.DockerClient
) -> None:
    kubectl = cluster.kubectl
    kubectl.ok("apply", "-f", str(REPO_ROOT / "examples" / "pod.yaml"))
    kubectl.ok("apply", "-f", str(REPO_ROOT / "examples" / "rc.yaml"))
    kubectl.ok("expose", "rc", "web", "--port", "80", "--target-port", "8080", "--type", "NodePort")

    def all_running() -> bool:
        pods = _pods(kubectl)
        return len(pods) == 4 and all(
            p["status"].get("phase") == "Running" and p["spec"].get("nodeName") == cluster.node
            for p in pods
        )

    eventually(all_running, timeout=120, interval=0.5)
    web_ips = sorted(
        p["status"]["podIP"] for p in _pods(kubectl) if p["metadata"]["name"] != "hello"
    )

    def endpoints() -> list[str]:
        subsets = kubectl.json("endpoints", "web").get("subsets") or []
        return sorted(a["ip"] for s in subsets for a in s.get("addresses") or [])

    eventually(lambda: endpoints() == web_ips, timeout=60)
    # The README's curl: the NodePort on the host's loopback answers with each pod's hostname.
    node_port = kubectl.json("service", "web")["spec"]["ports"][0]["nodePort"]
    web_names = {p["metadata"]["name"] for p in _pods(kubectl) if p["metadata"]["name"] != "hello"}
    seen: set[str] = set()

    def every_pod_answered() -> bool:
        answer = _fetch(f"http://127.0.0.1:{node_port}/")
        if answer:
            seen.add(answer)
        return seen >= web_names

    eventually(every_pod_answered, timeout=30, interval=0.05)
    assert seen == web_names
    assert kubectl.ok("logs", "hello") == "hello from pilothouse\n"
    # A sandbox and an app container per pod, labelled with this node.
    assert len(_node_containers(docker_client, cluster.node)) == 8

    kubectl.ok("delete", "rc", "web", "--wait=false")
    # The garbage collector deletes the RC's pods with their 30 s grace period; shorten it.
    kubectl.ok("delete", "pods", "--all", "--grace-period=1", "--wait=false")
    eventually(lambda: _pods(kubectl) == [], timeout=90, interval=0.5)
    eventually(lambda: _node_containers(docker_client, cluster.node) == [], timeout=30)
    assert "Traceback" not in cluster.log.read_text()


def test_kubectl_run_then_describe_shows_the_running_container_and_its_events(
    cluster: RunningCluster, docker_client: docker.DockerClient
) -> None:
    kubectl = cluster.kubectl
    kubectl.ok(
        "run", "ticker", "--image=pilothouse/busybox:local", "--restart=Never",
        "--command", "--", "sh", "-c", "echo started; exec sleep 3600",
    )  # fmt: skip

    def running() -> bool:
        pod = kubectl.json("pod", "ticker")
        return bool(pod["status"].get("phase") == "Running")

    eventually(running, timeout=60, interval=0.5)
    described = kubectl.ok("describe", "pod", "ticker")
    pod = kubectl.json("pod", "ticker")
    node = re.escape(cluster.node)
    container_id = pod["status"]["containerStatuses"][0]["containerID"]
    for pattern in (
        rf"Node:\s+{node}/",
        r"Status:\s+Running",
        rf"IP:\s+{re.escape(pod['status']['podIP'])}",
        rf"Container ID:\s+{re.escape(container_id)}",
        r"State:\s+Running",
        r"Ready:\s+True",
        r"Restart Count:\s+0",
        rf"Scheduled\s+\S+\s+default-scheduler\s+Successfully assigned default/ticker to {node}",
        r"Created\s+\S+\s+kubelet\s+.*Created container: ticker",
        r"Started\s+\S+\s+kubelet\s+.*Started container ticker",
    ):
        assert re.search(pattern, described), f"{pattern!r} not in:\n{described}"
    assert kubectl.ok("logs", "ticker") == "started\n"
    containers = _node_containers(docker_client, cluster.node)
    assert len([c for c in containers if c.labels.get(labels.POD_NAME) == "ticker"]) == 2

    kubectl.ok("delete", "pod", "ticker", "--grace-period=1")
    assert kubectl("get", "pod", "ticker")[0] != 0
    eventually(
        lambda: (
            not any(
                c.labels.get(labels.POD_NAME) == "ticker"
                for c in _node_containers(docker_client, cluster.node)
            )
        ),
        timeout=30,
    )
