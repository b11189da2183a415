"""``kubectl exec`` end to end: the real kubectl opens a WebSocket (``v5.channel.k8s.io``) to
the API server, which relays it to the agent's exec endpoint, which runs the command in the
container through the real Docker engine.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from nodeagent.agent import Agent
from tests.e2e.cluster import Api
from tests.kubectl import kubectl
from tests.nodeagent.conftest import AgentApi
from tests.nodeagent.pods import container, phase, run_pod, wait_for_pod

pytestmark = [pytest.mark.docker, pytest.mark.e2e]


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
