"""The Docker engine as the agent's container runtime (the role dockershim played for kubelet).

The only module that imports the Docker SDK. It uses the SDK's low-level client so that every
engine call is visible here: one call per operation, no hidden inspect-per-container lists
except where ``containers`` asks for the full state on purpose.
"""

from __future__ import annotations

import contextlib
import io
import socket
import tarfile
import threading
import time
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import docker
import docker.errors
import docker.types
import docker.utils.socket
import requests.exceptions

from nodeagent.runtime.base import (
    Container,
    ContainerConfig,
    ContainerState,
    ContainerSummary,
    ExecRequest,
    ExecResult,
    ExecSession,
    ImageMissing,
    LogOptions,
    LogStream,
    PullFailed,
    RuntimeFailure,
    RuntimeInfo,
    StartFailed,
)

_STATES: dict[str, ContainerState] = {
    "created": "created",
    "running": "running",
    "paused": "running",
    "restarting": "running",
}
# Docker's "never happened" time.
_ZERO_TIME = "0001-01-01T00:00:00Z"
_ENGINE_ERRORS = (docker.errors.DockerException, requests.exceptions.RequestException)
# How long an exec whose output ended may take to be reported as exited.
_EXEC_EXIT_SECONDS = 5.0


def _time(value: str | None) -> datetime | None:
    """Docker's RFC 3339 time with nanoseconds, to the second (what pod status shows)."""
    if not value or value == _ZERO_TIME:
        return None
    return datetime.fromisoformat(value[:19]).replace(tzinfo=UTC)


def _explain(error: Exception) -> str:
    explanation = getattr(error, "explanation", None)
    return str(explanation or error)


def _ip(settings: Mapping[str, Any] | None) -> str | None:
    for network in ((settings or {}).get("Networks") or {}).values():
        if network.get("IPAddress"):
            return str(network["IPAddress"])
    return None


def _sandbox_id(host_config: Mapping[str, Any] | None) -> str | None:
    """The container whose network namespace this one joined (``container:<id>``)."""
    mode = str((host_config or {}).get("NetworkMode") or "")
    prefix, _, joined = mode.partition(":")
    return joined if prefix == "container" and joined else None


def _container(data: Mapping[str, Any]) -> Container:
    state = data.get("State") or {}
    config = data.get("Config") or {}
    created = _time(data.get("Created")) or datetime.now(UTC)
    return Container(
        id=data["Id"],
        name=str(data.get("Name", "")).lstrip("/"),
        labels=dict(config.get("Labels") or {}),
        state=_STATES.get(state.get("Status", ""), "exited"),
        image=str(config.get("Image", "")),
        image_id=str(data.get("Image", "")),
        created_at=created,
        started_at=_time(state.get("StartedAt")),
        finished_at=_time(state.get("FinishedAt")),
        exit_code=state.get("ExitCode"),
        oom_killed=bool(state.get("OOMKilled")),
        error=str(state.get("Error") or ""),
        ip=_ip(data.get("NetworkSettings")),
        sandbox_id=_sandbox_id(data.get("HostConfig")),
    )


