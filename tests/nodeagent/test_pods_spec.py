"""The container spec honoured on Docker: command and args, env, workingDir, limits,
emptyDir, the shared network namespace, and init containers in order."""

from __future__ import annotations

import docker
import pytest

from tests.e2e.cluster import Api
from tests.nodeagent.conftest import Agents
from tests.nodeagent.pods import (
    conditions,
    container,
    container_state,
    phase,
    run_pod,
    shell,
    wait_for_pod,
)

pytestmark = [pytest.mark.docker, pytest.mark.e2e]


def logs(client: docker.DockerClient, status: dict[str, object]) -> str:
    container_id = str(status["containerID"]).removeprefix("docker://")
    output: bytes = client.containers.get(container_id).logs()
    return output.decode()


def test_command_args_env_and_working_dir(
    admin: Api, namespace: str, agents: Agents, docker_client: docker.DockerClient
) -> None:
    agents.start()
    script = 'echo "$1 $GREETING"; pwd; echo $POD $NS $UID $NODE $POD_IP $HOST_IP'
    app = container(
        "app",
        "sh",
        "-c",
        args=[script, "$(WHO)"],
        workingDir="/tmp",
        env=[
            {"name": "WHO", "value": "world"},
            {"name": "GREETING", "value": "hello $(WHO)"},
            {"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
            {"name": "NS", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
            {"name": "UID", "valueFrom": {"fieldRef": {"fieldPath": "metadata.uid"}}},
            {"name": "NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
            {"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
            {"name": "HOST_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.hostIP"}}},
        ],
    )
    created = run_pod(admin, namespace, agents.node_name, "env", [app], restartPolicy="Never")
    pod = wait_for_pod(admin, namespace, "env", phase("Succeeded"))
    status = container_state(pod, "app")
    assert status["state"]["terminated"]["reason"] == "Completed"
    expected = [
        # sh -c SCRIPT ARG0 ARG1: $1 is the second argument after the script.
        " hello world",
        "/tmp",
        " ".join(
            [
                "env",
                namespace,
                created["metadata"]["uid"],
                agents.node_name,
                pod["status"]["podIP"],
                "127.0.0.1",
            ]
        ),
    ]
    assert logs(docker_client, status).splitlines() == expected


def test_args_alone_keep_the_image_entrypoint(
    admin: Api, namespace: str, agents: Agents, docker_client: docker.DockerClient
) -> None:
    agents.start()
    app = container("app", args=["echo", "from args"])
    run_pod(admin, namespace, agents.node_name, "args", [app], restartPolicy="Never")
    pod = wait_for_pod(admin, namespace, "args", phase("Succeeded"))
    assert logs(docker_client, container_state(pod, "app")) == "from args\n"


def test_resource_limits_show_in_docker_inspect(
    admin: Api, namespace: str, agents: Agents, docker_client: docker.DockerClient
) -> None:
    agents.start()
    limits = {"cpu": "250m", "memory": "64Mi"}
    app = container("app", "sleep", "3600", resources={"limits": limits})
    run_pod(admin, namespace, agents.node_name, "limited", [app])
    pod = wait_for_pod(admin, namespace, "limited", phase("Running"))
    container_id = container_state(pod, "app")["containerID"].removeprefix("docker://")
    host_config = docker_client.api.inspect_container(container_id)["HostConfig"]
    assert host_config["NanoCpus"] == 250_000_000
    assert host_config["Memory"] == 64 * 2**20
    assert host_config["MemorySwap"] == 64 * 2**20


def test_containers_share_localhost_and_an_empty_dir(
    admin: Api, namespace: str, agents: Agents, docker_client: docker.DockerClient
) -> None:
    agents.start()
    mount = [{"name": "shared", "mountPath": "/shared"}]
    server = shell(
        "server", "echo shared-file > /shared/f; httpd -f -p 8080 -h /shared", volumeMounts=mount
    )
    client = shell(
        "client",
        "for i in $(seq 100); do wget -q -O- http://127.0.0.1:8080/f && break; sleep 0.2; done;"
        " sleep 3600",
    )
    volumes = [{"name": "shared", "emptyDir": {}}]
    run_pod(admin, namespace, agents.node_name, "pair", [server, client], volumes=volumes)
    pod = wait_for_pod(admin, namespace, "pair", phase("Running"))
    for _ in range(100):
        output = logs(docker_client, container_state(pod, "client"))
        if output:
            break
        pod = wait_for_pod(admin, namespace, "pair", phase("Running"))
    assert output == "shared-file\n"


def test_init_containers_run_in_order_before_the_app(
    admin: Api, namespace: str, agents: Agents, docker_client: docker.DockerClient
) -> None:
    agents.start()
    mount = [{"name": "work", "mountPath": "/work"}]
    inits = [
        shell("first", "sleep 1; echo first >> /work/order", volumeMounts=mount),
        shell("second", "echo second >> /work/order", volumeMounts=mount),
    ]
    app = shell("app", "cat /work/order", volumeMounts=mount)
    run_pod(
        admin,
        namespace,
        agents.node_name,
        "ordered",
        [app],
        initContainers=inits,
        volumes=[{"name": "work", "emptyDir": {}}],
        restartPolicy="Never",
    )
    pod = wait_for_pod(admin, namespace, "ordered", phase("Succeeded"))
    assert conditions(pod)["Initialized"] == "True"
    for name in ("first", "second"):
        state = container_state(pod, name, init=True)["state"]
        assert state["terminated"]["reason"] == "Completed"
    assert logs(docker_client, container_state(pod, "app")) == "first\nsecond\n"


def test_a_failed_init_container_fails_a_pod_that_never_restarts(
    admin: Api, namespace: str, agents: Agents
) -> None:
    agents.start()
    run_pod(
        admin,
        namespace,
        agents.node_name,
        "broken-init",
        [container("app", "true")],
        initContainers=[shell("setup", "exit 3")],
        restartPolicy="Never",
    )
    pod = wait_for_pod(admin, namespace, "broken-init", phase("Failed"))
    setup = container_state(pod, "setup", init=True)["state"]["terminated"]
    assert (setup["exitCode"], setup["reason"]) == (3, "Error")
    assert conditions(pod)["Initialized"] == "False"
    assert "waiting" in container_state(pod, "app")["state"]
