"""``manage.py runcluster``: the whole cluster on one machine, in the foreground (``make up``).

It supervises the processes a production deployment runs separately (docker-compose.yml):
the API (``manage.py runapi``), a Celery worker (the scheduler and the controllers), Celery
beat (periodic resyncs and housekeeping, and the dispatcher that turns store changes into
reconcile messages) and one node agent for this machine (``python -m nodeagent``). Each
child's output is prefixed with its name. Ctrl-C (or SIGTERM) stops them all; if one of them
dies, the others are stopped too and the command fails, so a broken cluster never looks half
alive.

The agent starts once the API has made its PKI, with credentials of its own as the node
(``createtoken --node``, issued on the first start and kept in the data dir). It runs
pods through Docker when the engine's socket is there, else with the simulated runtime
(``CLUSTER_NODE_RUNTIME`` chooses). Its sandbox image is built locally from Debian's
static busybox when the host has one, so nothing is ever pulled.
"""

from __future__ import annotations

import os
import selectors
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from cluster.api import kubeletclient

STOP_TIMEOUT_SECONDS = 20.0
KUBECONFIG_WAIT_SECONDS = 60.0
DOCKER_SOCKET = Path("/var/run/docker.sock")
STATIC_BUSYBOX = Path("/bin/busybox")
LOCAL_INFRA_IMAGE = "pilothouse/pause:local"


@dataclass
class Child:
    name: str
    popen: subprocess.Popen[bytes]


def cluster_commands(*, worker_concurrency: int) -> dict[str, list[str]]:
    """The processes of a one-machine cluster, by name."""
    python = sys.executable
    data_dir = settings.CLUSTER_DATA_DIR
    return {
        "api": [python, "manage.py", "runapi"],
        "worker": [
            python, "-m", "celery", "-A", "cluster", "worker", "--loglevel=INFO",
            f"--concurrency={worker_concurrency}", "-n", "worker@%h",
        ],
        "beat": [
            python, "-m", "celery", "-A", "cluster", "beat", "--loglevel=INFO",
            "-s", str(data_dir / "celerybeat-schedule"),
            "--pidfile", str(data_dir / "celerybeat.pid"),
        ],
    }  # fmt: skip


def node_runtime() -> str:
    """``CLUSTER_NODE_RUNTIME`` if set, else docker where the engine's socket exists."""
    configured = os.environ.get("CLUSTER_NODE_RUNTIME", "")
    if configured:
        if configured not in ("docker", "simulated", "none"):
            raise CommandError("CLUSTER_NODE_RUNTIME must be docker, simulated or none")
        return configured
    return "docker" if DOCKER_SOCKET.exists() else "simulated"


def node_kubeconfig(node_name: str) -> Path:
    """The node's own credentials (``system:node:<name>``), issued once and then reused."""
    path: Path = settings.CLUSTER_DATA_DIR / "nodes" / f"{node_name}.kubeconfig"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        call_command("createtoken", node=node_name, kubeconfig=path)
    return path


def agent_command(runtime: str, *, node_name: str, kubeconfig: Path) -> list[str]:
    """The node agent of this machine, with its node credentials; it serves logs to the API
    server, which it recognises by the token runapi writes into the data dir."""
    data_dir = settings.CLUSTER_DATA_DIR
    command = [
        sys.executable, "-m", "nodeagent",
        "--kubeconfig", str(kubeconfig),
        "--node-name", node_name,
        "--runtime", runtime,
        "--data-dir", str(data_dir / "nodes" / node_name),
        "--api-server-token-file", str(settings.CLUSTER_PKI_DIR / kubeletclient.TOKEN_FILE),
        "--cluster-cidr", settings.CLUSTER_CIDR,
        "--service-cidr", settings.CLUSTER_SERVICE_CIDR,
    ]  # fmt: skip
    if runtime == "docker" and STATIC_BUSYBOX.exists():
        command += ["--infra-image", LOCAL_INFRA_IMAGE, "--infra-from-binary", str(STATIC_BUSYBOX)]
    return command


def _wait_for_kubeconfig(api: subprocess.Popen[bytes]) -> bool:
    """Wait until runapi has made the PKI and the admin kubeconfig; False if it failed."""
    kubeconfig = settings.CLUSTER_DATA_DIR / "kubeconfig"
    deadline = time.monotonic() + KUBECONFIG_WAIT_SECONDS
    while not kubeconfig.exists():
        if api.poll() is not None or time.monotonic() > deadline:
            return False  # the relay loop reports the API's failure
        time.sleep(0.2)
    return True


class Command(BaseCommand):
    help = "Run the API, a Celery worker, Celery beat and a node agent; Ctrl-C stops all."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--worker-concurrency",
            type=int,
            default=2,
            help="Celery worker processes (default 2).",
        )
        parser.add_argument(
            "--node-name",
            default=socket.gethostname().lower(),
            help="The name of this machine's node (default: the host name).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        commands = cluster_commands(worker_concurrency=options["worker_concurrency"])
        children: list[Child] = []
        stopping = False

        def stop(signum: int, frame: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        runtime = node_runtime()
        for name, command in commands.items():
            children.append(Child(name, _spawn(command)))
        if runtime != "none" and _wait_for_kubeconfig(children[0].popen):
            name = options["node_name"]
            agent = agent_command(runtime, node_name=name, kubeconfig=node_kubeconfig(name))
            children.append(Child("agent", _spawn(agent)))
        try:
            failed = self._relay(children, until=lambda: stopping, stop_on_exit=True)
        finally:
            self._stop_all(children)
        if failed is not None and not stopping:
            raise CommandError(f"{failed.name} exited with code {failed.popen.returncode}")

    def _relay(
        self, children: list[Child], *, until: Callable[[], bool], stop_on_exit: bool
    ) -> Child | None:
        """Copy every child's output, prefixed, until ``until()`` or the end of every output;
        with ``stop_on_exit``, until a child exits too (that child is returned)."""
        selector = selectors.DefaultSelector()
        width = max(len(c.name) for c in children)
        for child in children:
            assert child.popen.stdout is not None
            if not child.popen.stdout.closed:
                selector.register(child.popen.stdout, selectors.EVENT_READ, child)
        while (stop_on_exit or selector.get_map()) and not until():
            for key, _ in selector.select(timeout=0.2):
                stream: IO[bytes] = key.fileobj  # type: ignore[assignment]
                line = stream.readline()
                if not line:
                    selector.unregister(stream)
                    continue
                name = key.data.name.ljust(width)
                self.stdout.write(f"{name} | {line.decode(errors='replace').rstrip()}")
            exited = _first_exited(children) if stop_on_exit else None
            if exited is not None:
                return exited
        return _first_exited(children) if stop_on_exit else None

    def _stop_all(self, children: list[Child]) -> None:
        """SIGTERM every child, copying their output while they stop (a child blocked writing
        to a full pipe would never exit); SIGKILL what is left after the timeout."""
        for child in children:
            if child.popen.poll() is None:
                os.killpg(child.popen.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
        self._relay(children, until=lambda: time.monotonic() > deadline, stop_on_exit=False)
        for child in children:
            try:
                child.popen.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(child.popen.pid, signal.SIGKILL)
                child.popen.wait(timeout=10)


def _first_exited(children: list[Child]) -> Child | None:
    return next((child for child in children if child.popen.poll() is not None), None)


def _spawn(command: list[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        command,
        cwd=os.path.dirname(os.path.abspath(sys.argv[0])),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