class DockerRuntime:
    def __init__(self, client: docker.DockerClient | None = None) -> None:
        self.client = client if client is not None else docker.from_env(timeout=120)
        self.api = self.client.api

    def info(self) -> RuntimeInfo:
        try:
            info, version = self.api.info(), self.api.version()
        except _ENGINE_ERRORS as e:
            raise RuntimeFailure(_explain(e)) from e
        return RuntimeInfo(
            name="docker",
            version=str(version["Version"]),
            cpus=int(info["NCPU"]),
            memory_bytes=int(info["MemTotal"]),
            os_image=str(info.get("OperatingSystem", "")),
            kernel_version=str(info.get("KernelVersion", "")),
            architecture=str(info.get("Architecture", "")),
        )

    def ping(self) -> bool:
        try:
            return bool(self.api.ping())
        except _ENGINE_ERRORS:
            return False

    def ensure_network(self, name: str, *, subnet: str, gateway: str, bridge: str) -> None:
        """A bridge network ``name`` on the Linux bridge ``bridge`` with ``subnet``: found
        (a restart reuses it) or created; one with another subnet is an error."""
        try:
            found = self.api.networks(names=[name])
            existing = [n for n in found if n.get("Name") == name]
            if existing:
                pools = (existing[0].get("IPAM") or {}).get("Config") or []
                if not any(p.get("Subnet") == subnet for p in pools):
                    raise RuntimeFailure(f"network {name} exists with another subnet: {pools}")
                return
            self.api.create_network(
                name,
                driver="bridge",
                ipam=docker.types.IPAMConfig(
                    pool_configs=[docker.types.IPAMPool(subnet=subnet, gateway=gateway)]
                ),
                options={"com.docker.network.bridge.name": bridge},
                labels={"io.pilothouse.network": name},
                check_duplicate=True,
            )
        except _ENGINE_ERRORS as e:
            raise RuntimeFailure(_explain(e)) from e

    def remove_network(self, name: str) -> bool:
        """Remove network ``name``; True once it is gone (already, too), False while running
        containers still use it."""
        try:
            self.api.remove_network(name)
        except docker.errors.APIError as e:
            if e.status_code == 404:
                return True
            if e.status_code in (403, 409):  # "network has active endpoints"
                return False
            raise RuntimeFailure(_explain(e)) from e
        except _ENGINE_ERRORS as e:
            raise RuntimeFailure(_explain(e)) from e
        return True

    def _list(self, labels: Mapping[str, str]) -> list[dict[str, Any]]:
        selector = [f"{key}={value}" for key, value in labels.items()]
        try:
            found: list[dict[str, Any]] = self.api.containers(all=True, filters={"label": selector})
        except _ENGINE_ERRORS as e:
            raise RuntimeFailure(_explain(e)) from e
        return found

    def summaries(self, labels: Mapping[str, str]) -> list[ContainerSummary]:
        return [
            ContainerSummary(
                id=c["Id"],
                labels=dict(c.get("Labels") or {}),
                state=_STATES.get(c.get("State", ""), "exited"),
            )
            for c in self._list(labels)
        ]

    def containers(self, labels: Mapping[str, str]) -> list[Container]:
        found = self._list(labels)
        try:
            result = []
            for summary in found:
                try:
                    result.append(_container(self.api.inspect_container(summary["Id"])))
                except docker.errors.NotFound:
                    continue  # removed between the list and the inspect
            return result
        except _ENGINE_ERRORS as e:
            raise RuntimeFailure(_explain(e)) from e

    def image_id(self, image: str) -> str:
        try:
            return str(self.api.inspect_image(image)["Id"])
        except docker.errors.ImageNotFound as e:
            raise ImageMissing(_explain(e)) from e
        except _ENGINE_ERRORS as e:
            raise RuntimeFailure(_explain(e)) from e

    def build_from_static_binary(self, image: str, binary: Path) -> bool:
        """Build ``image`` from one static busybox binary unless it exists; True if built.

        The image is ``FROM scratch`` with the binary and ``sleep``s forever, which is all a
        pod's sandbox container has to do: hold the network namespace. Nothing is pulled.
        """
        try:
            self.api.inspect_image(image)
            return False
        except docker.errors.ImageNotFound:
            pass
        except _ENGINE_ERRORS as e:
            raise RuntimeFailure(_explain(e)) from e
        dockerfile = (
            b'FROM scratch\nCOPY busybox /busybox\nCMD ["/busybox", "sleep", "2147483647"]\n'
        )
        context = io.BytesIO()
        with tarfile.open(fileobj=context, mode="w") as tar:
            tar.add(str(binary), arcname="busybox")
            entry = tarfile.TarInfo("Dockerfile")
            entry.size = len(dockerfile)
            tar.addfile(entry, io.BytesIO(dockerfile))
        context.seek(0)
        try:
            self.client.images.build(
                fileobj=context, custom_context=True, tag=image, network_mode="none", rm=True
            )
        except _ENGINE_ERRORS as e:
            raise RuntimeFailure(_explain(e)) from e
        return True

    def pull(self, image: str) -> None:
        try:
            self.client.images.pull(image)
        except _ENGINE_ERRORS as e:
            raise PullFailed(_explain(e)) from e

    def create(self, config: ContainerConfig) -> str:
        memory = config.memory_bytes
        host_config = self.api.create_host_config(
            network_mode=(
                f"container:{config.sandbox_id}" if config.sandbox_id else config.network
            ),
            nano_cpus=config.nano_cpus,
            mem_limit=memory,
            # No swap beyond the limit, as kubelet configures it.
            memswap_limit=memory,
            mounts=[
                docker.types.Mount(m.target, m.source, type="bind", read_only=m.read_only)
                for m in config.mounts
            ],
        )
        try:
            created = self.api.create_container(
                config.image,
                name=config.name,
                command=config.cmd,
                entrypoint=config.entrypoint,
                environment=[f"{key}={value}" for key, value in config.env.items()],
                working_dir=config.working_dir or None,
                labels=dict(config.labels),
                hostname=config.hostname,
                ports=list(config.exposed_ports) or None,
                host_config=host_config,
            )
        except _ENGINE_ERRORS as e:
            raise RuntimeFailure(_explain(e)) from e
        return str(created["Id"])

    def start(self, container_id: str) -> None:
        try:
            self.api.start(container_id)
        except _ENGINE_ERRORS as e:
            raise StartFailed(_explain(e)) from e

    def signal(self, container_id: str, signal: int) -> None:
        try:
            self.api.kill(container_id, signal=signal)
        except docker.errors.APIError as e:
            # 404: gone; 409: not running. Either way there is nothing left to signal.
            if e.status_code not in (404, 409):
                raise RuntimeFailure(_explain(e)) from e
        except _ENGINE_ERRORS as e:
            raise RuntimeFailure(_explain(e)) from e

    def exec(self, container_id: str, command: list[str], timeout: float) -> ExecResult:
        try:
            exec_id = str(self.api.exec_create(container_id, command)["Id"])
        except _ENGINE_ERRORS as e:
            raise RuntimeFailure(_explain(e)) from e
        output: list[bytes] = []
        failures: list[Exception] = []

        def run() -> None:
            try:
                output.append(self.api.exec_start(exec_id))
            except _ENGINE_ERRORS as e:
                failures.append(e)

        # The engine has no deadline for an exec; the caller stops waiting, the command runs
        # on (as it did under dockershim) until it ends or the container does.
        runner = threading.Thread(target=run, name=f"exec-{exec_id[:8]}", daemon=True)
        runner.start()
        runner.join(timeout)
        if runner.is_alive():
            return ExecResult(exit_code=None, output="")
        if failures:
            raise RuntimeFailure(_explain(failures[0])) from failures[0]
        try:
            code = self.api.exec_inspect(exec_id).get("ExitCode")
        except _ENGINE_ERRORS as e:
            raise RuntimeFailure(_explain(e)) from e
        text = b"".join(output).decode(errors="replace")
        return ExecResult(exit_code=int(code) if code is not None else None, output=text)

    def attach_exec(self, container_id: str, request: ExecRequest) -> ExecSession:
        try:
            created = self.api.exec_create(
                container_id,
                request.command,
                stdin=request.stdin,
                stdout=request.stdout,
                stderr=request.stderr,
                tty=request.tty,
            )
            exec_id = str(created["Id"])
            sock = self.api.exec_start(exec_id, socket=True, tty=request.tty)
        except _ENGINE_ERRORS as e:
            raise RuntimeFailure(_explain(e)) from e
        return _DockerExec(self.api, exec_id, sock, tty=request.tty)

    def remove(self, container_id: str) -> None:
        try:
            self.api.remove_container(container_id, force=True, v=True)
        except docker.errors.APIError as e:
            # 404: already gone; 409: a removal is already in progress.
            if e.status_code not in (404, 409):
                raise RuntimeFailure(_explain(e)) from e
        except _ENGINE_ERRORS as e:
            raise RuntimeFailure(_explain(e)) from e

    def logs(self, container_id: str, options: LogOptions) -> LogStream:
        try:
            stream: LogStream = self.api.logs(
                container_id,
                stdout=True,
                stderr=True,
                stream=True,
                follow=options.follow,
                timestamps=options.timestamps,
                tail="all" if options.tail_lines is None else options.tail_lines,
                since=None if options.since is None else options.since.timestamp(),
            )
        except _ENGINE_ERRORS as e:
            raise RuntimeFailure(_explain(e)) from e
        return stream


