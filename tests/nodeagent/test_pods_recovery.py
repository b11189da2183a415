"""Pods come back after the engine lost their containers, as after a Docker engine restart.

Restarting the shared engine would stop every other test's containers on this machine, so
the tests do to one pod what an engine restart does to all: kill its sandbox and its app
container. The agent then sees a dead sandbox and exited containers, and must bring the pod
back as its restartPolicy says: a new sandbox and a restarted container (Always), or a
failed pod that stays down (Never).
"""

from __future__ import annotations

from typing import Any

import docker
import pytest

from nodeagent import labels
from tests.e2e.cluster import Api
from tests.nodeagent.conftest import Agents
from tests.nodeagent.pods import container, container_state, phase, run_pod, wait_for_pod

pytestmark = [pytest.mark.docker, pytest.mark.e2e]


def kill_pod_containers(client: docker.DockerClient, pod: dict[str, Any]) -> set[str]:
    """SIGKILL every container of the pod, as a stopping engine does; their IDs."""
    selector = f"{labels.POD_UID}={pod['metadata']['uid']}"
    found = client.containers.list(filters={"label": selector})
    for found_container in found:
        found_container.kill()
    return {c.id for c in found}


def test_an_always_pod_gets_a_new_sandbox_and_restarts(
    admin: Api, namespace: str, agents: Agents, docker_client: docker.DockerClient
) -> None:
    agents.start()
    run_pod(admin, namespace, agents.node_name, "back", [container("app", "sleep", "3600")])
    pod = wait_for_pod(admin, namespace, "back", phase("Running"))
    killed = kill_pod_containers(docker_client, pod)

    def recovered(p: dict[str, Any]) -> bool:
        app = container_state(p, "app")
        return app.get("restartCount") == 1 and "running" in app.get("state", {})

    pod = wait_for_pod(admin, namespace, "back", recovered)
    assert pod["status"]["phase"] == "Running"
    selector = f"{labels.POD_UID}={pod['metadata']['uid']}"
    running = docker_client.containers.list(filters={"label": selector})
    assert len(running) == 2
    assert not {c.id for c in running} & killed
    assert container_state(pod, "app")["lastState"]["terminated"]["exitCode"] == 137


def test_a_never_pod_stays_down_and_fails(
    admin: Api, namespace: str, agents: Agents, docker_client: docker.DockerClient
) -> None:
    agents.start()
    app = container("app", "sleep", "3600")
    run_pod(admin, namespace, agents.node_name, "gone", [app], restartPolicy="Never")
    pod = wait_for_pod(admin, namespace, "gone", phase("Running"))
    kill_pod_containers(docker_client, pod)
    pod = wait_for_pod(admin, namespace, "gone", phase("Failed"))
    status = container_state(pod, "app")
    assert status["restartCount"] == 0
    assert status["state"]["terminated"]["exitCode"] == 137
