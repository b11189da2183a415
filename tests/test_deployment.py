"""The deployment files agree with README.md: one documented command runs the API everywhere,
and the one-machine cluster (``make up``) runs the processes compose runs.

No image can be pulled on our machines, so compose never runs in CI; these tests are what
keeps docker-compose.yml, the Dockerfile, the Makefile and the README from drifting apart.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from django.core.management import get_commands

from cluster.management.commands.runcluster import cluster_commands

REPO_ROOT = Path(__file__).resolve().parent.parent

# The fenced block right after this HTML comment (invisible when rendered) holds the command.
README_COMMAND = re.compile(r"<!-- api-command\b[^>]*-->\s*```[\w-]*\n(?P<body>.*?)\n```", re.S)


@pytest.fixture(scope="module")
def documented_command() -> list[str]:
    match = README_COMMAND.search((REPO_ROOT / "README.md").read_text())
    assert match, "README.md must show the API command in a fenced block after <!-- api-command -->"
    lines = [line for line in match["body"].splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one command line, found {lines}"
    return shlex.split(lines[0])


@pytest.fixture(scope="module")
def services() -> dict[str, Any]:
    compose = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
    assert isinstance(compose, dict)
    found: dict[str, Any] = compose["services"]
    return found


def _as_argv(command: str | list[str]) -> list[str]:
    return shlex.split(command) if isinstance(command, str) else [str(arg) for arg in command]


def _as_mapping(environment: dict[str, Any] | list[str]) -> dict[str, str]:
    if isinstance(environment, dict):
        return {key: str(value) for key, value in environment.items()}
    return dict(item.split("=", 1) for item in environment)


def test_the_documented_command_is_a_management_command(documented_command: list[str]) -> None:
    assert documented_command[:2] == ["python", "manage.py"]
    assert documented_command[2] in get_commands()


def test_compose_runs_postgres_redis_and_the_api(services: dict[str, Any]) -> None:
    assert {"postgres", "redis", "api"} <= services.keys()


def test_the_compose_api_runs_the_documented_command(
    services: dict[str, Any], documented_command: list[str]
) -> None:
    assert _as_argv(services["api"]["command"]) == documented_command


def test_the_compose_api_uses_the_compose_postgres_and_redis(services: dict[str, Any]) -> None:
    environment = _as_mapping(services["api"]["environment"])

    database = urlsplit(environment["DATABASE_URL"])
    assert database.scheme in {"postgres", "postgresql"}
    assert database.hostname == "postgres"
    broker = urlsplit(environment["CELERY_BROKER_URL"])
    assert broker.scheme == "redis"
    assert broker.hostname == "redis"


def test_the_dockerfile_runs_the_documented_command(documented_command: list[str]) -> None:
    lines = (REPO_ROOT / "Dockerfile").read_text().splitlines()
    cmd_lines = [line for line in lines if line.startswith("CMD ")]
    assert cmd_lines, "the Dockerfile must have a CMD"
    # Exec form (a JSON array), so that signals reach the server rather than a shell.
    assert json.loads(cmd_lines[-1].removeprefix("CMD ")) == documented_command


def test_make_up_runs_the_whole_cluster() -> None:
    makefile = (REPO_ROOT / "Makefile").read_text()
    recipe = re.search(r"^up:.*\n((?:\t.*\n)+)", makefile, re.M)
    assert recipe, "the Makefile must have an `up` target"
    last = shlex.split(recipe[1].strip().splitlines()[-1])

    assert last[0] == "exec"
    assert last[1].endswith("python")
    assert last[2:] == ["manage.py", "runcluster"]


def test_runcluster_runs_the_documented_api_command_with_a_worker_and_beat(
    documented_command: list[str],
) -> None:
    commands = cluster_commands(worker_concurrency=2)
    assert commands["api"][1:] == documented_command[1:]
    assert commands["worker"][1:6] == ["-m", "celery", "-A", "cluster", "worker"]
    assert commands["beat"][1:6] == ["-m", "celery", "-A", "cluster", "beat"]


@pytest.mark.parametrize("role", ["worker", "beat"])
def test_compose_runs_the_celery_worker_and_beat(services: dict[str, Any], role: str) -> None:
    assert _as_argv(services[role]["command"])[:4] == ["celery", "-A", "cluster", role]
    environment = _as_mapping(services[role]["environment"])
    assert environment == _as_mapping(services["api"]["environment"])
