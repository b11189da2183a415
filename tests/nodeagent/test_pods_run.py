"""Pods run on the real Docker engine: sandbox, containers, status, events."""

from __future__ import annotations

import docker
import pytest

from nodeagent import labels
from tests.e2e.cluster import Api
from tests.nodeagent.conftest import Agents
from tests.nodeagent.pods import (
    conditions,
    container,
    container_state,
    events_for,
    phase,
    run_pod,
    wait_for_pod,
)

pytestmark = [pytest.mark.docker, pytest.mark.e2e]


def test_a_pod_runs_in_a_sandbox_and_reports_running(
    admin: Api, namespace: str, agents: Agents, docker_client: docker.DockerClient
) -> None:
    agents.start()
    run_pod(admin, namespace, agents.node_name, "web", [container("app", "sleep", "3600")])
    pod = wait_for_pod(admin, namespace, "web", phase("Running"))
    status = pod["status"]
    assert conditions(pod) == {
        "PodReadyToStartContainers": "True",
        "Initialized": "True",
        "Ready": "True",
        "ContainersReady": "True",
        "PodScheduled": "True",
    }
    app = container_state(pod, "app")
    assert set(app["state"]) == {"running"}
    assert (app["ready"], app["started"], app["restartCount"]) == (True, True, 0)
    assert app["containerID"].startswith("docker://")
    assert app["imageID"].startswith("docker://sha256:")
    assert status["hostIP"] == "127.0.0.1"
    assert status["startTime"]

    uid = pod["metadata"]["uid"]
    found = docker_client.containers.list(filters={"label": f"{labels.POD_UID}={uid}"})
    kinds = sorted(c.labels[labels.CONTAINER_KIND] for c in found)
    assert kinds == [labels.APP, labels.SANDBOX]
    sandbox = next(c for c in found if c.labels[labels.CONTAINER_KIND] == labels.SANDBOX)
    app_container = next(c for c in found if c.labels[labels.CONTAINER_KIND] == labels.APP)
    assert status["podIP"] == sandbox.attrs["NetworkSettings"]["Networks"]["bridge"]["IPAddress"]
    assert app_container.attrs["HostConfig"]["NetworkMode"] == f"container:{sandbox.id}"
    assert app["containerID"] == f"docker://{app_container.id}"
    assert app_container.labels[labels.CONTAINER_NAME] == "app"
    assert app_container.labels[labels.POD_NAMESPACE] == namespace

    reasons = {e["reason"] for e in events_for(admin, namespace, "web")}
    assert {"Pulled", "Created", "Started"} <= reasons
