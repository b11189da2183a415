"""A private Docker engine for the tests that restart one: the shared engine serves everyone
on this machine, so a test that stops an engine runs its own.

``private_engine`` starts ``dockerd`` (as root) on a socket, data root and exec root of its
own under a short temporary directory (Unix socket paths are short), with a configuration of
its own, its own containerd (under the exec root), and in a network namespace of its own
(``unshare --net``) with no bridge, iptables or forwarding. The namespace is not optional:
with ``--bridge=none`` dockerd deletes any interface named ``docker0`` in its namespace
(moby's ``removeDefaultBridgeInterface``), which in the host's is the shared engine's bridge.
The socket is a file, so the tests reach the engine all the same; its containers use the
``none`` network.

The engine gets the test images from the shared one (``docker save`` into ``docker load``:
nothing is pulled), can be stopped as an operator stops it (SIGTERM, and the engine stops its
containers: live-restore is off) and started again on the same data root.

On the way out, whatever happened: its containers are removed, the daemon stops (killed if it
will not), any process still running from its directories is killed by its ID, whatever is
still mounted under the directory is unmounted and the directory removed.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import docker
import docker.errors

START_SECONDS = 30.0
# The engine gives each container 10 s to stop on SIGTERM, then a few seconds more.
STOP_SECONDS = 40.0
_POLL_SECONDS = 0.1
_MNT_DETACH = 2


class EngineError(Exception):
    """The private engine did not start or stop in time; the message quotes its log."""


@dataclass
class PrivateEngine:
    root: Path
    process: subprocess.Popen[bytes] | None = None
    _clients: list[docker.DockerClient] = field(default_factory=list)

    @property
    def socket(self) -> Path:
        return self.root / "docker.sock"

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    @property
    def log_file(self) -> Path:
        return self.root / "dockerd.log"

    def command(self) -> list[str]:
        return [
            # unshare execs dockerd: the process started is the daemon itself.
            "unshare",
            "--net",
            "--",
            "dockerd",
            f"--host={self.url}",
            f"--data-root={self.root / 'data'}",
            f"--exec-root={self.root / 'exec'}",
            f"--pidfile={self.root / 'docker.pid'}",
            f"--config-file={self.root / 'daemon.json'}",
            "--bridge=none",
            "--iptables=false",
            "--ip6tables=false",
            "--ip-forward=false",
            "--ip-masq=false",
        ]

    def client(self) -> docker.DockerClient:
        """A client of this engine, closed with it."""
        client = docker.DockerClient(base_url=self.url, timeout=60)
        self._clients.append(client)
        return client

    def start(self) -> None:
        """Start dockerd and wait (bounded) until it answers."""
        assert self.process is None, "the engine is running"
        (self.root / "daemon.json").write_text(json.dumps({}))
        with self.log_file.open("ab") as log:
            # Its own session: a signal meant for pytest does not reach it.
            self.process = subprocess.Popen(
                self.command(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                code = self.process.returncode
                raise EngineError(f"dockerd exited with {code}\n{self.log_tail()}")
            if self._answers():
                self._check_isolated(self.process.pid)
                return
            time.sleep(_POLL_SECONDS)
        raise EngineError(f"dockerd did not answer in {START_SECONDS} s\n{self.log_tail()}")

    @staticmethod
    def _check_isolated(pid: int) -> None:
        own = os.readlink(f"/proc/{pid}/ns/net")
        if own == os.readlink("/proc/self/ns/net"):
            raise EngineError("the private dockerd runs in the host's network namespace")

    def _answers(self) -> bool:
        # The client asks the engine's version as it is made: that is the question.
        try:
            docker.DockerClient(base_url=self.url, timeout=5).close()
        except docker.errors.DockerException:
            return False
        return True

    def stop(self) -> None:
        """SIGTERM, as an operator stops the engine, and wait (bounded) for it to exit."""
        process, self.process = self.process, None
        if process is None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired as e:
            process.kill()
            process.wait(timeout=10)
            message = f"dockerd ignored SIGTERM for {STOP_SECONDS} s\n{self.log_tail()}"
            raise EngineError(message) from e

    def restart(self) -> None:
        self.stop()
        self.start()

    def load_images(self, source: docker.DockerClient, images: Iterable[str]) -> None:
        """Copy ``images`` from the ``source`` engine into this one (save, then load)."""
        target = self.client()
        for image in images:
            # Saved by this reference, so the archive is tagged with it (not the image's first
            # tag), and checked: an image the engine lacks, the agent would try to pull.
            target.images.load(b"".join(source.api.get_image(image)))
            try:
                target.images.get(image)
            except docker.errors.ImageNotFound as e:
                raise EngineError(f"{image} did not load into the private engine") from e

    def log_tail(self, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def close(self) -> None:
        """Remove the containers, stop the engine, and leave nothing behind."""
        try:
            if self.process is not None:
                self._remove_containers()
                self.stop()
        finally:
            for client in self._clients:
                client.close()
            self._clients.clear()
            if self.process is not None:
                self.process.kill()
                self.process.wait(timeout=10)
                self.process = None
            _kill_processes_under(self.root)
            _unmount_under(self.root)
            subprocess.run(["rm", "-rf", "--one-file-system", str(self.root)], check=False)

    def _remove_containers(self) -> None:
        """Killing the containers first spares the engine their 10 s of grace on stop."""
        try:
            client = docker.DockerClient(base_url=self.url, timeout=30)
        except docker.errors.DockerException:
            return  # it does not answer: stopping it is all there is to do
        try:
            for container in client.containers.list(all=True):
                with contextlib.suppress(docker.errors.DockerException):
                    container.remove(force=True)
        except docker.errors.DockerException:
            pass
        finally:
            client.close()


def _processes_under(root: Path) -> list[int]:
    """The processes whose command line names ``root`` (dockerd, its containerd and shims)."""
    needle = str(root).encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        with contextlib.suppress(OSError):
            if needle in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
    return found


def _children(pid: int) -> list[int]:
    with contextlib.suppress(OSError):
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
        return [int(child) for child in text.split()]
    return []


def _kill_processes_under(root: Path) -> None:
    """SIGKILL what survived the daemon (the shims and their containers), by process ID."""
    pending = _processes_under(root)
    seen: set[int] = set()
    while pending:
        pid = pending.pop()
        if pid in seen:
            continue
        seen.add(pid)
        pending.extend(_children(pid))
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _unmount_under(root: Path) -> None:
    """Detach every mount point under ``root``, the deepest first."""
    prefix = str(root).rstrip("/") + "/"
    points = []
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/mountinfo").read_text().splitlines():
            # Our own directory: no space or other character that mountinfo escapes.
            point = line.split()[4]
            if point.startswith(prefix):
                points.append(point)
    libc = ctypes.CDLL(None, use_errno=True)
    for point in sorted(points, key=len, reverse=True):
        libc.umount2(point.encode(), _MNT_DETACH)


@contextlib.contextmanager
def private_engine(source: docker.DockerClient, images: Iterable[str]) -> Iterator[PrivateEngine]:
    """A running private engine holding ``images`` (from ``source``), removed on exit."""
    if os.geteuid() != 0:
        raise EngineError("a private Docker engine needs root")
    engine = PrivateEngine(Path(tempfile.mkdtemp(prefix="ph-engine-", dir="/tmp")))
    try:
        engine.start()
        engine.load_images(source, images)
        yield engine
    finally:
        engine.close()
