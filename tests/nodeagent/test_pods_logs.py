"""``kubectl logs`` end to end: the API server proxies to the agent's HTTPS log server, which
reads the container's output from the real Docker engine.

The agent runs as it does in a cluster: with its own node credentials (``createtoken
--node``), its log server on a free loopback port, and the API server's token file from the
server's data dir. Pods are bound to its node at creation.
"""

from __future__ import annotations

import re
import ssl
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from nodeagent.agent import Agent
from tests.e2e.cluster import Api
from tests.kubectl import kubectl, kubectl_stream
from tests.nodeagent.conftest import TOKEN_FILE, AgentApi, Agents
from tests.nodeagent.pods import (
    container,
    container_state,
    phase,
    run_pod,
    shell,
    wait_for_pod,
    waiting_reason,
)

pytestmark = [pytest.mark.docker, pytest.mark.e2e]

_STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z ")


def _logs(agent_api: AgentApi, home: Path, namespace: str, *args: str) -> tuple[int, str, str]:
    done = kubectl(agent_api.kubeconfig, "logs", "-n", namespace, *args, home=home)
    return done.returncode, done.stdout, done.stderr


def _running(admin: Api, namespace: str, agents: Agents, name: str, *specs: Any) -> None:
    run_pod(admin, namespace, agents.node_name, name, list(specs))
    wait_for_pod(admin, namespace, name, phase("Running"))


def _wait_for_output(
    agent_api: AgentApi, home: Path, namespace: str, *args: str, expected: str
) -> None:
    deadline = time.monotonic() + 20
    result = _logs(agent_api, home, namespace, *args)
    while result[1] != expected and time.monotonic() < deadline:
        time.sleep(0.2)
        result = _logs(agent_api, home, namespace, *args)
    assert result == (0, expected, "")


def test_kubectl_logs_shows_a_containers_output_with_tail_and_timestamps(
    admin: Api, namespace: str, agents: Agents, log_agent: Agent, agent_api: AgentApi, home: Path
) -> None:
    # stdout and stderr reach the engine through two pipes: pauses keep their order certain.
    script = "echo one; sleep 0.3; echo two >&2; sleep 0.3; echo three; exec sleep 3600"
    _running(admin, namespace, agents, "web", shell("app", script))

    _wait_for_output(agent_api, home, namespace, "web", expected="one\ntwo\nthree\n")
    assert _logs(agent_api, home, namespace, "web", "--tail=1") == (0, "three\n", "")
    assert _logs(agent_api, home, namespace, "web", "--tail=0") == (0, "", "")
    assert _logs(agent_api, home, namespace, "web", "--limit-bytes=6") == (0, "one\ntw", "")
    assert _logs(agent_api, home, namespace, "web", "--since=1h")[1] == "one\ntwo\nthree\n"

    rc, out, err = _logs(agent_api, home, namespace, "web", "--timestamps")
    assert (rc, err) == (0, "")
    lines = out.splitlines()
    assert [_STAMP.sub("", line) for line in lines] == ["one", "two", "three"]
    assert all(_STAMP.match(line) for line in lines)


def test_kubectl_logs_picks_the_container_named_with_c(
    admin: Api, namespace: str, agents: Agents, log_agent: Agent, agent_api: AgentApi, home: Path
) -> None:
    _running(
        admin,
        namespace,
        agents,
        "pair",
        shell("first", "echo from first; exec sleep 3600"),
        shell("second", "echo from second; exec sleep 3600"),
    )

    _wait_for_output(agent_api, home, namespace, "pair", "-c", "second", expected="from second\n")
    refused = admin.get(f"/api/v1/namespaces/{namespace}/pods/pair/log")
    assert (refused.status, refused.body["reason"]) == (400, "BadRequest")
    assert refused.body["message"] == (
        "a container name must be specified for pod pair, choose one of: [first second]"
    )
    unknown = admin.get(f"/api/v1/namespaces/{namespace}/pods/pair/log?container=third")
    assert (unknown.status, unknown.body["message"]) == (
        400,
        "container third is not valid for pod pair",
    )


