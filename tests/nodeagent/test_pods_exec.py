"""``kubectl exec`` end to end: the real kubectl opens a WebSocket (``v5.channel.k8s.io``) to
the API server, which relays it to the agent's exec endpoint, which runs the command in the
container through the real Docker engine.

The interactive cases give kubectl a pseudo-terminal (``tests.nodeagent.terminal``), since
``-t`` only allocates a TTY when kubectl's input is one. Exec needs no pod network, so these
pods get a network namespace of their own instead of a place on the shared Docker bridge.
"""

from __future__ import annotations

import os
import select
import subprocess
import time
from pathlib import Path

import docker
import pytest

from nodeagent import labels
from nodeagent.agent import Agent
from tests.e2e.cluster import Api
from tests.kubectl import KUBECTL, kubectl, kubectl_env
from tests.nodeagent.conftest import AgentApi
from tests.nodeagent.pods import container, phase, run_pod, wait_for_pod
from tests.nodeagent.terminal import Terminal

pytestmark = [pytest.mark.docker, pytest.mark.e2e]

# How long a step of an interactive session may take to show on the terminal.
SCREEN_SECONDS = 15.0


@pytest.fixture
def pod_network() -> str:
    """Exec needs no network: the pods get none, and so no bridge to depend on."""
    return "none"


def _exec(
    agent_api: AgentApi, home: Path, namespace: str, *args: str, input: str | None = None
) -> tuple[int, str, str]:
    done = kubectl(
        agent_api.kubeconfig, "exec", "-n", namespace, *args, home=home, input=input, timeout=60
    )
    return done.returncode, done.stdout, done.stderr


@pytest.fixture
def pod(admin: Api, namespace: str, log_agent: Agent) -> str:
    """A running pod on the agent's node, its one container sleeping."""
    node = log_agent.config.node_name
    run_pod(admin, namespace, node, "shell", [container("app", "sleep", "3600")])
    wait_for_pod(admin, namespace, "shell", phase("Running"))
    return "shell"


def test_it_prints_both_streams_and_exits_with_the_commands_code(
    agent_api: AgentApi, home: Path, namespace: str, pod: str
) -> None:
    script = "echo out; echo err >&2; exit 3"
    rc, out, err = _exec(agent_api, home, namespace, pod, "--", "sh", "-c", script)
    assert (rc, out) == (3, "out\n"), err
    assert err.startswith("err\n"), err
    assert "command terminated with exit code 3" in err


def test_a_command_that_succeeds_exits_zero(
    agent_api: AgentApi, home: Path, namespace: str, pod: str
) -> None:
    assert _exec(agent_api, home, namespace, pod, "-c", "app", "--", "echo", "hello") == (
        0,
        "hello\n",
        "",
    )


def test_it_passes_stdin_through_until_its_end(
    agent_api: AgentApi, home: Path, namespace: str, pod: str
) -> None:
    rc, out, err = _exec(agent_api, home, namespace, "-i", pod, "--", "cat", input="hi\nthere\n")
    assert (rc, out, err) == (0, "hi\nthere\n", "")


def test_an_unknown_container_is_refused_in_kubes_words(
    agent_api: AgentApi, home: Path, namespace: str, pod: str
) -> None:
    rc, out, err = _exec(agent_api, home, namespace, pod, "-c", "nope", "--", "true")
    assert rc == 1
    assert f"container nope is not valid for pod {pod}" in err


def test_a_container_that_is_not_running_is_refused(
    admin: Api, agent_api: AgentApi, home: Path, namespace: str, log_agent: Agent
) -> None:
    node = log_agent.config.node_name
    done = container("app", "true")
    run_pod(admin, namespace, node, "done", [done], restartPolicy="Never")
    wait_for_pod(admin, namespace, "done", phase("Succeeded"))
    response = admin.get(f"/api/v1/namespaces/{namespace}/pods/done/exec?command=true&stdout=true")
    assert response.status == 400, response.text
    assert response.body["message"] == "container app is not running"


def test_stdin_end_closes_the_commands_input_and_the_command_goes_on(
    agent_api: AgentApi, home: Path, namespace: str, pod: str
) -> None:
    data = "x" * 1_000_000 + "\n"
    script = "wc -c; echo after the end"
    rc, out, err = _exec(
        agent_api, home, namespace, "-i", pod, "--", "sh", "-c", script, input=data
    )
    assert (rc, out.split(), err) == (0, ["1000001", "after", "the", "end"], "")


def test_a_command_that_ends_before_its_input_does_still_reports_its_output_and_code(
    agent_api: AgentApi, home: Path, namespace: str, pod: str
) -> None:
    # The client is still sending when the command ends, so the link is busy both ways as
    # the session closes; a careless close loses the status (and kubectl then exits 0).
    # One try in three or so did before, so ten tries catch it.
    script = ("--", "sh", "-c", "head -c 5; exit 7")
    results = [
        _exec(agent_api, home, namespace, "-i", pod, *script, input="y" * 5_000_000)[:2]
        for _ in range(10)
    ]
    assert results == [(7, "yyyyy")] * 10


