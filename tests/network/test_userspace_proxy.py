"""Where iptables cannot be used, the agent's userspace proxy serves NodePorts, and says so.

A cluster of its own whose one agent runs with ``NODEAGENT_PROXY_MODE=userspace`` (as it falls
back to where iptables is missing): no NodePort rule exists, so traffic to 127.0.0.1 reaches the
pods only through the agent's asyncio listener.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator

import pytest

from nodeagent.proxy.iptables import Chains, Iptables
from tests.controlplane.cluster import eventually
from tests.network.conftest import Cluster, running_cluster
from tests.network.test_services import _answers, _apply, _fetch, _rc, _running

pytestmark = [pytest.mark.docker, pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture(scope="module")
def userspace_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    root = tmp_path_factory.mktemp("userspace")
    node = f"net-u-{os.getpid()}"
    with running_cluster(root, node_a=node, NODEAGENT_PROXY_MODE="userspace") as cluster:
        cluster.wait_ready(node)
        yield cluster


def test_the_userspace_proxy_serves_a_node_port_and_says_so(userspace_cluster: Cluster) -> None:
    cluster = userspace_cluster
    _apply(cluster, _rc("plain", 2))
    cluster.kubectl.ok(
        "expose", "rc", "plain", "--port", "80", "--target-port", "8080", "--type", "NodePort"
    )
    node_port = cluster.kubectl.json("service", "plain")["spec"]["ports"][0]["nodePort"]
    pods = eventually(lambda: _running(cluster, "app=plain", 2), timeout=120, interval=0.5)
    names = {p["metadata"]["name"] for p in pods}
    eventually(lambda: _answers(node_port) == names, timeout=30, interval=0.5)

    # The agent wrote no nat rule: what answered was its listener.
    chains = Chains.for_node(cluster.node_a)
    assert Iptables().chains("nat", chains.prefix) == []
    log = cluster.runcluster_log.read_text()
    assert "proxy mode userspace: proxying NodePorts in userspace on 127.0.0.1" in log

    cluster.kubectl.ok("delete", "service", "plain")
    eventually(lambda: _fetch(node_port) is None, timeout=10, interval=0.2)
    with socket.socket() as probe:
        probe.settimeout(2)
        assert probe.connect_ex(("127.0.0.1", node_port)) != 0
    cluster.kubectl.ok("delete", "rc", "plain", "--wait=false")
