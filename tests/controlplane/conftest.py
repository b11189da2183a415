"""Fixtures of the control-plane integration tests: one control plane for the session.

``control_plane`` starts the API server, two Celery workers and beat (see ``cluster.py``);
each test gets a namespace of its own and a ``NodeKeeper`` whose nodes are removed after it.
"""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS

from tests.controlplane.cluster import (
    CONTROL_PLANE_ENV,
    ControlPlane,
    NodeKeeper,
    claimed_redis_database,
)
from tests.e2e.cluster import Api, Kubectl, admin_token, scratch_database
from tests.serving import manage, running_api, server_env

pytestmark = pytest.mark.e2e

_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def control_plane(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ControlPlane]:
    base = settings.DATABASES[DEFAULT_DB_ALIAS]
    name = "test_" + str(base["NAME"]).removeprefix("test_") + "_cp"
    root = tmp_path_factory.mktemp("controlplane")
    home = root / "home"
    home.mkdir()
    redis_base = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    with scratch_database(base, name) as url, claimed_redis_database(redis_base) as redis_url:
        env = server_env(
            root / "data", database_url=url, CELERY_BROKER_URL=redis_url, **CONTROL_PLANE_ENV
        )
        manage(env, "migrate", "--noinput")
        with running_api(env, workers=1, stop_timeout=5) as server:
            plane = ControlPlane(
                api=Api(server.url, server.ca_file, admin_token(server.kubeconfig)),
                admin=Kubectl(server.kubeconfig, home),
                env=env,
                root=root,
                redis_url=redis_url,
            )
            try:
                plane.start_worker()
                plane.start_worker()
                plane.start_beat()
                yield plane
            finally:
                plane.stop_beat()
                plane.stop_workers()


def _slug(test_name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", test_name.lower().removeprefix("test_")).strip("-")
    return f"cp-{next(_numbers)}-{slug}"[:50].rstrip("-")


@pytest.fixture
def namespace(control_plane: ControlPlane, request: pytest.FixtureRequest) -> str:
    name = _slug(request.node.name)
    control_plane.api.create(
        "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
    )
    return name


@pytest.fixture
def nodes(control_plane: ControlPlane, request: pytest.FixtureRequest) -> Iterator[NodeKeeper]:
    keeper = NodeKeeper(control_plane.api, _slug(request.node.name))
    try:
        yield keeper
    finally:
        keeper.close()