def test_previous_shows_the_last_terminated_containers_output(
    admin: Api, namespace: str, agents: Agents, log_agent: Agent, agent_api: AgentApi, home: Path
) -> None:
    script = (
        "n=$(cat /data/n 2>/dev/null || echo 0); n=$((n+1)); echo $n > /data/n; echo run $n; "
        '[ "$n" -ge 2 ] && exec sleep 3600; exit 3'
    )
    spec = shell("app", script, volumeMounts=[{"name": "data", "mountPath": "/data"}])
    run_pod(
        admin,
        namespace,
        agents.node_name,
        "crash",
        [spec],
        volumes=[{"name": "data", "emptyDir": {}}],
    )

    def restarted(pod: dict[str, Any]) -> bool:
        app = container_state(pod, "app")
        return app.get("restartCount") == 1 and "running" in app.get("state", {})

    wait_for_pod(admin, namespace, "crash", restarted)
    _wait_for_output(agent_api, home, namespace, "crash", expected="run 2\n")
    assert _logs(agent_api, home, namespace, "crash", "--previous") == (0, "run 1\n", "")


def test_follow_streams_lines_as_they_are_written(
    admin: Api, namespace: str, agents: Agents, log_agent: Agent, agent_api: AgentApi, home: Path
) -> None:
    script = "i=0; while true; do i=$((i+1)); echo line $i; sleep 0.2; done"
    _running(admin, namespace, agents, "ticker", shell("app", script))

    with kubectl_stream(
        agent_api.kubeconfig, "logs", "-f", "-n", namespace, "ticker", home=home
    ) as stream:
        lines = stream.read_lines(8, timeout=20)

    assert lines[:8] == [f"line {i}" for i in range(1, 9)]


def test_logs_of_containers_without_output_yet_are_refused_in_kubes_words(
    admin: Api, namespace: str, agents: Agents, log_agent: Agent, agent_api: AgentApi, home: Path
) -> None:
    missing = container("app", imagePullPolicy="Never", image="pilothouse/absent:never")
    run_pod(admin, namespace, agents.node_name, "stuck", [missing])

    wait_for_pod(admin, namespace, "stuck", waiting_reason("app", "ErrImageNeverPull"))
    assert _logs(agent_api, home, namespace, "stuck") == (
        1,
        "",
        'Error from server (BadRequest): container "app" in pod "stuck" is waiting to start: '
        "ErrImageNeverPull\n",
    )
    _running(admin, namespace, agents, "fresh", container("app", "sleep", "3600"))
    assert _logs(agent_api, home, namespace, "fresh", "--previous") == (
        1,
        "",
        'Error from server (BadRequest): previous terminated container "app" in pod "fresh" '
        "not found\n",
    )


def test_the_agents_log_server_accepts_only_the_api_servers_token(
    admin: Api, namespace: str, agents: Agents, log_agent: Agent, agent_api: AgentApi
) -> None:
    _running(admin, namespace, agents, "quiet", shell("app", "echo hi; exec sleep 3600"))
    pod = wait_for_pod(admin, namespace, "quiet", phase("Running"))
    node = admin.get(f"/api/v1/nodes/{agents.node_name}").body
    port = node["status"]["daemonEndpoints"]["kubeletEndpoint"]["Port"]
    assert log_agent.log_server is not None
    assert port == log_agent.log_server.port
    app_id = container_state(pod, "app")["containerID"]
    url = f"https://127.0.0.1:{port}/containerLogs/{namespace}/quiet/app?containerID={app_id}"
    api_token = (agent_api.server.data_dir / TOKEN_FILE).read_text().strip()

    assert _agent_get(url, api_token) == (200, "hi\n")
    assert _agent_get(url, admin.token)[0] == 401
    assert _agent_get(url, None)[0] == 401


def _agent_get(url: str, token: str | None) -> tuple[int, str]:
    # The agent's certificate is self-signed; the API server pins it, this test need not.
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    request = urllib.request.Request(url)
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10, context=context) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
