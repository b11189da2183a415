"""Django's SECRET_KEY, generated on first start into the data dir and read back ever after.

A secret must never be committed, yet a fresh clone must run with no setup. So the first
process to start writes a random key into ``<data dir>/secret_key`` (mode 0600), and every later
process, including the sibling workers uvicorn starts at the same moment, reads that file.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from pathlib import Path


def load_or_create_secret_key(path: Path) -> str:
    """Return the key stored at ``path``, creating it first if there is none."""
    if not path.exists():
        _create(path)
    key = path.read_text(encoding="ascii").strip()
    if not key:
        raise ValueError(f"{path} is empty; delete it to have a new secret key generated")
    return key


def _create(path: Path) -> None:
    # Write the whole key to a private temporary file, then hard-link it into place: the link
    # either appears complete or fails because another process won the race, so no reader can
    # see a half-written key and two processes never end up with different keys.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".secret_key.")
    try:
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(secrets.token_urlsafe(50) + "\n")
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        os.unlink(tmp)
