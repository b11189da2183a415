"""A program on a pseudo-terminal of its own, as a user at a terminal runs it.

``kubectl exec -t`` only allocates a TTY when its standard input is a terminal, and it reads
the terminal's size to send as the first resize; a pipe gets neither. ``Terminal`` gives the
program a fresh pty (both stdin and stdout; stderr stays a pipe so that kubectl's own messages
do not mix with the session) with a window size set before it starts. Every read is bounded by
a deadline, and the program is killed on the way out if it is still running.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import select
import signal
import struct
import subprocess
import termios
import time
from collections.abc import Mapping, Sequence
from types import TracebackType

_WINSIZE = struct.Struct("HHHH")
_READ_BYTES = 4096


class Terminal:
    """``argv`` running on a pty whose window is ``rows`` by ``columns``."""

    def __init__(
        self, argv: Sequence[str], *, env: Mapping[str, str], rows: int, columns: int
    ) -> None:
        self._master, follower = os.openpty()
        fcntl.ioctl(follower, termios.TIOCSWINSZ, _WINSIZE.pack(rows, columns, 0, 0))
        try:
            self.process = subprocess.Popen(
                list(argv),
                stdin=follower,
                stdout=follower,
                stderr=subprocess.PIPE,
                env=dict(env),
                start_new_session=True,
            )
        finally:
            os.close(follower)
        self.output = b""

    def send_keys(self, text: str) -> None:
        """Send ``text`` as keystrokes (a line ends with a carriage return, as Enter sends)."""
        os.write(self._master, text.encode())

    def resize(self, *, rows: int, columns: int) -> None:
        """Change the window's size and tell the program, as a terminal emulator does."""
        fcntl.ioctl(self._master, termios.TIOCSWINSZ, _WINSIZE.pack(rows, columns, 0, 0))
        # The program has no controlling terminal (a session of its own), so the kernel
        # does not signal it: this does.
        self.process.send_signal(signal.SIGWINCH)

    def read_until(self, wanted: bytes, *, timeout: float) -> bytes:
        """Everything read so far once ``wanted`` is in it; AssertionError after ``timeout``
        seconds or at the end of the output without it."""
        deadline = time.monotonic() + timeout
        while wanted not in self.output:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not self._read(remaining):
                raise AssertionError(f"never saw {wanted!r}; the terminal showed {self.output!r}")
        return self.output

    def wait(self, *, timeout: float) -> tuple[int, str]:
        """The program's exit code and what it wrote to stderr, once it ends."""
        deadline = time.monotonic() + timeout
        while self.process.poll() is None and time.monotonic() < deadline:
            self._read(min(0.2, max(deadline - time.monotonic(), 0.01)))
        _, err = self.process.communicate(timeout=max(deadline - time.monotonic(), 1.0))
        return self.process.returncode, err.decode(errors="replace")

    def _read(self, timeout: float) -> bool:
        """Read what is there within ``timeout`` seconds; False once the output has ended."""
        ready, _, _ = select.select([self._master], [], [], timeout)
        if not ready:
            return True
        try:
            data = os.read(self._master, _READ_BYTES)
        except OSError:  # EIO: the program closed its end of the terminal
            return False
        self.output += data
        return bool(data)

    def close(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.communicate(timeout=10)
        os.close(self._master)

    def __enter__(self) -> Terminal:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
