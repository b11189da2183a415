"""Graceful deletion, orphan removal and adoption after an agent restart, on Docker."""

from __future__ import annotations

import signal
import time

import docker
import pytest

from nodeagent import labels
from tests.e2e.cluster import Api
from tests.nodeagent.conftest import Agents
from tests.nodeagent.pods import (
    container,
    container_state,
    events_for,
    phase,
    pod_path,
    run_pod,
    shell,
    wait_for_pod,
    wait_until_gone,
)

pytestmark = [pytest.mark.docker, pytest.mark.e2e]


def pod_containers(
    client: docker.DockerClient, uid: str
) -> list[docker.models.containers.Container]:
    found: list[docker.models.containers.Container] = client.containers.list(
        all=True, filters={"label": f"{labels.POD_UID}={uid}"}
    )
    return found


def delete(admin: Api, namespace: str, name: str, grace: int | None = None) -> None:
    body = {} if grace is None else {"gracePeriodSeconds": grace}
    response = admin.request("DELETE", pod_path(namespace, name), body)
    assert response.status == 200, response.text


def test_a_container_that_handles_sigterm_stops_at_once(
    admin: Api, namespace: str, agents: Agents, docker_client: docker.DockerClient
) -> None:
    agents.start()
    app = shell("app", "trap 'exit 0' TERM; while true; do sleep 0.1; done")
    created = run_pod(
        admin, namespace, agents.node_name, "polite", [app], terminationGracePeriodSeconds=30
    )
    wait_for_pod(admin, namespace, "polite", phase("Running"))
    started = time.monotonic()
    delete(admin, namespace, "polite")
    assert get_deletion_grace(admin, namespace, "polite") == 30
    wait_until_gone(admin, namespace, "polite", timeout=20)
    assert time.monotonic() - started < 10
    assert pod_containers(docker_client, created["metadata"]["uid"]) == []


def get_deletion_grace(admin: Api, namespace: str, name: str) -> int | None:
    response = admin.get(pod_path(namespace, name))
    if response.status == 404:
        return None
    grace: int = response.body["metadata"]["deletionGracePeriodSeconds"]
    return grace


def test_a_container_that_ignores_sigterm_is_killed_after_the_grace_period(
    admin: Api, namespace: str, agents: Agents, docker_client: docker.DockerClient
) -> None:
    agents.start()
    # PID 1 gets no default signal handlers: ``sleep`` as PID 1 ignores SIGTERM.
    created = run_pod(
        admin,
        namespace,
        agents.node_name,
        "stubborn",
        [container("app", "sleep", "3600")],
        terminationGracePeriodSeconds=3,
    )
    wait_for_pod(admin, namespace, "stubborn", phase("Running"))
    started = time.monotonic()
    delete(admin, namespace, "stubborn")
    wait_until_gone(admin, namespace, "stubborn", timeout=30)
    assert 3 <= time.monotonic() - started < 15
    assert pod_containers(docker_client, created["metadata"]["uid"]) == []
    assert "Killing" in {e["reason"] for e in events_for(admin, namespace, "stubborn")}


def test_containers_of_pods_deleted_while_the_agent_was_down_are_removed(
    admin: Api, namespace: str, agents: Agents, docker_client: docker.DockerClient
) -> None:
    agents.start()
    created = run_pod(
        admin, namespace, agents.node_name, "left", [container("app", "sleep", "3600")]
    )
    wait_for_pod(admin, namespace, "left", phase("Running"))
    agents.stop_all()
    delete(admin, namespace, "left", grace=0)
    wait_until_gone(admin, namespace, "left")
    uid = created["metadata"]["uid"]
    assert len(pod_containers(docker_client, uid)) == 2
    agents.start()
    deadline = time.monotonic() + 30
    while pod_containers(docker_client, uid) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert pod_containers(docker_client, uid) == []


def test_a_killed_agent_adopts_its_containers_when_it_restarts(
    admin: Api, namespace: str, agents: Agents, docker_client: docker.DockerClient
) -> None:
    first = agents.spawn()
    run_pod(admin, namespace, agents.node_name, "steady", [container("app", "sleep", "3600")])
    run_pod(admin, namespace, agents.node_name, "crashy", [shell("app", "sleep 0.5; exit 1")])
    steady = wait_for_pod(admin, namespace, "steady", phase("Running"))
    crashy = wait_for_pod(
        admin, namespace, "crashy", lambda p: container_state(p, "app").get("restartCount", 0) >= 1
    )
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    before = {c.id for c in pod_containers(docker_client, steady["metadata"]["uid"])}
    restarts = container_state(crashy, "app")["restartCount"]

    agents.spawn()
    # The restarted agent reports again (its node heartbeat moves on) and leaves "steady" be.
    time.sleep(5)
    steady = wait_for_pod(admin, namespace, "steady", phase("Running"))
    assert {c.id for c in pod_containers(docker_client, steady["metadata"]["uid"])} == before
    app = container_state(steady, "app")
    assert app["restartCount"] == 0
    assert app["containerID"].removeprefix("docker://") in before
    crashy = wait_for_pod(
        admin,
        namespace,
        "crashy",
        lambda p: container_state(p, "app").get("restartCount", 0) > restarts,
    )
    sandboxes = [
        c
        for c in pod_containers(docker_client, crashy["metadata"]["uid"])
        if c.labels[labels.CONTAINER_KIND] == labels.SANDBOX
    ]
    assert len(sandboxes) == 1
