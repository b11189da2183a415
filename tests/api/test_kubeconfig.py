"""Kubeconfigs: the admin one runapi keeps, the ones createtoken prints, and the real clients.

The last test is the whole story end to end: ``runapi`` on the test database serves HTTPS with
the generated CA, and the real kubectl and the official kubernetes client use its kubeconfig.
"""

from __future__ import annotations

import base64
import io
import json
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import override_settings
from kubernetes.client import ApiClient
from kubernetes.config import new_client_from_config

from cluster.api.kubeconfig import ensure_admin_kubeconfig, server_url
from cluster.api.models import Token
from cluster.api.pki import ensure_ca
from cluster.api.tokens import ADMIN_USERNAME, MASTERS_GROUP, clear_token_cache, user_for_token
from tests.kubectl import kubectl
from tests.serving import current_database_url, manage, running_api, server_env

SERVER = "https://127.0.0.1:6443"


@pytest.fixture
def ca_pem(tmp_path: Path) -> bytes:
    return ensure_ca(tmp_path / "pki")


def _load(path_or_text: Path | str) -> dict[str, Any]:
    text = path_or_text.read_text() if isinstance(path_or_text, Path) else path_or_text
    loaded: dict[str, Any] = yaml.safe_load(text)
    return loaded


def _current(config: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The cluster and the user of the current context, as kubectl resolves them."""
    context = next(c for c in config["contexts"] if c["name"] == config["current-context"])
    cluster = next(c for c in config["clusters"] if c["name"] == context["context"]["cluster"])
    user = next(u for u in config["users"] if u["name"] == context["context"]["user"])
    return cluster["cluster"], user["user"]


def _token(path: Path) -> str:
    token: str = _current(_load(path))[1]["token"]
    return token


@pytest.mark.parametrize(
    ("host", "port", "secure", "url"),
    [
        ("127.0.0.1", 6443, True, "https://127.0.0.1:6443"),
        ("0.0.0.0", 6443, True, "https://127.0.0.1:6443"),
        ("::", 7443, True, "https://[::1]:7443"),
        ("::1", 6443, True, "https://[::1]:6443"),
        ("api.example.test", 443, False, "http://api.example.test:443"),
    ],
)
def test_the_server_url_is_one_a_local_client_can_reach(
    host: str, port: int, secure: bool, url: str
) -> None:
    assert server_url(host, port, secure=secure) == url


@pytest.mark.django_db
def test_first_start_writes_an_admin_kubeconfig_only_its_owner_can_read(
    tmp_path: Path, ca_pem: bytes
) -> None:
    path = tmp_path / "kubeconfig"

    assert ensure_admin_kubeconfig(path, server=SERVER, ca_pem=ca_pem)

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    cluster, user = _current(_load(path))
    assert cluster == {
        "server": SERVER,
        "certificate-authority-data": base64.b64encode(ca_pem).decode(),
    }
    admin = user_for_token(user["token"])
    assert admin is not None
    assert admin.username == ADMIN_USERNAME
    assert admin.is_superuser
    assert admin.groups.filter(name=MASTERS_GROUP).exists()
    assert Token.objects.get().name == "kubeconfig"


@pytest.mark.django_db
def test_a_restart_keeps_the_kubeconfig_and_its_token(tmp_path: Path, ca_pem: bytes) -> None:
    path = tmp_path / "kubeconfig"
    ensure_admin_kubeconfig(path, server=SERVER, ca_pem=ca_pem)
    written = path.read_bytes()
    clear_token_cache()

    assert not ensure_admin_kubeconfig(path, server=SERVER, ca_pem=ca_pem)

    assert path.read_bytes() == written
    assert Token.objects.count() == 1


@pytest.mark.django_db
def test_a_restart_keeps_what_kubectl_config_added(tmp_path: Path, ca_pem: bytes) -> None:
    path = tmp_path / "kubeconfig"
    ensure_admin_kubeconfig(path, server=SERVER, ca_pem=ca_pem)
    config = _load(path)
    config["contexts"][0]["context"]["namespace"] = "kube-system"
    path.write_text(yaml.safe_dump(config))

    assert not ensure_admin_kubeconfig(path, server=SERVER, ca_pem=ca_pem)

    assert _load(path)["contexts"][0]["context"]["namespace"] == "kube-system"


@pytest.mark.django_db
def test_a_revoked_token_is_replaced_by_a_new_one(tmp_path: Path, ca_pem: bytes) -> None:
    path = tmp_path / "kubeconfig"
    ensure_admin_kubeconfig(path, server=SERVER, ca_pem=ca_pem)
    old = _token(path)
    Token.objects.all().delete()
    clear_token_cache()

    assert ensure_admin_kubeconfig(path, server=SERVER, ca_pem=ca_pem)

    assert _token(path) != old
    assert user_for_token(_token(path)) == User.objects.get(username=ADMIN_USERNAME)


@pytest.mark.django_db
def test_a_token_of_another_user_is_replaced(tmp_path: Path, ca_pem: bytes) -> None:
    path = tmp_path / "kubeconfig"
    ensure_admin_kubeconfig(path, server=SERVER, ca_pem=ca_pem)
    Token.objects.update(user=User.objects.create_user("mallory"))
    clear_token_cache()

    assert ensure_admin_kubeconfig(path, server=SERVER, ca_pem=ca_pem)

    admin = user_for_token(_token(path))
    assert admin is not None
    assert admin.username == ADMIN_USERNAME


@pytest.mark.django_db
def test_a_new_address_or_ca_rewrites_the_file_but_keeps_the_token(
    tmp_path: Path, ca_pem: bytes
) -> None:
    path = tmp_path / "kubeconfig"
    ensure_admin_kubeconfig(path, server=SERVER, ca_pem=ca_pem)
    token = _token(path)
    other_ca = ensure_ca(tmp_path / "other-pki")

    assert ensure_admin_kubeconfig(path, server="https://127.0.0.1:7443", ca_pem=ca_pem)
    assert ensure_admin_kubeconfig(path, server="https://127.0.0.1:7443", ca_pem=other_ca)

    cluster, user = _current(_load(path))
    assert cluster["server"] == "https://127.0.0.1:7443"
    assert base64.b64decode(cluster["certificate-authority-data"]) == other_ca
    assert user["token"] == token
    assert Token.objects.count() == 1


@pytest.mark.django_db
def test_an_unreadable_kubeconfig_is_replaced(tmp_path: Path, ca_pem: bytes) -> None:
    path = tmp_path / "kubeconfig"
    path.write_text("{ not: yaml: at all")

    assert ensure_admin_kubeconfig(path, server=SERVER, ca_pem=ca_pem)

    assert user_for_token(_token(path)) is not None


@pytest.mark.django_db
def test_a_plain_http_server_gets_a_kubeconfig_without_a_ca(tmp_path: Path) -> None:
    path = tmp_path / "kubeconfig"

    ensure_admin_kubeconfig(path, server="http://127.0.0.1:6443", ca_pem=None)

    assert _current(_load(path))[0] == {"server": "http://127.0.0.1:6443"}


@pytest.fixture
def cluster_settings(tmp_path: Path) -> Iterator[None]:
    with override_settings(
        CLUSTER_PKI_DIR=tmp_path / "pki",
        CLUSTER_API_BIND="0.0.0.0:7443",
        CLUSTER_API_INSECURE=False,
    ):
        yield


def _createtoken(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("createtoken", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_createtoken_creates_the_user_and_prints_a_kubeconfig_for_it(
    cluster_settings: None, tmp_path: Path
) -> None:
    out, err = _createtoken("alice")

    cluster, user = _current(_load(out))
    assert cluster["server"] == "https://127.0.0.1:7443"
    ca_file = tmp_path / "pki" / "ca.crt"
    assert base64.b64decode(cluster["certificate-authority-data"]) == ca_file.read_bytes()
    alice = user_for_token(user["token"])
    assert alice is not None
    assert alice.username == "alice"
    assert not alice.has_usable_password()
    assert err.strip() == "Created user alice"
    assert Token.objects.get().name == "createtoken"


@pytest.mark.django_db
def test_createtoken_adds_a_token_for_an_existing_user(cluster_settings: None) -> None:
    bob = User.objects.create_user("bob", password="kept")

    first, _ = _createtoken("bob", "--name", "ci")
    second, err = _createtoken("bob", "--name", "ci")

    tokens = {_current(_load(out))[1]["token"] for out in (first, second)}
    assert len(tokens) == 2
    assert all(user_for_token(token) == bob for token in tokens)
    assert err == ""
    assert User.objects.get(username="bob").check_password("kept")


@pytest.mark.django_db
def test_createtoken_writes_the_kubeconfig_to_a_private_file(
    cluster_settings: None, tmp_path: Path
) -> None:
    path = tmp_path / "carol.kubeconfig"

    out, _ = _createtoken("carol", "--kubeconfig", str(path))

    assert out.strip() == f"Wrote a kubeconfig for carol to {path}"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    carol = user_for_token(_token(path))
    assert carol is not None
    assert carol.username == "carol"


@pytest.mark.django_db
def test_createtoken_for_a_plain_http_server_includes_no_ca(
    cluster_settings: None, tmp_path: Path
) -> None:
    out, _ = _createtoken("dave", "--server", "http://10.0.0.5:6443")

    assert _current(_load(out))[0] == {"server": "http://10.0.0.5:6443"}
    assert not (tmp_path / "pki").exists()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_kubectl_and_the_kubernetes_client_use_the_generated_kubeconfig_over_https(
    tmp_path: Path,
) -> None:
    env = server_env(tmp_path / "data", database_url=current_database_url())
    home = tmp_path / "home"
    home.mkdir()

    with running_api(env, workers=2) as server:
        assert stat.S_IMODE(server.kubeconfig.stat().st_mode) == 0o600
        for path in ("/readyz", "/healthz"):
            answer = kubectl(server.kubeconfig, "get", "--raw", path, home=home)
            assert (answer.returncode, answer.stdout) == (0, "ok"), answer.stderr

        wrong = _load(server.kubeconfig)
        wrong["users"][0]["user"]["token"] = "not-a-token"
        wrong_path = tmp_path / "wrong.kubeconfig"
        wrong_path.write_text(yaml.safe_dump(wrong))
        refused = kubectl(wrong_path, "get", "--raw", "/readyz", home=home)
        assert refused.returncode == 1
        assert "error: You must be logged in to the server (Unauthorized)" in refused.stderr

        # A token issued by another process while the server runs works at once: workers
        # look tokens up in the database, their caches only remember successes.
        bob_path = tmp_path / "bob.kubeconfig"
        manage(env, "createtoken", "bob", "--kubeconfig", str(bob_path), "--server", server.url)
        answer = kubectl(bob_path, "get", "--raw", "/readyz?verbose", home=home)
        assert answer.returncode == 0, answer.stderr
        assert answer.stdout.endswith("readyz check passed\n")

        assert _raw_get(server.kubeconfig, "/readyz") == (200, "ok")
        status, body = _raw_get(wrong_path, "/readyz")
        assert status == 401
        assert json.loads(body)["reason"] == "Unauthorized"

    assert "listening on https://127.0.0.1:" in server.output()


def _raw_get(kubeconfig: Path, path: str) -> tuple[int, str]:
    """GET ``path`` with the official client, configured only by the kubeconfig."""
    client: ApiClient = new_client_from_config(config_file=str(kubeconfig))  # type: ignore[no-untyped-call]
    with client as api:
        method, url, headers, _, _ = api.param_serialize("GET", path, auth_settings=["BearerToken"])
        response = api.call_api(method, url, header_params=headers, _request_timeout=20)
        response.read()
        return response.status, response.data.decode()
