"""The contract between the pod sync logic and a container engine, in the engine's terms.

Kubelet talks to its runtime through the CRI; this is the agent's much smaller equivalent. It
knows containers and images, not pods: a pod is a set of containers that carry the agent's
labels (see ``nodeagent.labels``). Everything here is plain data, so the pod logic can be tested
with a fake runtime and a simulated runtime can stand in for Docker.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol

ContainerState = Literal["created", "running", "exited"]


class RuntimeFailure(Exception):
    """The engine refused or failed an operation; the message is the engine's."""


class ImageMissing(RuntimeFailure):
    pass


class PullFailed(RuntimeFailure):
    pass


class StartFailed(RuntimeFailure):
    pass


@dataclass(frozen=True)
class RuntimeInfo:
    """What the node reports about its engine and machine."""

    name: str
    version: str
    cpus: int
    memory_bytes: int
    os_image: str
    kernel_version: str
    architecture: str


@dataclass(frozen=True)
class Mount:
    source: str
    target: str
    read_only: bool = False


@dataclass(frozen=True)
class ContainerConfig:
    """A container to create. ``entrypoint``/``cmd`` None keep the image's own."""

    name: str
    image: str
    labels: Mapping[str, str]
    entrypoint: list[str] | None = None
    cmd: list[str] | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    working_dir: str | None = None
    nano_cpus: int | None = None
    memory_bytes: int | None = None
    mounts: tuple[Mount, ...] = ()
    # A sandbox gets its own network namespace on ``network``, with ``hostname``; an app
    # container joins the namespace of ``sandbox_id``.
    network: str | None = None
    hostname: str | None = None
    sandbox_id: str | None = None
    # Ports the container exposes, as (number, "tcp" | "udp" | "sctp"): a sandbox's only.
    exposed_ports: tuple[tuple[int, str], ...] = ()


@dataclass(frozen=True)
class Container:
    """One container as the engine sees it now."""

    id: str
    name: str
    labels: Mapping[str, str]
    state: ContainerState
    image: str
    image_id: str
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    exit_code: int | None = None
    oom_killed: bool = False
    error: str = ""
    ip: str | None = None
    # The sandbox whose network namespace an app container joined; None for a sandbox, or
    # where the runtime does not tell.
    sandbox_id: str | None = None


@dataclass(frozen=True)
class ExecResult:
    """A command run in a container: its exit code (None if it ran out of time) and output."""

    exit_code: int | None
    output: str


@dataclass(frozen=True)
class LogOptions:
    """Which part of a container's output to read, in the terms of kube's PodLogOptions.

    ``since`` is absolute (the log server turns ``sinceSeconds`` into it); ``tail_lines``
    None means every line.
    """

    follow: bool = False
    tail_lines: int | None = None
    since: datetime | None = None
    timestamps: bool = False


class LogStream(Protocol):
    """A container's output, stdout and stderr interleaved, as the engine hands it over: an
    iterator of byte chunks, ending when the output does (with ``follow``, when the container
    stops). ``close`` ends it early and releases its connection to the engine."""

    def __iter__(self) -> Iterator[bytes]: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class ExecRequest:
    """A command to run in a container with its streams attached (kube's PodExecOptions)."""

    command: list[str]
    stdin: bool = False
    stdout: bool = True
    stderr: bool = True
    tty: bool = False


class ExecSession(Protocol):
    """A command running in a container with its streams attached (``kubectl exec``)."""

    def output(self) -> Iterator[tuple[int, bytes]]:
        """(1 for stdout or 2 for stderr, bytes) as the command writes them; ends when the
        command's output does. With a TTY everything comes as stdout."""
        ...

    def write(self, data: bytes) -> None:
        """Send ``data`` to the command's standard input."""
        ...

    def close_stdin(self) -> None:
        """End the command's standard input (it reads end-of-file)."""
        ...

    def resize(self, width: int, height: int) -> None:
        """Resize the command's TTY."""
        ...

    def exit_code(self) -> int:
        """The command's exit code, once its output has ended."""
        ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class ContainerSummary:
    """A container's identity and coarse state: what a cheap listing tells."""

    id: str
    labels: Mapping[str, str]
    state: ContainerState


class Runtime(Protocol):
    def info(self) -> RuntimeInfo: ...

    def ping(self) -> bool:
        """Whether the engine answers now."""
        ...

    def containers(self, labels: Mapping[str, str]) -> list[Container]:
        """Every container (running or not) that carries all of ``labels``."""
        ...

    def summaries(self, labels: Mapping[str, str]) -> list[ContainerSummary]:
        """Like ``containers`` but only identity and coarse state, in one cheap call."""
        ...

    def image_id(self, image: str) -> str:
        """The local image's ID; ``ImageMissing`` if it is not present."""
        ...

    def pull(self, image: str) -> None:
        """Fetch ``image``; ``PullFailed`` with the engine's reason if it cannot."""
        ...

    def create(self, config: ContainerConfig) -> str:
        """Create (not start) a container; its ID."""
        ...

    def start(self, container_id: str) -> None:
        """Start a created container; ``StartFailed`` if the engine cannot."""
        ...

    def signal(self, container_id: str, signal: int) -> None:
        """Send ``signal`` to the container's main process, if it still runs."""
        ...

    def exec(self, container_id: str, command: list[str], timeout: float) -> ExecResult:
        """Run ``command`` in the running container, waiting at most ``timeout`` seconds."""
        ...

    def attach_exec(self, container_id: str, request: ExecRequest) -> ExecSession:
        """Start ``request.command`` in the running container with its streams attached;
        ``RuntimeFailure`` if the engine cannot (or the runtime does not exec)."""
        ...

    def remove(self, container_id: str) -> None:
        """Remove the container, killing it first if it runs; no error if it is gone."""
        ...

    def logs(self, container_id: str, options: LogOptions) -> LogStream:
        """The container's output as ``options`` select it; ``RuntimeFailure`` if the engine
        cannot read it (the container is gone)."""
        ...
