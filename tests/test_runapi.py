"""``manage.py runapi`` starts a real multi-process uvicorn server that answers health probes."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.core.management.base import CommandError

from cluster.management.commands.runapi import parse_bind

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("bind", "expected"),
    [
        ("127.0.0.1:6443", ("127.0.0.1", 6443)),
        ("0.0.0.0:80", ("0.0.0.0", 80)),
        ("[::1]:6443", ("::1", 6443)),
        ("localhost:1", ("localhost", 1)),
    ],
)
def test_it_splits_a_bind_address(bind: str, expected: tuple[str, int]) -> None:
    assert parse_bind(bind) == expected


@pytest.mark.parametrize("bind", ["6443", ":6443", "127.0.0.1:", "127.0.0.1:http", "h:70000"])
def test_it_rejects_a_malformed_bind_address(bind: str) -> None:
    with pytest.raises(CommandError, match="bind address"):
        parse_bind(bind)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def _stop(server: subprocess.Popen[str]) -> str:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGTERM)
    try:
        output, _ = server.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)
        output, _ = server.communicate(timeout=10)
    return output


@pytest.mark.slow
def test_the_server_answers_health_probes_on_the_bind_address(tmp_path: Path) -> None:
    port = _free_port()
    env = dict(
        os.environ, DJANGO_SETTINGS_MODULE="cluster.settings", CLUSTER_DATA_DIR=str(tmp_path)
    )
    env.pop("DATABASE_URL", None)
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runapi", "--bind", f"127.0.0.1:{port}", "--workers", "2"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        # Its own process group, so the workers go down with it whatever happens.
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        answer: tuple[int, str] | None = None
        while answer is None and time.monotonic() < deadline and server.poll() is None:
            try:
                answer = _get(f"http://127.0.0.1:{port}/healthz")
            except OSError:
                time.sleep(0.2)
        assert answer == (200, "ok"), "the server did not answer /healthz within 30 s"
        assert _get(f"http://127.0.0.1:{port}/readyz?verbose") == (
            200,
            "[+]ping ok\n[+]database ok\nreadyz check passed\n",
        )
    finally:
        output = _stop(server)
    assert f"listening on http://127.0.0.1:{port} with 2 worker processes" in output
