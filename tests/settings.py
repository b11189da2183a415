"""Settings for the test suite: the real PostgreSQL as ``default`` and an SQLite file beside it.

The store's conformance suite runs against both aliases. ``DATABASE_URL`` must point at a
PostgreSQL server whose role may create databases (``make test`` arranges that); pytest-django
creates ``test_<name>`` there and a fresh SQLite file, and drops both afterwards.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from cluster.dburl import database_config
from cluster.settings import *  # noqa: F403

_SQLITE_DIR = Path(tempfile.mkdtemp(prefix="pilothouse-test-"))

DATABASES = {
    "default": database_config(
        os.environ.get(
            "DATABASE_URL", "postgresql://pilothouse:pilothouse@127.0.0.1:5432/pilothouse"
        )
    ),
    "sqlite": database_config(f"sqlite:///{_SQLITE_DIR / 'store.sqlite3'}"),
}
DATABASES["sqlite"]["TEST"] = {"NAME": str(_SQLITE_DIR / "test-store.sqlite3")}
