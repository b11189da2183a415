"""Fixtures shared by the whole suite.

``store`` is parametrised over both backends, so every test that takes it is a conformance
test: it runs once on the real PostgreSQL (``default``) and once on SQLite (``sqlite``).
Store tests need committed data (the watch listener reads on its own connection), so modules
that use ``store`` declare ``pytestmark = STORE_DB`` to get transactional access to both.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cluster.registry.registry import Registry
from cluster.store.sql import SqlStore

BACKENDS = {"postgresql": "default", "sqlite": "sqlite"}
STORE_DB = pytest.mark.django_db(transaction=True, databases=["default", "sqlite"])


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