class _DockerExec:
    """An exec attached through the engine's hijacked connection: output arrives in the
    engine's multiplexed frames (raw with a TTY), stdin is written to the same socket and
    ended by shutting its write side, as ``docker exec -i`` does."""

    def __init__(self, api: docker.APIClient, exec_id: str, sock: Any, *, tty: bool) -> None:
        self.api = api
        self.exec_id = exec_id
        self.sock = sock
        # exec_start hands over a SocketIO around the connection's socket; writes and the
        # half-close need the socket itself.
        self.raw: socket.socket = getattr(sock, "_sock", sock)
        self.tty = tty

    def output(self) -> Iterator[tuple[int, bytes]]:
        try:
            for stream, data in docker.utils.socket.frames_iter(self.sock, self.tty):
                yield int(stream), bytes(data)
        except OSError:
            return

    def write(self, data: bytes) -> None:
        with contextlib.suppress(OSError):
            self.raw.sendall(data)

    def close_stdin(self) -> None:
        with contextlib.suppress(OSError):
            self.raw.shutdown(socket.SHUT_WR)

    def resize(self, width: int, height: int) -> None:
        with contextlib.suppress(*_ENGINE_ERRORS):
            self.api.exec_resize(self.exec_id, height=height, width=width)

    def exit_code(self) -> int:
        # The engine may report the exec as running for a moment after its output ended.
        deadline = time.monotonic() + _EXEC_EXIT_SECONDS
        while True:
            try:
                state = self.api.exec_inspect(self.exec_id)
            except _ENGINE_ERRORS as e:
                raise RuntimeFailure(_explain(e)) from e
            if not state.get("Running") or time.monotonic() > deadline:
                return int(state.get("ExitCode") or 0)
            time.sleep(0.05)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()
        with contextlib.suppress(OSError):
            self.raw.close()
