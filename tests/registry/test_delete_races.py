"""A DELETE is not refused because a controller wrote the object while it was deleting it.

The registry reads the object, decides how to delete it (at once, or by marking it), and
deletes the version it read. A status update landing in between (node IPAM setting a node's
podCIDR, a heartbeat) must make it decide again on the new version, as kube-apiserver's delete
does: only the caller's own preconditions may turn a DELETE into a 409.
"""

from __future__ import annotations

from typing import Any

import pytest

from cluster.registry.catalog import RESOURCES
from cluster.registry.errors import Conflict, NotFound
from cluster.registry.registry import DeleteOptions, Registry
from cluster.store.sql import SqlStore
from cluster.store.types import Key, Object, Preconditions

pytestmark = pytest.mark.django_db(transaction=True)

NODES = RESOURCES.of_kind("Node")


class WriteBeforeDelete:
    """A store whose next ``delete`` calls see ``writes`` more updates land just before them."""

    def __init__(self, store: SqlStore, writes: int) -> None:
        self._store = store
        self.writes = writes

    def delete(self, key: Key, *, preconditions: Preconditions | None = None) -> Object:
        if self.writes:
            self.writes -= 1
            self._store.guaranteed_update(key, _label_once_more)
        return self._store.delete(key, preconditions=preconditions)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


def _label_once_more(obj: Object) -> Object:
    labels = obj["metadata"].setdefault("labels", {})
    labels["touched"] = str(int(labels.get("touched", "0")) + 1)
    return obj


def _node(name: str) -> Object:
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name}}


def test_a_node_updated_while_it_is_deleted_is_deleted_all_the_same(pg_store: SqlStore) -> None:
    racing = WriteBeforeDelete(pg_store, writes=2)
    registry = Registry(racing)
    registry.create(NODES, None, _node("busy"))

    registry.delete(NODES, None, "busy", DeleteOptions())

    assert racing.writes == 0
    with pytest.raises(NotFound):
        registry.get(NODES, None, "busy")


def test_the_callers_own_stale_resource_version_is_still_a_conflict(pg_store: SqlStore) -> None:
    registry = Registry(pg_store)
    created = registry.create(NODES, None, _node("kept")).object
    registry.update(NODES, None, "kept", _label_once_more)
    stale = Preconditions(resource_version=created["metadata"]["resourceVersion"])

    with pytest.raises(Conflict):
        registry.delete(NODES, None, "kept", DeleteOptions(preconditions=stale))
    assert registry.get(NODES, None, "kept")["metadata"]["name"] == "kept"
