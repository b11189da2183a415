"""The health endpoints answer as kube-apiserver's do: ``ok``, or one line per check."""

from __future__ import annotations

import pytest
from django.db import OperationalError
from django.test import Client

from cluster.api import health

pytestmark = pytest.mark.django_db

TEXT = "text/plain; charset=utf-8"


def _database_down() -> str:
    return "database unavailable (OperationalError)"


@pytest.mark.parametrize("path", ["/healthz", "/livez", "/readyz"])
def test_it_answers_ok_in_plain_text(client: Client, path: str) -> None:
    response = client.get(path)

    assert response.status_code == 200
    assert response["Content-Type"] == TEXT
    assert response.content == b"ok"


@pytest.mark.parametrize("endpoint", ["healthz", "livez"])
def test_verbose_liveness_lists_the_ping_check(client: Client, endpoint: str) -> None:
    response = client.get(f"/{endpoint}?verbose")

    assert response.status_code == 200
    assert response.content.decode() == f"[+]ping ok\n{endpoint} check passed\n"


def test_verbose_readiness_lists_the_database_check(client: Client) -> None:
    response = client.get("/readyz?verbose")

    assert response.status_code == 200
    assert response.content.decode() == "[+]ping ok\n[+]database ok\nreadyz check passed\n"


def test_readyz_answers_503_with_the_reason_when_the_database_check_fails(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(health, "check_database", _database_down)

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response["Content-Type"] == TEXT
    assert response.content.decode() == (
        "[+]ping ok\n"
        "[-]database failed: database unavailable (OperationalError)\n"
        "readyz check failed\n"
    )


def test_liveness_does_not_depend_on_the_database(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(health, "check_database", _database_down)

    assert client.get("/livez").status_code == 200
    assert client.get("/healthz").status_code == 200


def test_database_check_passes_against_the_real_database() -> None:
    assert health.check_database() is None


def test_database_check_names_the_error_class_but_not_its_text(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class UnreachableDatabase:
        def cursor(self) -> None:
            raise OperationalError("connection to server at 10.1.2.3 failed: password rejected")

    monkeypatch.setattr(health, "connection", UnreachableDatabase())

    assert health.check_database() == "database unavailable (OperationalError)"


def test_health_endpoints_refuse_writes(client: Client) -> None:
    assert client.post("/healthz").status_code == 405
    assert client.head("/readyz").status_code == 200


def test_health_answers_are_never_cached(client: Client) -> None:
    assert "no-cache" in client.get("/readyz")["Cache-Control"]
