"""Fixtures of the node agent's tests: one real API server for the session, reached only as
the agent reaches it (HTTPS with a kubeconfig), and the admin's handle to set the scene.

The server runs on a PostgreSQL database of its own (``..._agent``), for the reasons
``tests/e2e/cluster.py`` gives. Tests stay apart by namespace and by node name; every container
an agent starts carries its node's label, by which ``agents`` removes them all at the end.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import docker
import docker.errors
import pytest
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS

from nodeagent import labels
from nodeagent.agent import Agent
from nodeagent.client import ApiClient, RetryPolicy
from nodeagent.config import AgentConfig
from nodeagent.kubeconfig import load_kubeconfig
from tests.e2e.cluster import Api, admin_token, scratch_database
from tests.serving import REPO_ROOT, Server, manage, running_api, server_env

_numbers = itertools.count(1)


@dataclass(frozen=True)
class AgentApi:
    server: Server
    admin: Api
    database_url: str

    @property
    def kubeconfig(self) -> Path:
        return self.server.kubeconfig


@pytest.fixture(scope="session")
def agent_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AgentApi]:
    base = settings.DATABASES[DEFAULT_DB_ALIAS]
    name = "test_" + str(base["NAME"]).removeprefix("test_") + "_agent"
    root = tmp_path_factory.mktemp("agent-api")
    with scratch_database(base, name) as url:
        env = server_env(root / "data", database_url=url)
        manage(env, "migrate", "--noinput")
        with running_api(env, workers=1, stop_timeout=5) as server:
            admin = Api(server.url, server.ca_file, admin_token(server.kubeconfig))
            yield AgentApi(server=server, admin=admin, database_url=url)


@pytest.fixture
def admin(agent_api: AgentApi) -> Api:
    return agent_api.admin


@pytest.fixture
def client(agent_api: AgentApi) -> ApiClient:
    """The agent's own client, from the kubeconfig alone."""
    retry = RetryPolicy(attempts=3, initial_delay=0.05)
    return ApiClient(load_kubeconfig(agent_api.kubeconfig), timeout=10, retry=retry)


def unique_name(request: pytest.FixtureRequest, prefix: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower().removeprefix("test_"))
    return f"{prefix}-{next(_numbers)}-{slug}"[:50].strip("-")


@pytest.fixture
def namespace(admin: Api, request: pytest.FixtureRequest) -> str:
    name = unique_name(request, "agent")
    admin.create("/api/v1/namespaces", {"metadata": {"name": name}})
    return name


@pytest.fixture
def node_name(request: pytest.FixtureRequest) -> str:
    return unique_name(request, "node")


# -- Docker: the infra image, running agents, and cleaning up after them --

BUSYBOX_IMAGE = "pilothouse/busybox:test"
INFRA_IMAGE = "pilothouse/infra:test"


@pytest.fixture(scope="session")
def docker_client() -> Iterator[docker.DockerClient]:
    client = docker.from_env(timeout=60)
    try:
        client.images.get(BUSYBOX_IMAGE)
    except docker.errors.ImageNotFound:
        pytest.fail(f"{BUSYBOX_IMAGE} is missing: run scripts/services.sh")
    try:
        yield client
    finally:
        client.close()


@pytest.fixture(scope="session")
def infra_image(docker_client: docker.DockerClient) -> str:
    """A sandbox image built here from the busybox test image: it only sleeps. Nothing is
    pulled: the base image is local and the build has no network."""
    dockerfile = f'FROM {BUSYBOX_IMAGE}\nCMD ["sleep", "2147483647"]\n'
    docker_client.images.build(
        fileobj=io.BytesIO(dockerfile.encode()),
        tag=INFRA_IMAGE,
        network_mode="none",
        pull=False,
        rm=True,
    )
    return INFRA_IMAGE


def remove_node_containers(client: docker.DockerClient, node: str) -> None:
    for container in client.containers.list(all=True, filters={"label": f"{labels.NODE}={node}"}):
        with contextlib.suppress(docker.errors.NotFound, docker.errors.APIError):
            container.remove(force=True)


@dataclass
class Agents:
    """Starts agents for one node in this process and stops them (and their pods' containers)."""

    api: AgentApi
    node_name: str
    infra_image: str
    data_dir: Path
    # The pods' Docker network ("none" where a test needs no network at all).
    network: str = "bridge"
    running: list[tuple[Agent, threading.Thread]] = field(default_factory=list)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def config(self) -> AgentConfig:
        return AgentConfig(
            kubeconfig=self.api.kubeconfig,
            node_name=self.node_name,
            infra_image=self.infra_image,
            data_dir=self.data_dir,
            backoff_initial=1.0,
            backoff_max=4.0,
            # This API has no node IPAM controller; Services are the proxy tests' business.
            network=self.network,
            proxy_mode="none",
        )

    def start(self, config: AgentConfig | None = None) -> Agent:
        agent = Agent(config or self.config())
        thread = threading.Thread(target=agent.run, name=f"agent-{self.node_name}", daemon=True)
        thread.start()
        self.running.append((agent, thread))
        return agent

    def spawn(self) -> subprocess.Popen[bytes]:
        """``python -m nodeagent`` as an operator runs it, configured by its environment."""
        env = dict(
            os.environ,
            NODEAGENT_KUBECONFIG=str(self.api.kubeconfig),
            NODEAGENT_NODE_NAME=self.node_name,
            NODEAGENT_INFRA_IMAGE=self.infra_image,
            NODEAGENT_DATA_DIR=str(self.data_dir),
            NODEAGENT_NETWORK=self.network,
            NODEAGENT_PROXY_MODE="none",
        )
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with (self.data_dir / f"agent-{len(self.processes)}.log").open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "nodeagent"],
                cwd=REPO_ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.processes.append(process)
        return process

    def stop_all(self) -> None:
        for agent, thread in self.running:
            agent.stop.set()
            thread.join(timeout=20)
        self.running.clear()
        for process in self.processes:
            process.kill()
            process.wait(timeout=20)
        self.processes.clear()


@pytest.fixture
def pod_network() -> str:
    """The Docker network of the agents' pods; a module may override it."""
    return "bridge"


@pytest.fixture
def agents(
    agent_api: AgentApi,
    node_name: str,
    infra_image: str,
    docker_client: docker.DockerClient,
    tmp_path: Path,
    pod_network: str,
) -> Iterator[Agents]:
    handle = Agents(agent_api, node_name, infra_image, tmp_path / "node", network=pod_network)
    try:
        yield handle
    finally:
        handle.stop_all()
        remove_node_containers(docker_client, node_name)


# -- an agent as it runs in a cluster: node credentials and a log (and exec) server --

TOKEN_FILE = Path("pki") / "apiserver-kubelet-client.token"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


@pytest.fixture
def log_agent(agent_api: AgentApi, agents: Agents, tmp_path: Path) -> Agent:
    """An agent with node credentials and a log server, once its Node is registered."""
    node_config = tmp_path / "node.kubeconfig"
    env = server_env(agent_api.server.data_dir, database_url=agent_api.database_url)
    manage(
        env,
        "createtoken",
        *("--node", agents.node_name, "--server", agent_api.server.url),
        *("--kubeconfig", str(node_config)),
    )
    config = replace(
        agents.config(),
        kubeconfig=node_config,
        kubelet_port=0,
        api_server_token_file=agent_api.server.data_dir / TOKEN_FILE,
    )
    agent = agents.start(config)
    deadline = time.monotonic() + 30
    while agent.reporter.node is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert agent.reporter.node is not None, "the agent never registered its node"
    return agent
