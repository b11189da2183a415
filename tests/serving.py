"""Run ``manage.py runapi`` as a real server for one test, and always stop it with its workers.

The server gets its own data dir and process group and writes its output to a file (a pipe
nobody reads would fill up and stall it). ``running_api`` waits, bounded in time, until
``/healthz`` answers, over HTTPS trusting the generated CA unless the server is insecure.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from django.db import connection

REPO_ROOT = Path(__file__).resolve().parent.parent
EPHEMERAL_PORTS = Path("/proc/sys/net/ipv4/ip_local_port_range")
START_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class Server:
    """A running ``runapi``: where it listens and where its state and output are."""

    url: str
    data_dir: Path
    log: Path

    @property
    def kubeconfig(self) -> Path:
        return self.data_dir / "kubeconfig"

    @property
    def ca_file(self) -> Path:
        return self.data_dir / "pki" / "ca.crt"

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def restartable_port() -> int:
    """A free loopback port for a server that stops and starts again on it: one below the
    kernel's ephemeral range. While the server is down, a port in that range (all that
    ``free_port`` returns) may be given to any outgoing connection on the machine, and on a
    busy one it is, so the restart fails with "address already in use"."""
    low = int(EPHEMERAL_PORTS.read_text().split()[0])
    for port in random.sample(range(max(1024, low - 10_000), low), 100):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise AssertionError(f"no free port below {low}")


def server_env(data_dir: Path, *, database_url: str | None, **extra: str) -> dict[str, str]:
    """The environment of a server process: ``cluster.settings``, this data dir, this database.

    ``database_url`` None means the default, an SQLite file in the data dir.
    """
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("CLUSTER_") and k not in {"DATABASE_URL", "CELERY_BROKER_URL"}
    }
    env.update(DJANGO_SETTINGS_MODULE="cluster.settings", CLUSTER_DATA_DIR=str(data_dir), **extra)
    if database_url is not None:
        env["DATABASE_URL"] = database_url
    return env


def current_database_url() -> str:
    """A DATABASE_URL for the PostgreSQL test database pytest-django set up for this run."""
    s = connection.settings_dict
    assert s["ENGINE"] == "django.db.backends.postgresql", "expected the PostgreSQL test database"
    user = quote(s["USER"], safe="")
    password = quote(s["PASSWORD"], safe="")
    return f"postgresql://{user}:{password}@{s['HOST']}:{s['PORT'] or 5432}/{s['NAME']}"


def manage(env: dict[str, str], *args: str, timeout: float = 120) -> str:
    """Run a management command in a child process; fail the test if it fails."""
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, f"manage.py {' '.join(args)} failed:\n{result.stderr}"
    return result.stdout


def get(url: str, *, ca_file: Path | None = None, token: str | None = None) -> tuple[int, str]:
    """GET ``url`` (trusting ``ca_file`` for HTTPS); the status and body, errors included."""
    context = ssl.create_default_context(cafile=str(ca_file)) if ca_file else None
    request = urllib.request.Request(url)
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=5, context=context) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


@contextlib.contextmanager
def running_api(
    env: dict[str, str],
    *,
    workers: int = 2,
    insecure: bool = False,
    stop_timeout: float = STOP_TIMEOUT_SECONDS,
    port: int | None = None,
) -> Iterator[Server]:
    """Start ``runapi`` on ``port`` (default: a free loopback port); yield once ``/healthz``
    answers; stop it.

    Stopping is graceful (SIGTERM) for up to ``stop_timeout`` seconds, then forced. A server
    started again on the same port and data dir is the same server to its clients.
    """
    data_dir = Path(env["CLUSTER_DATA_DIR"])
    port = port or free_port()
    scheme = "http" if insecure else "https"
    server = Server(
        url=f"{scheme}://127.0.0.1:{port}", data_dir=data_dir, log=data_dir / "runapi.log"
    )
    args = ["runapi", "--bind", f"127.0.0.1:{port}", "--workers", str(workers)]
    if insecure:
        args.append("--insecure")
    data_dir.mkdir(parents=True, exist_ok=True)
    with server.log.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "manage.py", *args],
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            # Its own process group, so the workers go down with it whatever happens.
            start_new_session=True,
        )
    try:
        _wait_until_healthy(server, process, insecure=insecure)
        yield server
    finally:
        _stop(process, stop_timeout)


def _wait_until_healthy(
    server: Server, process: subprocess.Popen[bytes], *, insecure: bool
) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline and process.poll() is None:
        # The CA appears before the server listens; until both, connections fail.
        if insecure or server.ca_file.exists():
            with contextlib.suppress(OSError):
                if get(f"{server.url}/healthz", ca_file=None if insecure else server.ca_file) == (
                    200,
                    "ok",
                ):
                    return
        time.sleep(0.2)
    raise AssertionError(
        f"runapi did not answer /healthz within {START_TIMEOUT_SECONDS:.0f} s"
        f" (exit code {process.poll()}):\n{server.output()}"
    )


def _stop(process: subprocess.Popen[bytes], timeout: float) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
