"""The API goes away for a while: the agent keeps its pods running, retries with back-off, and
once the API is back reports what happened meanwhile (issue 5, "Crash safety").

Kubelet does not stop pods because kube-apiserver is unreachable; it keeps syncing them from
what it last knew and retries its writes. Here the agent talks to an API server of its own
(the session's database, a fixed port) that the test stops and starts again on the same port;
the test itself reads the pod through the session's server, which stays up throughout. While
the API is down one of the pod's two containers is killed: the agent must restart it
(restartPolicy Always) without the API and leave the other container and the sandbox alone,
and the pod's status must show the restart once the API is back.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import docker
import pytest
from docker.models.containers import Container

from nodeagent import labels
from nodeagent.client import RetryPolicy
from tests.e2e.cluster import Api
from tests.nodeagent.conftest import AgentApi, Agents
from tests.nodeagent.pods import container, container_state, get_pod, phase, run_pod, wait_for_pod
from tests.serving import restartable_port, running_api, server_env

pytestmark = [pytest.mark.docker, pytest.mark.e2e]

# How long the agent gets to restart the container without the API, and to report it after.
RESTART_SECONDS = 60.0
REPORT_SECONDS = 60.0
# The agent's watches keep the API from stopping gracefully; there is nothing to wait for.
STOP_SECONDS = 1.0


def pod_containers(client: docker.DockerClient, uid: str) -> list[Container]:
    found: list[Container] = client.containers.list(
        all=True, filters={"label": f"{labels.POD_UID}={uid}"}
    )
    return found


def running(client: docker.DockerClient, uid: str) -> dict[str, str]:
    """The pod's running containers in Docker: container name (``POD`` for the sandbox) to id."""
    return {
        c.labels.get(labels.CONTAINER_NAME, "POD"): c.id
        for c in pod_containers(client, uid)
        if c.status == "running"
    }


def wait_for_running_app(client: docker.DockerClient, uid: str, *, after: int) -> Container:
    """The pod's running ``app`` container whose restart count is above ``after`` (bounded)."""
    deadline = time.monotonic() + RESTART_SECONDS
    while time.monotonic() < deadline:
        for found in pod_containers(client, uid):
            name = found.labels.get(labels.CONTAINER_NAME)
            restarts = labels.restart_count(found.labels)
            if name == "app" and found.status == "running" and restarts > after:
                return found
        time.sleep(0.5)
    states = [(c.short_id, c.status, c.labels) for c in pod_containers(client, uid)]
    raise AssertionError(f"no running app container restarted more than {after} times: {states}")


def both_running(pod: dict[str, Any]) -> bool:
    states = [container_state(pod, name).get("state", {}) for name in ("app", "steady")]
    return phase("Running")(pod) and all("running" in state for state in states)


def reports(container_id: str) -> Callable[[dict[str, Any]], bool]:
    def check(pod: dict[str, Any]) -> bool:
        app = container_state(pod, "app")
        return app.get("containerID") == container_id and "running" in app.get("state", {})

    return check


def retry_delays(caplog: pytest.LogCaptureFixture, target: str) -> list[float]:
    """The back-off waits the agent's client logged between attempts of requests to ``target``."""
    delays = []
    for r in caplog.records:
        retried = r.name == "nodeagent.client" and str(r.msg).startswith("API unreachable")
        if retried and isinstance(r.args, tuple) and target in str(r.args[0]):
            delay = r.args[1]
            assert isinstance(delay, float)
            delays.append(delay)
    return delays


def wait_for_backoff(caplog: pytest.LogCaptureFixture, target: str) -> list[float]:
    """Wait (bounded) until one request to ``target`` has used all its attempts; the waits."""
    expected = list(RetryPolicy().delays())
    deadline = time.monotonic() + RESTART_SECONDS
    delays = retry_delays(caplog, target)
    while delays[: len(expected)] != expected and time.monotonic() < deadline:
        time.sleep(0.2)
        delays = retry_delays(caplog, target)
    return delays[: len(expected)]


def test_the_agent_keeps_its_pod_running_while_the_api_is_down_and_reports_the_truth_after(
    admin: Api,
    namespace: str,
    agents: Agents,
    agent_api: AgentApi,
    docker_client: docker.DockerClient,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="nodeagent.client")
    env = server_env(tmp_path / "api", database_url=agent_api.database_url)
    port = restartable_port()
    containers = [container("app", "sleep", "3600"), container("steady", "sleep", "3600")]
    with running_api(env, workers=1, stop_timeout=STOP_SECONDS, port=port) as server:
        agent = agents.start(dataclasses.replace(agents.config(), kubeconfig=server.kubeconfig))
        run_pod(admin, namespace, agents.node_name, "outage", containers)
        before = wait_for_pod(admin, namespace, "outage", both_running)
    (thread,) = [t for a, t in agents.running if a is agent]
    uid = before["metadata"]["uid"]
    status_path = f"/api/v1/namespaces/{namespace}/pods/outage/status"
    caplog.clear()

    # The API is down. Docker still has the pod; one of its containers dies.
    up = running(docker_client, uid)
    assert set(up) == {"POD", "app", "steady"}
    assert f"docker://{up['steady']}" == container_state(before, "steady")["containerID"]
    killed = docker_client.containers.get(up["app"])
    killed.kill()
    restarted = wait_for_running_app(docker_client, uid, after=labels.restart_count(killed.labels))
    # Only the dead container was replaced: same sandbox, the other container untouched.
    assert running(docker_client, uid) == up | {"app": restarted.id}
    # The status write that reports the restart is retried with growing waits, then given up
    # (to be tried again on the pod's next sync), rather than hammering or blocking the agent.
    assert wait_for_backoff(caplog, status_path) == list(RetryPolicy().delays())
    assert thread.is_alive()
    # Nothing could be reported meanwhile: the API does not know the new container yet.
    unreported = get_pod(admin, namespace, "outage")
    assert unreported is not None
    assert container_state(unreported, "app")["containerID"] == f"docker://{up['app']}"

    with running_api(env, workers=1, stop_timeout=STOP_SECONDS, port=port):
        reported = reports(f"docker://{restarted.id}")
        pod = wait_for_pod(admin, namespace, "outage", reported, timeout=REPORT_SECONDS)
        assert thread.is_alive()
    assert pod["status"]["phase"] == "Running"
    app, steady = container_state(pod, "app"), container_state(pod, "steady")
    assert app["restartCount"] == 1
    killed_state = app["lastState"]["terminated"]
    assert (killed_state["exitCode"], killed_state["reason"]) == (137, "Error")
    assert killed_state["containerID"] == f"docker://{up['app']}"
    assert (steady["restartCount"], steady["containerID"]) == (0, f"docker://{up['steady']}")
    assert "running" in steady["state"]
    assert running(docker_client, uid) == up | {"app": restarted.id}
