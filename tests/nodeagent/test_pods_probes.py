"""Liveness, readiness and startup probes on the real Docker engine.

Probes run every second here so that each test sees its transitions within a few seconds.
The tests flip a container's health by running commands in it (``docker exec`` on containers
they created); the agent's httpGet and tcpSocket probes reach the pod's IP on the bridge.
"""

from __future__ import annotations

from typing import Any

import docker
import pytest

from nodeagent import labels
from tests.e2e.cluster import Api
from tests.nodeagent.conftest import Agents
from tests.nodeagent.pods import (
    conditions,
    container_state,
    events_for,
    pod_path,
    run_pod,
    shell,
    wait_for_pod,
)

pytestmark = [pytest.mark.docker, pytest.mark.e2e]

HTTPD = "mkdir -p /www; exec httpd -f -p 8080 -h /www"


def app_container(client: docker.DockerClient, pod: dict[str, Any]) -> Any:
    uid = pod["metadata"]["uid"]
    selector = [f"{labels.POD_UID}={uid}", f"{labels.CONTAINER_NAME}=app"]
    (found,) = client.containers.list(filters={"label": selector})
    return found


def ready(value: bool) -> Any:
    def check(pod: dict[str, Any]) -> bool:
        app = container_state(pod, "app")
        wanted = "True" if value else "False"
        return "running" in app.get("state", {}) and conditions(pod).get("Ready") == wanted

    return check


def test_a_readiness_probe_flips_the_pod_ready_and_back(
    admin: Api, namespace: str, agents: Agents, docker_client: docker.DockerClient
) -> None:
    agents.start()
    probe = {"httpGet": {"path": "/ready", "port": "http"}, "periodSeconds": 1}
    app = shell(
        "app",
        HTTPD,
        ports=[{"name": "http", "containerPort": 8080}],
        readinessProbe={**probe, "failureThreshold": 1},
    )
    run_pod(admin, namespace, agents.node_name, "web", [app])
    pod = wait_for_pod(admin, namespace, "web", ready(False))
    assert container_state(pod, "app")["ready"] is False
    assert container_state(pod, "app")["started"] is True
    assert conditions(pod)["ContainersReady"] == "False"
    assert pod["status"]["phase"] == "Running"

    container = app_container(docker_client, pod)
    container.exec_run(["sh", "-c", "echo ok > /www/ready"])
    pod = wait_for_pod(admin, namespace, "web", ready(True))
    assert container_state(pod, "app")["ready"] is True
    assert conditions(pod)["ContainersReady"] == "True"

    container.exec_run(["rm", "/www/ready"])
    pod = wait_for_pod(admin, namespace, "web", ready(False))
    assert container_state(pod, "app")["restartCount"] == 0
    unhealthy = [e for e in events_for(admin, namespace, "web") if e["reason"] == "Unhealthy"]
    assert unhealthy
    assert unhealthy[0]["type"] == "Warning"
    assert (
        unhealthy[0]["message"] == "Readiness probe failed: HTTP probe failed with statuscode: 404"
    )


def restarted(pod: dict[str, Any]) -> bool:
    app = container_state(pod, "app")
    return app.get("restartCount", 0) >= 1 and "running" in app.get("state", {})


def test_a_failing_liveness_probe_restarts_the_container(
    admin: Api, namespace: str, agents: Agents, docker_client: docker.DockerClient
) -> None:
    agents.start()
    liveness = {
        "exec": {"command": ["cat", "/tmp/healthy"]},
        "periodSeconds": 1,
        "failureThreshold": 2,
    }
    app = shell("app", "touch /tmp/healthy; exec sleep 3600", livenessProbe=liveness)
    run_pod(admin, namespace, agents.node_name, "alive", [app])
    pod = wait_for_pod(admin, namespace, "alive", ready(True))
    app_container(docker_client, pod).exec_run(["rm", "/tmp/healthy"])

    pod = wait_for_pod(admin, namespace, "alive", restarted)
    status = container_state(pod, "app")
    assert status["restartCount"] == 1
    assert "terminated" in status["lastState"]
    events = events_for(admin, namespace, "alive")
    unhealthy = [e["message"] for e in events if e["reason"] == "Unhealthy"]
    assert unhealthy
    assert unhealthy[0].startswith("Liveness probe failed: cat: can't open '/tmp/healthy'")
    killing = [e["message"] for e in events if e["reason"] == "Killing"]
    assert killing == ["Container app failed liveness probe, will be restarted"]


def test_a_startup_probe_holds_back_readiness_until_it_passes(
    admin: Api, namespace: str, agents: Agents
) -> None:
    agents.start()
    startup = {"tcpSocket": {"port": 8080}, "periodSeconds": 1, "failureThreshold": 30}
    readiness = {"exec": {"command": ["true"]}, "periodSeconds": 1}
    app = shell("app", f"sleep 2; {HTTPD}", startupProbe=startup, readinessProbe=readiness)
    run_pod(admin, namespace, agents.node_name, "slow", [app])

    def flags(event: dict[str, Any]) -> tuple[bool, bool, bool]:
        status = container_state(event["object"], "app")
        running = "running" in status.get("state", {})
        return running, bool(status.get("started")), bool(status.get("ready"))

    path = f"{pod_path(namespace)}?watch=1&fieldSelector=metadata.name%3Dslow"
    events = admin.watch(path, until=lambda es: any(flags(e)[2] for e in es), timeout=60)
    seen = [flags(e) for e in events]
    assert (True, False, False) in seen, seen
    assert seen[-1] == (True, True, True)
    # Ready never came before started.
    assert all(started for _, started, is_ready in seen if is_ready)