def test_a_command_reading_its_input_ends_when_its_client_goes_away(
    agent_api: AgentApi,
    home: Path,
    namespace: str,
    pod: str,
    docker_client: docker.DockerClient,
) -> None:
    argv = [str(KUBECTL), "--kubeconfig", str(agent_api.kubeconfig), "exec", "-i"]
    with subprocess.Popen(
        [*argv, "-n", namespace, pod, "--", "cat"],
        env=kubectl_env(home),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        start_new_session=True,
    ) as client:
        assert client.stdin is not None
        assert client.stdout is not None
        client.stdin.write(b"hello\n")
        client.stdin.flush()
        ready, _, _ = select.select([client.stdout], [], [], SCREEN_SECONDS)
        assert ready
        assert os.read(client.stdout.fileno(), 100) == b"hello\n"
        assert _running_execs(docker_client, namespace) == [("cat", False)]
        client.kill()
    deadline = time.monotonic() + SCREEN_SECONDS
    while _running_execs(docker_client, namespace) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _running_execs(docker_client, namespace) == []


@pytest.fixture
def two_containers(admin: Api, namespace: str, log_agent: Agent) -> str:
    """A running pod of two containers that say which one they are in ``$WHO``."""
    node = log_agent.config.node_name
    sleepers = [
        container("app", "sleep", "3600", env=[{"name": "WHO", "value": "app"}]),
        container("sidecar", "sleep", "3600", env=[{"name": "WHO", "value": "sidecar"}]),
    ]
    run_pod(admin, namespace, node, "pair", sleepers)
    wait_for_pod(admin, namespace, "pair", phase("Running"))
    return "pair"


def test_dash_c_picks_the_container_and_without_it_the_first_is_used(
    agent_api: AgentApi, home: Path, namespace: str, two_containers: str
) -> None:
    who = ("--", "sh", "-c", "echo $WHO")
    assert _exec(agent_api, home, namespace, two_containers, "-c", "sidecar", *who)[:2] == (
        0,
        "sidecar\n",
    )
    rc, out, err = _exec(agent_api, home, namespace, two_containers, *who)
    assert (rc, out) == (0, "app\n"), err
    assert 'Defaulted container "app" out of: app, sidecar' in err


def _terminal(agent_api: AgentApi, home: Path, *args: str, rows: int, columns: int) -> Terminal:
    argv = [str(KUBECTL), "--kubeconfig", str(agent_api.kubeconfig), "exec", *args]
    return Terminal(argv, env=kubectl_env(home), rows=rows, columns=columns)


def _running_execs(docker_client: docker.DockerClient, namespace: str) -> list[tuple[str, bool]]:
    """(command, whether it has a TTY) of each exec running in the pod's app container."""
    found = docker_client.containers.list(
        filters={"label": [f"{labels.POD_NAMESPACE}={namespace}", f"{labels.CONTAINER_NAME}=app"]}
    )
    assert len(found) == 1, found
    running = []
    for exec_id in docker_client.api.inspect_container(found[0].id)["ExecIDs"] or []:
        state = docker_client.api.exec_inspect(exec_id)
        if state["Running"]:
            process = state["ProcessConfig"]
            running.append((str(process["entrypoint"]), bool(process["tty"])))
    return running


def test_an_interactive_shell_on_a_terminal_runs_what_is_typed_and_exits_with_its_code(
    agent_api: AgentApi,
    home: Path,
    namespace: str,
    pod: str,
    docker_client: docker.DockerClient,
) -> None:
    with _terminal(
        agent_api, home, "-it", "-n", namespace, pod, "--", "sh", rows=24, columns=80
    ) as tty:
        tty.read_until(b"# ", timeout=SCREEN_SECONDS)
        assert _running_execs(docker_client, namespace) == [("sh", True)]
        tty.send_keys("echo $((6*7))\r")
        tty.read_until(b"\r\n42\r\n", timeout=SCREEN_SECONDS)
        tty.send_keys("exit 3\r")
        rc, err = tty.wait(timeout=SCREEN_SECONDS)
    assert rc == 3, (tty.output, err)
    assert "command terminated with exit code 3" in err


def test_the_terminals_size_and_its_changes_reach_the_container(
    agent_api: AgentApi, home: Path, namespace: str, pod: str
) -> None:
    args = ("-it", "-n", namespace, pod, "--", "sh")
    with _terminal(agent_api, home, *args, rows=31, columns=101) as tty:
        tty.read_until(b"# ", timeout=SCREEN_SECONDS)
        tty.send_keys("stty size\r")
        tty.read_until(b"\r\n31 101\r\n", timeout=SCREEN_SECONDS)
        tty.resize(rows=45, columns=132)
        _type_until(tty, "stty size\r", b"\r\n45 132\r\n")
        tty.send_keys("exit\r")
        rc, err = tty.wait(timeout=SCREEN_SECONDS)
    assert rc == 0, (tty.output, err)


def _type_until(tty: Terminal, line: str, wanted: bytes, *, attempts: int = 10) -> None:
    """Type ``line`` until the terminal shows ``wanted``: kubectl sends a resize on a
    goroutine of its own, so keys typed just after it may overtake it."""
    for _ in range(attempts - 1):
        tty.send_keys(line)
        try:
            tty.read_until(wanted, timeout=1.0)
            return
        except AssertionError:
            continue
    tty.send_keys(line)
    tty.read_until(wanted, timeout=SCREEN_SECONDS)
