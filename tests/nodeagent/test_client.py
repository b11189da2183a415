"""The agent's API client against a real API server: requests, errors, watches, retries."""

from __future__ import annotations

import contextlib
import socket
import ssl
import struct
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from nodeagent.client import ApiClient, RetryPolicy
from nodeagent.errors import AlreadyExists, Conflict, NotFound, Unreachable
from nodeagent.kubeconfig import Credentials
from nodeagent.servingcert import ServingCert, ensure_serving_cert
from tests.serving import free_port


def lease(name: str, holder: str = "a") -> dict[str, Any]:
    return {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {"name": name},
        "spec": {"holderIdentity": holder},
    }


def leases(namespace: str) -> str:
    return f"/apis/coordination.k8s.io/v1/namespaces/{namespace}/leases"


def test_it_reads_the_api_over_https_with_the_kubeconfig(client: ApiClient) -> None:
    namespace = client.get("/api/v1/namespaces/default")
    assert namespace["metadata"]["name"] == "default"


def test_api_errors_become_exceptions(client: ApiClient, namespace: str) -> None:
    path = leases(namespace)
    with pytest.raises(NotFound):
        client.get(f"{path}/missing")
    created = client.create(path, lease("one"))
    with pytest.raises(AlreadyExists):
        client.create(path, lease("one"))
    client.replace(f"{path}/one", lease("one", "b") | {"metadata": created["metadata"]})
    with pytest.raises(Conflict):
        client.replace(f"{path}/one", lease("one", "c") | {"metadata": created["metadata"]})


def test_merge_patch_and_delete(client: ApiClient, namespace: str) -> None:
    path = leases(namespace)
    client.create(path, lease("one"))
    patched = client.merge_patch(f"{path}/one", {"spec": {"holderIdentity": "b"}})
    assert patched["spec"] == {"holderIdentity": "b"}
    client.delete(f"{path}/one", {"gracePeriodSeconds": 0})
    with pytest.raises(NotFound):
        client.get(f"{path}/one")


def test_a_watch_streams_changes_after_the_listed_version(
    client: ApiClient, namespace: str
) -> None:
    path = leases(namespace)
    version = client.get(path)["metadata"]["resourceVersion"]
    client.create(path, lease("seen"))
    query = {"resourceVersion": version, "allowWatchBookmarks": "true"}
    with client.watch(path, query, timeout_seconds=5) as events:
        first = next(iter(events))
    assert (first["type"], first["object"]["metadata"]["name"]) == ("ADDED", "seen")


def test_a_watch_ends_when_its_timeout_passes(client: ApiClient, namespace: str) -> None:
    path = leases(namespace)
    version = client.get(path)["metadata"]["resourceVersion"]
    started = time.monotonic()
    with client.watch(path, {"resourceVersion": version}, timeout_seconds=1) as events:
        assert [e for e in events if e["type"] != "BOOKMARK"] == []
    assert time.monotonic() - started < 5


def test_retry_delays_double_up_to_the_cap() -> None:
    policy = RetryPolicy(attempts=6, initial_delay=1, max_delay=5)
    assert list(policy.delays()) == [1, 2, 4, 5, 5]


def test_an_unreachable_api_is_retried_then_reported() -> None:
    credentials = Credentials(f"https://127.0.0.1:{free_port()}", None, "t")
    client = ApiClient(credentials, retry=RetryPolicy(attempts=3, initial_delay=0.1))
    started = time.monotonic()
    with pytest.raises(Unreachable):
        client.get("/api/v1/nodes")
    # Two waits between three attempts: 0.1 s and 0.2 s.
    assert 0.3 <= time.monotonic() - started < 5


def test_stopping_ends_the_retries_at_once() -> None:
    stop = threading.Event()
    stop.set()
    credentials = Credentials(f"https://127.0.0.1:{free_port()}", None, "t")
    client = ApiClient(credentials, retry=RetryPolicy(attempts=10, initial_delay=5), stop=stop)
    started = time.monotonic()
    with pytest.raises(Unreachable):
        client.get("/api/v1/nodes")
    assert time.monotonic() - started < 2


def test_only_https_servers_are_accepted() -> None:
    with pytest.raises(ValueError, match="https://"):
        ApiClient(Credentials("http://127.0.0.1:1", None, None))


