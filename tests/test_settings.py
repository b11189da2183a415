"""Configuration reads as README.md documents: DATABASE_URL, the secret key, the defaults.

Settings are loaded in a child process with a chosen environment, so that no test mutates the
settings this test run itself uses.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cluster.dburl import database_config
from cluster.secret_key import load_or_create_secret_key

REPO_ROOT = Path(__file__).resolve().parent.parent

SQLITE_OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 30,
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
}

DUMP_SETTINGS = """
import json
from cluster import settings as s
print(json.dumps({
    "database": s.DATABASES["default"],
    "broker_url": s.CELERY_BROKER_URL,
    "broker_options": getattr(s, "CELERY_BROKER_TRANSPORT_OPTIONS", None),
    "bind": s.CLUSTER_API_BIND,
    "debug": s.DEBUG,
    "window": s.CLUSTER_STORE_COMPACTION_WINDOW_SECONDS,
    "secret_key": s.SECRET_KEY,
}))
"""

PRINT_SECRET_KEY = """
import sys
from pathlib import Path
from cluster.secret_key import load_or_create_secret_key
print(load_or_create_secret_key(Path(sys.argv[1])))
"""


def _clean_env(**overrides: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("CLUSTER_") and k not in {"DATABASE_URL", "CELERY_BROKER_URL"}
    }
    env.update(overrides)
    return env


def _run_settings(**env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", DUMP_SETTINGS],
        cwd=REPO_ROOT,
        env=_clean_env(**env),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _settings(**env: str) -> dict[str, Any]:
    result = _run_settings(**env)
    assert result.returncode == 0, result.stderr
    loaded: dict[str, Any] = json.loads(result.stdout)
    return loaded


def test_it_parses_a_postgresql_url() -> None:
    config = database_config("postgresql://alice:s%40cret@db.example:6543/cluster")

    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert config["NAME"] == "cluster"
    assert config["USER"] == "alice"
    assert config["PASSWORD"] == "s@cret"
    assert config["HOST"] == "db.example"
    assert config["PORT"] == "6543"
    assert config["CONN_HEALTH_CHECKS"] is True
    assert config["CONN_MAX_AGE"] == 0
    assert config["OPTIONS"] == {
        "connect_timeout": 10,
        "pool": {"min_size": 2, "max_size": 20, "timeout": 10},
    }


def test_it_accepts_the_postgres_alias_without_password_or_port() -> None:
    config = database_config("postgres://bob@localhost/pilothouse")

    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["USER"], config["PASSWORD"], config["HOST"], config["PORT"]) == (
        "bob",
        "",
        "localhost",
        "",
    )


def test_it_hands_query_parameters_to_libpq() -> None:
    config = database_config("postgresql://u:p@h/db?sslmode=require&connect_timeout=3")

    assert config["OPTIONS"]["sslmode"] == "require"
    assert config["OPTIONS"]["connect_timeout"] == "3"


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("sqlite:///var/cluster.sqlite3", "var/cluster.sqlite3"),
        ("sqlite:////tmp/cluster.sqlite3", "/tmp/cluster.sqlite3"),
        ("SQLITE:////tmp/with%20space.sqlite3", "/tmp/with space.sqlite3"),
    ],
)
def test_it_parses_sqlite_paths_with_wal_and_immediate_transactions(url: str, name: str) -> None:
    config = database_config(url)

    assert config == {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": name,
        "OPTIONS": SQLITE_OPTIONS,
    }


@pytest.mark.parametrize(
    "url", ["mysql://u:p@h/db", "redis://localhost:6379/0", "pilothouse.sqlite3", ""]
)
def test_it_rejects_unsupported_schemes(url: str) -> None:
    with pytest.raises(ValueError, match="unsupported DATABASE_URL scheme"):
        database_config(url)


def test_it_never_repeats_the_password_of_a_rejected_url() -> None:
    with pytest.raises(ValueError, match="mysql") as excinfo:
        database_config("mysql://user:hunter2@db/cluster")

    assert "hunter2" not in str(excinfo.value)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("postgresql://u:p@h:5432/", "names no database"),
        ("postgresql://u:p@h:99999/db", "invalid port"),
        ("sqlite:///", "names no SQLite file"),
        ("sqlite://relative.sqlite3", "sqlite:///relative/path"),
    ],
)
def test_it_rejects_incomplete_urls(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        database_config(url)


def test_secret_key_is_generated_once_readable_only_by_its_owner(tmp_path: Path) -> None:
    path = tmp_path / "secret_key"

    first = load_or_create_secret_key(path)

    assert len(first) >= 50
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_secret_key(path) == first
    assert list(tmp_path.iterdir()) == [path]


def test_an_existing_secret_key_is_read_back(tmp_path: Path) -> None:
    path = tmp_path / "secret_key"
    path.write_text("kept-from-an-earlier-start\n")

    assert load_or_create_secret_key(path) == "kept-from-an-earlier-start"


def test_an_empty_secret_key_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "secret_key"
    path.write_text("")

    with pytest.raises(ValueError, match="is empty"):
        load_or_create_secret_key(path)


def test_processes_starting_together_agree_on_one_secret_key(tmp_path: Path) -> None:
    path = tmp_path / "secret_key"
    children = [
        subprocess.Popen(
            [sys.executable, "-c", PRINT_SECRET_KEY, str(path)],
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(6)
    ]
    keys = {child.communicate(timeout=60)[0].strip() for child in children}

    assert all(child.returncode == 0 for child in children)
    assert keys == {path.read_text().strip()}


def test_defaults_keep_all_state_under_the_data_dir(tmp_path: Path) -> None:
    data_dir = tmp_path / "state"

    loaded = _settings(CLUSTER_DATA_DIR=str(data_dir))

    assert loaded["database"]["ENGINE"] == "django.db.backends.sqlite3"
    assert loaded["database"]["NAME"] == str(data_dir / "cluster.sqlite3")
    assert loaded["database"]["OPTIONS"] == SQLITE_OPTIONS
    assert loaded["broker_url"] == "filesystem://"
    assert loaded["broker_options"]["data_folder_in"] == str(data_dir / "broker" / "queue")
    assert loaded["broker_options"]["data_folder_out"] == str(data_dir / "broker" / "queue")
    assert (data_dir / "broker" / "queue").is_dir()
    assert loaded["broker_options"]["control_folder"] == str(data_dir / "broker" / "control")
    assert loaded["bind"] == "127.0.0.1:6443"
    assert loaded["debug"] is False
    assert loaded["window"] == 300
    secret_file = data_dir / "secret_key"
    assert loaded["secret_key"] == secret_file.read_text().strip()
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600


def test_a_second_start_reuses_the_generated_secret_key(tmp_path: Path) -> None:
    first = _settings(CLUSTER_DATA_DIR=str(tmp_path))
    second = _settings(CLUSTER_DATA_DIR=str(tmp_path))

    assert first["secret_key"] == second["secret_key"]


def test_the_environment_overrides_every_default(tmp_path: Path) -> None:
    loaded = _settings(
        CLUSTER_DATA_DIR=str(tmp_path),
        DATABASE_URL="postgresql://u:p@db:5432/cluster",
        CELERY_BROKER_URL="redis://broker:6379/0",
        CLUSTER_API_BIND="0.0.0.0:7443",
        CLUSTER_DEBUG="1",
        CLUSTER_STORE_COMPACTION_WINDOW_SECONDS="60",
        CLUSTER_SECRET_KEY="from-the-environment",
    )

    assert loaded["database"]["ENGINE"] == "django.db.backends.postgresql"
    assert loaded["database"]["HOST"] == "db"
    assert loaded["broker_url"] == "redis://broker:6379/0"
    # Unacknowledged messages of a lost worker come back after five minutes.
    assert loaded["broker_options"] == {"visibility_timeout": 300}
    assert loaded["bind"] == "0.0.0.0:7443"
    assert loaded["debug"] is True
    assert loaded["window"] == 60
    assert loaded["secret_key"] == "from-the-environment"
    assert not (tmp_path / "secret_key").exists()


def test_a_window_that_is_not_a_number_stops_start_up(tmp_path: Path) -> None:
    result = _run_settings(
        CLUSTER_DATA_DIR=str(tmp_path), CLUSTER_STORE_COMPACTION_WINDOW_SECONDS="5m"
    )

    assert result.returncode != 0
    assert "CLUSTER_STORE_COMPACTION_WINDOW_SECONDS must be an integer" in result.stderr
