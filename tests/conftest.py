"""Fixtures shared by the whole suite.

``store`` is parametrised over both backends, so every test that takes it is a conformance
test: it runs once on the real PostgreSQL (``default``) and once on SQLite (``sqlite``).
Store tests need committed data (the watch listener reads on its own connection), so modules
that use ``store`` declare ``pytestmark = STORE_DB`` to get transactional access to both.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connections

import cluster.store
from cluster.api.views import SYNC_POOL
from cluster.registry.registry import Registry
from cluster.store.sql import SqlStore

BACKENDS = {"postgresql": "default", "sqlite": "sqlite"}
STORE_DB = pytest.mark.django_db(transaction=True, databases=["default", "sqlite"])


@pytest.fixture(scope="session", autouse=True)
def _release_database_sessions(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """Before pytest-django drops the test databases, end every session this process holds:
    the process-wide stores' watch hubs (a LISTEN connection each) and kept write connections,
    the API's sync threads' connections (tests that serve requests in-process) and the
    connection pools, whose idle connections would otherwise make DROP DATABASE fail."""
    yield
    with django_db_blocker.unblock():
        SYNC_POOL.close_connections()
        for store in list(cluster.store._stores.values()):
            store.close()
        cluster.store._stores.clear()
        for connection in connections.all():
            connection.close()
            close_pool = getattr(connection, "close_pool", None)
            if close_pool is not None:
                close_pool()


@pytest.fixture(params=sorted(BACKENDS))
def store_alias(request: pytest.FixtureRequest) -> str:
    return BACKENDS[request.param]


@pytest.fixture
def store(store_alias: str, transactional_db: None) -> Iterator[SqlStore]:
    s = SqlStore(using=store_alias, bookmark_interval=0.2, poll_interval=0.02)
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def pg_store(transactional_db: None) -> Iterator[SqlStore]:
    """The store on PostgreSQL alone, for tests of the layers above it."""
    s = SqlStore(using="default", bookmark_interval=0.2)
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def registry(pg_store: SqlStore) -> Registry:
    """A registry over ``pg_store`` (mark tests ``@pytest.mark.django_db(transaction=True)``)."""
    return Registry(pg_store)
