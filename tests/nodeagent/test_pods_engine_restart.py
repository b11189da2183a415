"""Pods come back after a real Docker engine restart, as kubelet brings them back.

The agent runs against a private engine (``engine.py``): the shared one must not stop. The
module's pods start, then the engine is stopped as an operator stops it (SIGTERM; without
live-restore it stops every container: SIGTERM, then SIGKILL after 10 s, so ``sleep`` ends
with 137 and a shell that traps SIGTERM with its own code) and started again on the same data
root, while the agent keeps running. The agent must ride out the engine's absence, then do
what kubelet's ``computePodActions`` does for a pod whose sandbox died:

- Always: a new sandbox, every container started again in it, restartCount incremented;
- OnFailure: a new sandbox and the containers that did not succeed started again, the ones
  that exited 0 left Completed; a pod whose containers all succeeded gets no new sandbox and
  ends Succeeded;
- Never: no new sandbox and nothing restarted; the container the stop killed fails the pod;
- a new sandbox starts the pod from the beginning: its init containers run again first.

One engine restart serves every test of the module (it costs the engine's 10 s of grace).
The pods are bound before the agent starts, so its first list has them all.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker
import pytest
from docker.models.containers import Container

from nodeagent import labels
from nodeagent.agent import Agent
from nodeagent.config import AgentConfig
from nodeagent.runtime.docker import DockerRuntime
from tests.e2e.cluster import Api
from tests.nodeagent.conftest import BUSYBOX_IMAGE, AgentApi
from tests.nodeagent.engine import PrivateEngine, private_engine
from tests.nodeagent.pods import container, container_state, phase, run_pod, shell, wait_for_pod

pytestmark = [pytest.mark.docker, pytest.mark.e2e, pytest.mark.slow]

NODE = "node-engine-restart"
NAMESPACE = "agent-engine-restart"
# Exits 0 on SIGTERM, within a second.
GRACEFUL = "trap 'exit 0' TERM; while true; do sleep 1; done"
# Ignores SIGTERM (a process 1 without a handler): killed, 137.
KILLED = ("sleep", "3600")
PODS = ("always", "on-failure", "done", "never", "init")


@dataclass
class Restarted:
    """The scene after the engine restart, with each pod's containers from before it."""

    admin: Api
    client: docker.DockerClient
    agent_thread: threading.Thread
    data_dir: Path
    before: dict[str, set[str]] = field(default_factory=dict)

    def wait(self, name: str, until: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        return wait_for_pod(self.admin, NAMESPACE, name, until)

    def containers(self, pod: dict[str, Any]) -> list[Container]:
        selector = f"{labels.POD_UID}={pod['metadata']['uid']}"
        found: list[Container] = self.client.containers.list(all=True, filters={"label": selector})
        return found

    def running(self, pod: dict[str, Any]) -> dict[str, str]:
        """The pod's running containers: container name (POD for the sandbox) to ID."""
        running: dict[str, str] = {}
        for found in self.containers(pod):
            if found.status == "running":
                name = found.labels[labels.CONTAINER_NAME]
                assert name not in running, f"two running {name} containers in the pod"
                running[name] = found.id
        return running


def _agent(agent_api: AgentApi, engine: PrivateEngine, data_dir: Path, infra_image: str) -> Agent:
    config = AgentConfig(
        kubeconfig=agent_api.kubeconfig,
        node_name=NODE,
        infra_image=infra_image,
        data_dir=data_dir,
        backoff_initial=1.0,
        backoff_max=4.0,
        # The private engine has no bridge: each pod has a network namespace of its own.
        network="none",
        proxy_mode="none",
    )
    return Agent(config, runtime=DockerRuntime(engine.client()))


def _bind_pods(admin: Api) -> None:
    admin.create("/api/v1/namespaces", {"metadata": {"name": NAMESPACE}})
    run_pod(admin, NAMESPACE, NODE, "always", [container("app", *KILLED)])
    run_pod(
        admin,
        NAMESPACE,
        NODE,
        "on-failure",
        [container("killed", *KILLED), shell("graceful", GRACEFUL)],
        restartPolicy="OnFailure",
    )
    run_pod(admin, NAMESPACE, NODE, "done", [shell("app", GRACEFUL)], restartPolicy="OnFailure")
    run_pod(admin, NAMESPACE, NODE, "never", [container("app", *KILLED)], restartPolicy="Never")
    mounts = [{"name": "work", "mountPath": "/work"}]
    run_pod(
        admin,
        NAMESPACE,
        NODE,
        "init",
        [container("app", *KILLED)],
        initContainers=[shell("setup", "echo ran >> /work/runs", volumeMounts=mounts)],
        volumes=[{"name": "work", "emptyDir": {}}],
    )


def _all_started(pod: dict[str, Any]) -> bool:
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    return phase("Running")(pod) and all("running" in s["state"] for s in statuses)


@pytest.fixture(scope="module")
def restarted(
    agent_api: AgentApi,
    infra_image: str,
    docker_client: docker.DockerClient,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Restarted]:
    if os.geteuid() != 0:
        pytest.skip("a private Docker engine needs root")
    with private_engine(docker_client, [BUSYBOX_IMAGE, infra_image]) as engine:
        data_dir = tmp_path_factory.mktemp("engine-node")
        agent = _agent(agent_api, engine, data_dir, infra_image)
        thread = threading.Thread(target=agent.run, name="agent-engine-restart", daemon=True)
        _bind_pods(agent_api.admin)
        thread.start()
        try:
            scene = Restarted(agent_api.admin, engine.client(), thread, data_dir)
            for name in PODS:
                pod = scene.wait(name, _all_started)
                scene.before[name] = {c.id for c in scene.containers(pod)}
            engine.restart()
            yield scene
        finally:
            agent.stop.set()
            thread.join(timeout=20)


def restarted_once(name: str) -> Callable[[dict[str, Any]], bool]:
    def check(pod: dict[str, Any]) -> bool:
        status = container_state(pod, name)
        return status.get("restartCount") == 1 and "running" in status.get("state", {})

    return check


def test_the_agent_rides_out_the_engine_restart(restarted: Restarted) -> None:
    restarted.wait("always", restarted_once("app"))
    assert restarted.agent_thread.is_alive()


def test_an_always_pod_runs_again_in_a_new_sandbox(restarted: Restarted) -> None:
    pod = restarted.wait("always", restarted_once("app"))
    assert pod["status"]["phase"] == "Running"
    running = restarted.running(pod)
    assert set(running) == {"POD", "app"}
    assert not set(running.values()) & restarted.before["always"]
    app = container_state(pod, "app")
    assert app["containerID"] == f"docker://{running['app']}"
    assert app["ready"] is True
    killed = app["lastState"]["terminated"]
    assert (killed["exitCode"], killed["reason"]) == (137, "Error")
    assert killed["containerID"].removeprefix("docker://") in restarted.before["always"]
    ready = {c["type"]: c["status"] for c in pod["status"]["conditions"]}
    assert ready["Ready"] == "True"


def test_an_on_failure_pod_restarts_only_the_containers_that_failed(
    restarted: Restarted,
) -> None:
    pod = restarted.wait("on-failure", restarted_once("killed"))
    assert pod["status"]["phase"] == "Running"
    graceful = container_state(pod, "graceful")
    assert graceful["restartCount"] == 0
    assert graceful["state"]["terminated"]["exitCode"] == 0
    assert graceful["state"]["terminated"]["reason"] == "Completed"
    running = restarted.running(pod)
    assert set(running) == {"POD", "killed"}
    assert not set(running.values()) & restarted.before["on-failure"]


def test_an_on_failure_pod_whose_containers_succeeded_completes_without_a_new_sandbox(
    restarted: Restarted,
) -> None:
    pod = restarted.wait("done", phase("Succeeded"))
    app = container_state(pod, "app")
    assert (app["restartCount"], app["state"]["terminated"]["exitCode"]) == (0, 0)
    assert {c.id for c in restarted.containers(pod)} == restarted.before["done"]
    assert restarted.running(pod) == {}


def test_a_never_pod_stays_down_and_fails(restarted: Restarted) -> None:
    pod = restarted.wait("never", phase("Failed"))
    app = container_state(pod, "app")
    assert app["restartCount"] == 0
    assert (app["state"]["terminated"]["exitCode"], app["ready"]) == (137, False)
    assert {c.id for c in restarted.containers(pod)} == restarted.before["never"]
    assert restarted.running(pod) == {}


def test_a_new_sandbox_runs_the_init_containers_again_first(restarted: Restarted) -> None:
    pod = restarted.wait("init", restarted_once("app"))
    setup = container_state(pod, "setup", init=True)
    assert setup["restartCount"] == 1
    assert setup["state"]["terminated"]["reason"] == "Completed"
    setup_id = setup["containerID"].removeprefix("docker://")
    assert setup_id not in restarted.before["init"]
    sandbox = restarted.running(pod)["POD"]
    network = restarted.client.containers.get(setup_id).attrs["HostConfig"]["NetworkMode"]
    assert network == f"container:{sandbox}"
    volume = restarted.data_dir / "pods" / pod["metadata"]["uid"] / "volumes"
    runs = volume / "kubernetes.io~empty-dir" / "work" / "runs"
    assert runs.read_text().split() == ["ran", "ran"]
