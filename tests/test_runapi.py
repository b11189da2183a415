"""``manage.py runapi`` starts a real multi-process uvicorn server that answers health probes.

HTTPS, the kubeconfig and kubectl are tested in ``tests/api/test_kubeconfig.py``; here the
server runs with ``--insecure`` on the embedded SQLite default.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management.base import CommandError

from cluster.management.commands.runapi import parse_bind
from tests.serving import REPO_ROOT, get, manage, running_api, server_env


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


@pytest.mark.slow
def test_the_server_answers_health_probes_on_the_bind_address(tmp_path: Path) -> None:
    # The embedded default: SQLite in the data dir, migrated first as `make up` does.
    env = server_env(tmp_path, database_url=None)
    manage(env, "migrate", "--noinput")

    with running_api(env, workers=2, insecure=True) as server:
        assert get(f"{server.url}/readyz?verbose") == (
            200,
            "[+]ping ok\n[+]database ok\nreadyz check passed\n",
        )

    assert f"listening on {server.url} with 2 worker processes" in server.output()
    assert "Admin kubeconfig: " in server.output()
    assert "GET /readyz" not in server.output()  # no access log: a line per request costs


def test_it_refuses_to_serve_an_unmigrated_database(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", "runapi", "--bind", "127.0.0.1:1"],
        cwd=REPO_ROOT,
        env=server_env(tmp_path, database_url=None),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode != 0
    assert "unapplied migration(s); run `python manage.py migrate` first" in result.stderr
    assert not (tmp_path / "kubeconfig").exists()
