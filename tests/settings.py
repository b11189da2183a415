"""Settings for the test suite: the real PostgreSQL as ``default`` and an SQLite file beside it.

The store's conformance suite runs against both aliases. ``DATABASE_URL`` must point at a
PostgreSQL server whose role may create databases (``make test`` arranges that); pytest-django
creates ``test_<name>`` there and a fresh SQLite file, and drops both afterwards.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

from cluster.dburl import database_config
from cluster.settings import *  # noqa: F403

# One folder per test run, shared with the processes the run spawns (they inherit the
# variable), removed when the process that made it exits.
if "PILOTHOUSE_TEST_DIR" not in os.environ:
    os.environ["PILOTHOUSE_TEST_DIR"] = tempfile.mkdtemp(prefix="pilothouse-test-")
    atexit.register(shutil.rmtree, os.environ["PILOTHOUSE_TEST_DIR"], ignore_errors=True)
_SQLITE_DIR = Path(os.environ["PILOTHOUSE_TEST_DIR"])

DATABASES = {
    "default": database_config(
        os.environ.get(
            "DATABASE_URL", "postgresql://pilothouse:pilothouse@127.0.0.1:5432/pilothouse"
        )
    ),
    "sqlite": database_config(f"sqlite:///{_SQLITE_DIR / 'store.sqlite3'}"),
}
DATABASES["sqlite"]["TEST"] = {"NAME": str(_SQLITE_DIR / "test-store.sqlite3")}
