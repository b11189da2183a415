"""A container runtime simulated in memory, so that one process can host many nodes (as KWOK
does for scale tests).

Everything above the runtime is the real agent: node registration, Lease, pod watch, pod
workers, status writes, events and deletion confirmation all reach the API exactly as they do
on Docker. Only the containers are pretend: every image is present, a container starts after
``start_delay`` seconds and then runs until it is signalled, printing one line when it starts
and one when it stops (its logs, for ``kubectl logs``), and a sandbox gets an address
from TEST-NET-2 (198.51.100.0/24), which documentation owns. No packet is ever sent to one:
the agent's probes on a simulated node pass without touching the network
(``nodeagent.pods.probes.simulated_probe``).
"""

from __future__ import annotations

import hashlib
import ipaddress
import itertools
import os
import secrets
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import datetime

from nodeagent import labels, timefmt
from nodeagent.runtime.base import (
    Container,
    ContainerConfig,
    ContainerSummary,
    ExecRequest,
    ExecResult,
    ExecSession,
    LogOptions,
    LogStream,
    RuntimeFailure,
    RuntimeInfo,
)

# Addresses handed to simulated sandboxes: documentation ranges, never routed anywhere.
_ADDRESSES = ipaddress.ip_network("198.51.100.0/24")
_GIB = 1024**3


class SimulatedRuntime:
    def __init__(self, *, start_delay: float = 0.0, cpus: int = 32, memory_gib: int = 256) -> None:
        self.start_delay = start_delay
        self.cpus = cpus
        self.memory_bytes = memory_gib * _GIB
        self._lock = threading.Lock()
        self._containers: dict[str, Container] = {}
        self._output: dict[str, list[tuple[datetime, str]]] = {}
        self._addresses = itertools.cycle(_ADDRESSES.hosts())

    def info(self) -> RuntimeInfo:
        uname = os.uname()
        return RuntimeInfo(
            name="simulated",
            version="1.0.0",
            cpus=self.cpus,
            memory_bytes=self.memory_bytes,
            os_image="Pilothouse simulated node",
            kernel_version=uname.release,
            architecture=uname.machine,
        )

    def ping(self) -> bool:
        return True

    def containers(self, labels: Mapping[str, str]) -> list[Container]:
        with self._lock:
            found = list(self._containers.values())
        return [c for c in found if all(c.labels.get(k) == v for k, v in labels.items())]

    def summaries(self, labels: Mapping[str, str]) -> list[ContainerSummary]:
        return [ContainerSummary(c.id, c.labels, c.state) for c in self.containers(labels)]

    def image_id(self, image: str) -> str:
        return "sha256:" + hashlib.sha256(image.encode()).hexdigest()

    def pull(self, image: str) -> None:
        """Every image is already present."""

    def create(self, config: ContainerConfig) -> str:
        container_id = secrets.token_hex(32)
        sandbox = config.labels.get(labels.CONTAINER_KIND) == labels.SANDBOX
        with self._lock:
            ip = str(next(self._addresses)) if sandbox else None
            self._containers[container_id] = Container(
                id=container_id,
                name=config.name,
                labels=dict(config.labels),
                state="created",
                image=config.image,
                image_id=self.image_id(config.image),
                created_at=timefmt.now(),
                ip=ip,
                sandbox_id=config.sandbox_id,
            )
        return container_id

    def _update(self, container_id: str, **changes: object) -> None:
        with self._lock:
            current = self._containers.get(container_id)
            if current is None:
                raise RuntimeFailure(f"no such container: {container_id}")
            self._containers[container_id] = replace(current, **changes)  # type: ignore[arg-type]

    def start(self, container_id: str) -> None:
        """Start after ``start_delay`` seconds, as an engine takes its time to start a process."""
        if self.start_delay:
            time.sleep(self.start_delay)
        started = timefmt.now()
        self._update(container_id, state="running", started_at=started)
        self._print(container_id, started, "started")

    def signal(self, container_id: str, signal: int) -> None:
        """Any signal ends a running container at once, as a process without handlers ends."""
        with self._lock:
            current = self._containers.get(container_id)
        if current is None or current.state != "running":
            return
        finished = timefmt.now()
        self._update(container_id, state="exited", exit_code=128 + signal, finished_at=finished)
        self._print(container_id, finished, f"stopped by signal {signal}")

    def _print(self, container_id: str, moment: datetime, what: str) -> None:
        with self._lock:
            container = self._containers.get(container_id)
            if container is not None:
                line = f"simulated container {container.name} {what}\n"
                self._output.setdefault(container_id, []).append((moment, line))

    def exec(self, container_id: str, command: list[str], timeout: float) -> ExecResult:
        """Every command succeeds, silently."""
        return ExecResult(exit_code=0, output="")

    def attach_exec(self, container_id: str, request: ExecRequest) -> ExecSession:
        """Simulated containers run no processes to attach to."""
        raise RuntimeFailure("the simulated runtime does not support exec")

    def remove(self, container_id: str) -> None:
        with self._lock:
            self._containers.pop(container_id, None)
            self._output.pop(container_id, None)

    def logs(self, container_id: str, options: LogOptions) -> LogStream:
        """What the container printed so far; following ends there too, as nothing more
        will come before the agent looks again."""
        with self._lock:
            if container_id not in self._containers:
                raise RuntimeFailure(f"no such container: {container_id}")
            lines = list(self._output.get(container_id, ()))
        if options.since is not None:
            since = options.since
            lines = [(moment, text) for moment, text in lines if moment >= since]
        if options.tail_lines is not None:
            lines = lines[len(lines) - options.tail_lines :] if options.tail_lines else []
        return _Output(
            (timefmt.nano_time(moment) + " " if options.timestamps else "") + text
            for moment, text in lines
        )


class _Output:
    """Simulated output as a ``LogStream``."""

    def __init__(self, lines: Iterator[str]) -> None:
        self._lines = lines

    def __iter__(self) -> Iterator[bytes]:
        return (line.encode() for line in self._lines)

    def close(self) -> None:
        """Nothing to release."""