def test_an_aborted_watch_ends_at_once(client: ApiClient, namespace: str) -> None:
    path = leases(namespace)
    version = client.get(path)["metadata"]["resourceVersion"]
    started = time.monotonic()
    with client.watch(path, {"resourceVersion": version}, timeout_seconds=60) as stream:
        threading.Timer(0.5, stream.abort).start()
        assert list(stream) == []
    assert time.monotonic() - started < 5


# -- keep-alive connections the server closes --


class KeepAliveHandler(BaseHTTPRequestHandler):
    """Answers every request with ``{}`` on a keep-alive connection, as the API does, unless
    its server says to drop requests: then it closes the connection without a word."""

    protocol_version = "HTTP/1.1"
    server: KeepAliveServer

    def setup(self) -> None:
        # An idle connection is closed after this long, as uvicorn closes its after 5 s.
        self.request.settimeout(self.server.idle_timeout)
        self.served = 0
        with self.server.lock:
            self.server.connections += 1
        super().setup()

    def do_GET(self) -> None:
        with self.server.lock:
            self.server.requests += 1
        self.served += 1
        if self.server.drop_all or (self.server.drop_reused and self.served > 1):
            self.close_connection = True
            return
        if self.path == "/together":
            self.server.together.wait(timeout=5)
        body = b"{}"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class KeepAliveServer(ThreadingHTTPServer):
    def __init__(self, cert: ServingCert, *, idle_timeout: float, parallel: int = 1) -> None:
        super().__init__(("127.0.0.1", 0), KeepAliveHandler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert.cert_file, cert.key_file)
        self.socket = context.wrap_socket(self.socket, server_side=True)
        self.idle_timeout = idle_timeout
        self.together = threading.Barrier(parallel)
        self.drop_reused = False
        self.drop_all = False
        # Close idle connections with a TCP reset (as a killed server's kernel does), not a FIN.
        self.reset = False
        self.lock = threading.Lock()
        self.connections = 0
        self.requests = 0

    def shutdown_request(self, request: Any) -> None:
        if self.reset:
            request.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            request.close()
        else:
            super().shutdown_request(request)


@contextlib.contextmanager
def keep_alive_server(
    tmp_path: Path, *, idle_timeout: float = 10.0, parallel: int = 1, reset: bool = False
) -> Iterator[tuple[KeepAliveServer, Credentials]]:
    cert = ensure_serving_cert(tmp_path, node_name="api", address="127.0.0.1")
    server = KeepAliveServer(cert, idle_timeout=idle_timeout, parallel=parallel)
    server.reset = reset
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    port = server.server_address[1]
    try:
        yield server, Credentials(f"https://127.0.0.1:{port}", cert.cert_file.read_bytes(), None)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.mark.parametrize("reset", [False, True], ids=["closed", "reset"])
def test_keep_alive_connections_the_server_closed_while_idle_do_not_make_the_api_unreachable(
    tmp_path: Path, reset: bool
) -> None:
    with keep_alive_server(tmp_path, idle_timeout=0.2, parallel=3, reset=reset) as (
        server,
        credentials,
    ):
        # Fewer attempts than pooled connections: each stale one would use an attempt up.
        client = ApiClient(credentials, retry=RetryPolicy(attempts=2, initial_delay=0.05))
        with ThreadPoolExecutor(max_workers=3) as pool:
            assert list(pool.map(lambda _: client.get("/together"), range(3))) == [{}] * 3
        assert server.connections == 3
        time.sleep(0.6)  # the server closes all three
        assert [client.get("/again") for _ in range(3)] == [{}] * 3


def test_a_request_the_server_drops_on_a_reused_connection_is_sent_again_on_a_new_one(
    tmp_path: Path,
) -> None:
    with keep_alive_server(tmp_path) as (server, credentials):
        server.drop_reused = True
        client = ApiClient(credentials, retry=RetryPolicy(attempts=1))
        assert client.get("/first") == {}
        assert client.get("/second") == {}
        # The second request twice: dropped on the first connection, answered on a new one.
        assert (server.requests, server.connections) == (3, 2)


def test_a_request_dropped_on_a_new_connection_is_not_sent_again_beyond_its_attempts(
    tmp_path: Path,
) -> None:
    with keep_alive_server(tmp_path) as (server, credentials):
        server.drop_all = True
        client = ApiClient(credentials, retry=RetryPolicy(attempts=2, initial_delay=0.05))
        with pytest.raises(Unreachable, match="Remote end closed connection"):
            client.get("/dropped")
        assert (server.requests, server.connections) == (2, 2)
