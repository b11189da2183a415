"""An open watch holds no database connection: only the hub's queue feeds it."""

from __future__ import annotations

import pytest
from django.db import connections
from django.http import QueryDict

from cluster.api.options import parse_options
from cluster.api.target import Target
from cluster.api.watch import open_watch
from cluster.registry.bootstrap import ensure_system_namespaces
from cluster.registry.catalog import RESOURCES, default_registry


@pytest.mark.django_db(transaction=True)
def test_opening_a_watch_gives_the_request_connection_back() -> None:
    ensure_system_namespaces(default_registry())  # the subscription reads the database
    pods = RESOURCES.get("", "pods")
    assert pods is not None
    assert connections["default"].connection is not None

    watch = open_watch(Target(pods, "default"), parse_options(QueryDict("watch=true")))
    try:
        assert connections["default"].connection is None
        first = watch.next_event(timeout=0.5)  # nothing was written since: no event
        assert first is None
    finally:
        watch.stop()
