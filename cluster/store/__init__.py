"""The etcd stand-in: a revisioned object store on SQL with optimistic concurrency and watch.

Import the protocol and types from here; ``default_store()`` gives the process's store for a
database alias (one watch hub per process and alias, as kube-apiserver has one watch cache).
"""

from __future__ import annotations

import threading

from cluster.store.errors import (
    AlreadyExists,
    BadRequest,
    Cause,
    Conflict,
    Expired,
    NotFound,
    ParentNotFound,
    ParentTerminating,
    StoreError,
    TooLargeResourceVersion,
)
from cluster.store.protocol import Store, Watch
from cluster.store.sql import SqlStore
from cluster.store.types import (
    BatchWrite,
    Create,
    Key,
    ListResult,
    Object,
    Preconditions,
    Update,
    WatchEvent,
)

__all__ = [
    "AlreadyExists",
    "BatchWrite",
    "Cause",
    "Create",
    "Conflict",
    "Expired",
    "BadRequest",
    "Key",
    "ListResult",
    "NotFound",
    "Object",
    "ParentNotFound",
    "ParentTerminating",
    "Preconditions",
    "SqlStore",
    "Store",
    "StoreError",
    "TooLargeResourceVersion",
    "Update",
    "Watch",
    "WatchEvent",
    "default_store",
]

_stores: dict[str, SqlStore] = {}
_lock = threading.Lock()


def default_store(using: str = "default") -> SqlStore:
    """The one store (and watch hub) of this process for ``using``."""
    with _lock:
        store = _stores.get(using)
        if store is None:
            store = _stores[using] = SqlStore(using)
        return store
