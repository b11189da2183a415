"""``createtoken --node NAME``: a node agent's own credential, user ``system:node:NAME``."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import override_settings

from cluster.api.models import Token
from cluster.api.tokens import NODES_GROUP, hash_token, user_for_token


@pytest.fixture(autouse=True)
def _pki(tmp_path: Path) -> Iterator[None]:
    with override_settings(CLUSTER_PKI_DIR=tmp_path / "pki", CLUSTER_API_BIND="127.0.0.1:7443"):
        yield


def _createtoken(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("createtoken", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_it_issues_a_node_the_user_system_node_name_in_system_nodes(tmp_path: Path) -> None:
    path = tmp_path / "node.kubeconfig"

    out, err = _createtoken("--node", "worker-1", "--kubeconfig", str(path))

    config = yaml.safe_load(path.read_text())
    token = config["users"][0]["user"]["token"]
    user = user_for_token(token)
    assert user is not None
    assert user.username == "system:node:worker-1"
    assert list(user.groups.values_list("name", flat=True)) == [NODES_GROUP]
    assert config["users"][0]["name"] == "system:node:worker-1"
    assert out.strip() == f"Wrote a kubeconfig for system:node:worker-1 to {path}"
    assert err.strip() == "Created user system:node:worker-1"
    assert Token.objects.get().digest == hash_token(token)


@pytest.mark.django_db
def test_a_second_node_token_is_another_for_the_same_user() -> None:
    first, _ = _createtoken("--node", "worker-1")
    second, err = _createtoken("--node", "worker-1")

    tokens = {yaml.safe_load(out)["users"][0]["user"]["token"] for out in (first, second)}
    assert len(tokens) == 2
    assert err == ""
    assert User.objects.filter(username="system:node:worker-1").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "args",
    [
        ("--node", "Worker_1"),
        ("--node", "x" * 139),
        ("alice", "--node", "worker-1"),
        (),
        ("system:node:worker-1",),
    ],
)
def test_it_refuses_bad_node_names_and_node_users_made_by_hand(args: tuple[str, ...]) -> None:
    with pytest.raises(CommandError):
        _createtoken(*args)

    assert not User.objects.exists()
