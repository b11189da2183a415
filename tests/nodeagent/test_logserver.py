"""The agent's log server on the simulated runtime, reached as the API server reaches it
(``cluster.api.kubeletclient``: pinned certificate, the API server's token) over loopback."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from cluster.api.kubeletclient import KubeletEndpoint, KubeletUnreachable, get
from nodeagent import labels
from nodeagent.logserver import LogServer
from nodeagent.runtime.base import ContainerConfig
from nodeagent.runtime.simulated import SimulatedRuntime
from nodeagent.servingcert import ensure_serving_cert

NODE = "sim-node"
TOKEN = "the-api-servers-token"


@pytest.fixture
def runtime() -> SimulatedRuntime:
    return SimulatedRuntime()


@pytest.fixture
def server(runtime: SimulatedRuntime, tmp_path: Path) -> Iterator[LogServer]:
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    cert = ensure_serving_cert(tmp_path / "pki", node_name=NODE, address="127.0.0.1")
    server = LogServer(runtime, NODE, address="127.0.0.1", port=0, cert=cert, token_file=token_file)
    thread = threading.Thread(target=server.serve, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        thread.join(10)


def _container(runtime: SimulatedRuntime, *, node: str = NODE) -> str:
    config = ContainerConfig(
        name="k8s_app_p",
        image="busybox",
        labels={
            labels.NODE: node,
            labels.POD_NAMESPACE: "ns",
            labels.POD_NAME: "p",
            labels.CONTAINER_NAME: "app",
            labels.CONTAINER_KIND: labels.APP,
        },
    )
    container_id = runtime.create(config)
    runtime.start(container_id)
    return container_id


def _get(
    server: LogServer, target: str, *, token: str = TOKEN, fingerprint: str | None = None
) -> tuple[int, bytes]:
    endpoint = KubeletEndpoint("127.0.0.1", server.port, fingerprint or server.cert.fingerprint)

    async def fetch() -> tuple[int, bytes]:
        response = await get(endpoint, target, token=token)
        return response.status, await response.body()

    return asyncio.run(asyncio.wait_for(fetch(), 20))


def test_it_serves_a_containers_output_to_the_api_server(
    server: LogServer, runtime: SimulatedRuntime
) -> None:
    container_id = _container(runtime)

    status, body = _get(server, f"/containerLogs/ns/p/app?containerID=docker://{container_id}")

    assert (status, body) == (200, b"simulated container k8s_app_p started\n")


def test_tail_timestamps_and_limit_bytes_shape_the_output(
    server: LogServer, runtime: SimulatedRuntime
) -> None:
    container_id = _container(runtime)
    runtime.signal(container_id, 15)
    base = f"/containerLogs/ns/p/app?containerID=docker://{container_id}"

    _, tail = _get(server, base + "&tailLines=1")
    _, stamped = _get(server, base + "&timestamps=true&tailLines=1")
    _, limited = _get(server, base + "&limitBytes=9")

    assert tail == b"simulated container k8s_app_p stopped by signal 15\n"
    assert stamped.endswith(b"Z simulated container k8s_app_p stopped by signal 15\n")
    assert limited == b"simulated"


@pytest.mark.parametrize("token", ["wrong", TOKEN + "x"])
def test_any_other_token_is_refused(
    server: LogServer, runtime: SimulatedRuntime, token: str
) -> None:
    container_id = _container(runtime)

    status, body = _get(
        server, f"/containerLogs/ns/p/app?containerID=docker://{container_id}", token=token
    )

    assert status == 401
    assert orjson.loads(body)["reason"] == "Unauthorized"


def test_a_container_of_another_node_or_pod_is_not_served(
    server: LogServer, runtime: SimulatedRuntime
) -> None:
    elsewhere = _container(runtime, node="other-node")

    status, body = _get(server, f"/containerLogs/ns/p/app?containerID=docker://{elsewhere}")
    wrong_pod, _ = _get(server, f"/containerLogs/ns/q/app?containerID=docker://{elsewhere}")

    assert status == 404
    assert orjson.loads(body)["message"] == 'container "app" in pod "p" is not available'
    assert wrong_pod == 404


def test_an_unknown_path_is_a_404_status(server: LogServer) -> None:
    status, body = _get(server, "/pods")

    assert status == 404
    assert orjson.loads(body)["kind"] == "Status"


def test_the_api_server_refuses_an_agent_whose_certificate_is_not_the_published_one(
    server: LogServer, runtime: SimulatedRuntime
) -> None:
    container_id = _container(runtime)

    with pytest.raises(KubeletUnreachable, match="not the one its Node published"):
        _get(
            server,
            f"/containerLogs/ns/p/app?containerID=docker://{container_id}",
            fingerprint="0" * 64,
        )


def test_the_certificate_is_kept_across_starts(tmp_path: Path) -> None:
    first = ensure_serving_cert(tmp_path, node_name=NODE, address="127.0.0.1")
    second = ensure_serving_cert(tmp_path, node_name=NODE, address="127.0.0.1")

    assert first == second
    assert oct(first.key_file.stat().st_mode & 0o777) == "0o600"
