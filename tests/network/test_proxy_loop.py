"""The proxy's loop and the agent's view of its own Node, without Docker or iptables: the
proxier syncs as soon as both lists are in, the userspace proxy relays on loopback, and a
deleted Node is told apart from one not registered yet."""

from __future__ import annotations

import logging
import socket
import socketserver
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from nodeagent.networking import OwnNode
from nodeagent.proxy.model import Endpoint, ServicePort
from nodeagent.proxy.proxier import ObjectCache, Proxier
from nodeagent.proxy.userspace import UserspaceProxy
from tests.serving import free_port

SERVICE = {
    "metadata": {"namespace": "ns", "name": "web"},
    "spec": {"clusterIP": "10.96.0.10", "ports": [{"port": 80, "protocol": "TCP"}]},
}
ENDPOINTS = {
    "metadata": {"namespace": "ns", "name": "web"},
    "subsets": [{"addresses": [{"ip": "10.244.0.2"}], "ports": [{"port": 8080}]}],
}


class RecordingBackend:
    def __init__(self) -> None:
        self.synced: list[list[ServicePort]] = []
        self.first_sync = threading.Event()
        self.cleaned_up = False

    def sync(self, ports: list[ServicePort]) -> None:
        self.synced.append(ports)
        self.first_sync.set()

    def cleanup(self) -> None:
        self.cleaned_up = True


def test_a_proxier_started_after_both_lists_syncs_at_once() -> None:
    services, endpoints = ObjectCache(), ObjectCache()
    services.listed([SERVICE])
    endpoints.listed([ENDPOINTS])
    backend, stop = RecordingBackend(), threading.Event()
    proxier = Proxier(backend, services=services, endpoints=endpoints, stop=stop, resync_period=600)
    thread = threading.Thread(target=proxier.run)
    thread.start()
    try:
        assert backend.first_sync.wait(10)
    finally:
        stop.set()
        proxier.request_sync()
        thread.join(10)
    [port] = backend.synced[0]
    assert port.endpoints == (Endpoint("10.244.0.2", 8080),)
    assert backend.cleaned_up


class _Hostname(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        self.request.sendall(b"backend says " + self.request.recv(64))


@pytest.fixture
def backend_port() -> Iterator[int]:
    with socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Hostname) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield int(server.server_address[1])
        finally:
            server.shutdown()
            thread.join(10)


def _node_port(node_port: int, *endpoints: Endpoint) -> ServicePort:
    return ServicePort(
        namespace="ns",
        name="web",
        port_name="",
        protocol="TCP",
        cluster_ip="10.96.0.10",
        port=80,
        node_port=node_port,
        affinity_seconds=None,
        endpoints=endpoints,
    )


def _ask(port: int) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
        connection.sendall(b"hello")
        connection.shutdown(socket.SHUT_WR)
        return connection.recv(64)


def test_the_userspace_proxy_relays_a_node_port_and_says_why_it_runs(
    backend_port: int, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="nodeagent.proxy.userspace")
    # The node's address is loopback here too: one listener, not a clash with itself.
    proxy = UserspaceProxy(["127.0.0.1", "127.0.0.1"], reason="iptables unavailable")
    node_port = free_port()
    try:
        proxy.sync([_node_port(node_port, Endpoint("127.0.0.1", backend_port))])
        assert _ask(node_port) == b"backend says hello"
        proxy.sync([_node_port(node_port)])  # no ready endpoint left: the port closes
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", node_port)) != 0
    finally:
        proxy.cleanup()
    assert (
        "iptables unavailable: proxying NodePorts in userspace on 127.0.0.1 (ClusterIPs not served)"
    ) in caplog.messages


NODE: dict[str, Any] = {"metadata": {"name": "n1", "uid": "u1"}}


def test_a_node_not_registered_yet_is_not_a_deleted_one() -> None:
    own = OwnNode()
    own.listed([])
    assert not own.deleted.is_set()
    own.changed(NODE)
    own.listed([NODE])
    assert not own.deleted.is_set()


@pytest.mark.parametrize("how", ["watch", "relist"])
def test_a_node_seen_and_then_gone_is_deleted(how: str) -> None:
    own = OwnNode()
    own.listed([NODE])
    if how == "watch":
        own.removed(NODE)
    else:
        own.listed([])
    assert own.deleted.is_set()
