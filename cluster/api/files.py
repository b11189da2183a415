"""Writing state files so that a reader never sees half of one.

The PKI and the kubeconfig are read by other processes (uvicorn workers, kubectl) while a
starting server may be rewriting them, so every write goes to a private temporary file in the
same directory and is renamed over the old one: the rename is atomic, and the file never exists
with looser permissions than ``mode``, not even for a moment.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def replace_file(path: Path, data: bytes, *, mode: int) -> None:
    """Make ``path`` hold exactly ``data`` with permissions ``mode``, atomically."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        # mkstemp creates the file 0600; fchmod before the first byte, so a public certificate
        # becomes readable and a key never is.
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
