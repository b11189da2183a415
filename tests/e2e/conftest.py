"""Fixtures of the e2e suite: one server for the session, one namespace per test.

``cluster`` starts ``runapi`` once (HTTPS, two workers) on a database of its own (see
``cluster.py`` for why not pytest-django's). Each test then gets a namespace created through
kubectl, a kubeconfig whose context defaults to it (so ``kubectl get pods`` means that
namespace, as after ``kubectl config set-context --current --namespace``), and the REST and
kubernetes-client handles on the same server.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from kubernetes import client, config
from pytest_django import DjangoDbBlocker

from cluster.dburl import database_config
from cluster.store.sql import SqlStore
from tests.e2e.cluster import Api, Cluster, Kubectl, admin_token, scratch_database, write_kubeconfig
from tests.serving import manage, running_api, server_env

_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    base = settings.DATABASES[DEFAULT_DB_ALIAS]
    name = "test_" + str(base["NAME"]).removeprefix("test_") + "_e2e"
    root = tmp_path_factory.mktemp("e2e")
    home = root / "home"
    home.mkdir()
    with scratch_database(base, name) as url:
        env = server_env(root / "data", database_url=url)
        manage(env, "migrate", "--noinput")
        # A client connection left open (a failed test's exception can hold one) makes
        # uvicorn's graceful TLS shutdown wait half a minute; nothing here needs it graceful.
        with running_api(env, workers=2, stop_timeout=5) as server:
            api = Api(server.url, server.ca_file, admin_token(server.kubeconfig))
            yield Cluster(server=server, home=home, database_url=url, api=api)


@pytest.fixture(scope="session")
def admin(cluster: Cluster) -> Kubectl:
    """kubectl with the admin kubeconfig as runapi wrote it (no namespace in its context)."""
    return Kubectl(cluster.server.kubeconfig, cluster.home)


def _slug(test_name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", test_name.lower().removeprefix("test_")).strip("-")
    return f"e2e-{next(_numbers)}-{slug}"[:63].rstrip("-")


@pytest.fixture
def namespace(admin: Kubectl, request: pytest.FixtureRequest) -> str:
    """A fresh namespace for this test, created with kubectl.

    Through ``create -f`` rather than ``create namespace`` (which sends protobuf) and with
    ``--validate=false``, so that every test does not depend on those two features; both
    have tests of their own.
    """
    name = _slug(request.node.name)
    manifest = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
    out = admin.ok("create", "--validate=false", "-f", "-", input=json.dumps(manifest))
    assert out == f"namespace/{name} created\n"
    return name


@pytest.fixture
def kubectl(cluster: Cluster, namespace: str, tmp_path: Path) -> Kubectl:
    """kubectl whose current context defaults to this test's namespace."""
    path = write_kubeconfig(cluster.server.kubeconfig, tmp_path / "kubeconfig", namespace=namespace)
    return Kubectl(path, cluster.home)


@pytest.fixture
def api(cluster: Cluster) -> Api:
    return cluster.api


@pytest.fixture(scope="session")
def kube_client(cluster: Cluster) -> Iterator[client.ApiClient]:
    """The official client, configured only by the generated kubeconfig."""
    config.load_kube_config(config_file=str(cluster.server.kubeconfig))  # type: ignore[no-untyped-call]
    # Closed before the server stops: its pooled keep-alive connections would otherwise hold
    # up uvicorn's graceful shutdown.
    with client.ApiClient() as api_client:
        yield api_client


@pytest.fixture
def core_v1(kube_client: client.ApiClient) -> client.CoreV1Api:
    return client.CoreV1Api(kube_client)


@pytest.fixture
def compact(cluster: Cluster, django_db_blocker: DjangoDbBlocker) -> Callable[[int], None]:
    """Compact the server's store up to a revision, from this process, as a schedule would."""

    def run(revision: int) -> None:
        alias = "e2e-store"
        defaults = connections.configure_settings(
            {DEFAULT_DB_ALIAS: database_config(cluster.database_url)}
        )
        connections.settings[alias] = defaults[DEFAULT_DB_ALIAS]
        with django_db_blocker.unblock():
            store = SqlStore(alias)
            try:
                store.compact(revision)
            finally:
                store.close()
                connections[alias].close()
                del connections[alias]
                del connections.settings[alias]

    return run
