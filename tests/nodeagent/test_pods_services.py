"""Service variables and container ports on the real Docker engine."""

from __future__ import annotations

import docker
import pytest

from nodeagent import labels
from tests.e2e.cluster import Api
from tests.nodeagent.conftest import Agents
from tests.nodeagent.pods import container_state, phase, run_pod, shell, wait_for_pod

pytestmark = [pytest.mark.docker, pytest.mark.e2e]


def test_a_container_gets_the_variables_of_services_that_existed_when_it_started(
    admin: Api, namespace: str, agents: Agents, docker_client: docker.DockerClient
) -> None:
    created = admin.create(
        f"/api/v1/namespaces/{namespace}/services",
        {
            "metadata": {"name": "redis-primary"},
            "spec": {"ports": [{"name": "db", "port": 6379, "targetPort": 6379}]},
        },
    )
    ip = created["spec"]["clusterIP"]
    agents.start()
    app = shell(
        "app",
        "env | grep ^REDIS_PRIMARY_ | sort; sleep 3600",
        ports=[{"name": "http", "containerPort": 8080}],
    )
    run_pod(admin, namespace, agents.node_name, "linked", [app])
    pod = wait_for_pod(admin, namespace, "linked", phase("Running"))

    container_id = container_state(pod, "app")["containerID"].removeprefix("docker://")
    output = docker_client.containers.get(container_id).logs().decode()
    assert output.splitlines() == sorted(
        [
            f"REDIS_PRIMARY_PORT=tcp://{ip}:6379",
            f"REDIS_PRIMARY_PORT_6379_TCP=tcp://{ip}:6379",
            f"REDIS_PRIMARY_PORT_6379_TCP_ADDR={ip}",
            "REDIS_PRIMARY_PORT_6379_TCP_PORT=6379",
            "REDIS_PRIMARY_PORT_6379_TCP_PROTO=tcp",
            f"REDIS_PRIMARY_SERVICE_HOST={ip}",
            "REDIS_PRIMARY_SERVICE_PORT=6379",
            "REDIS_PRIMARY_SERVICE_PORT_DB=6379",
        ]
    )
    selector = [f"{labels.POD_UID}={pod['metadata']['uid']}", f"{labels.CONTAINER_KIND}=podsandbox"]
    (sandbox,) = docker_client.containers.list(filters={"label": selector})
    assert "8080/tcp" in sandbox.attrs["Config"]["ExposedPorts"]
