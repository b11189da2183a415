"""Services carry traffic, and pods of two nodes reach each other: real Docker, real iptables.

Traffic goes only to 127.0.0.1 and to the pods and Services these tests create; every wait
is bounded.
"""

from __future__ import annotations

import http.client
import json
import socket
import time
from typing import Any

import pytest

from nodeagent.podnet import network_name
from nodeagent.proxy.iptables import Chains, Iptables
from tests.controlplane.cluster import eventually
from tests.network.conftest import IMAGE, TwoNodes

pytestmark = [pytest.mark.docker, pytest.mark.e2e, pytest.mark.slow]

SERVE_HOSTNAME = "mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 8080 -h /www"


def _rc(name: str, replicas: int) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ReplicationController",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"app": name},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "terminationGracePeriodSeconds": 1,
                    "containers": [
                        {
                            "name": "httpd",
                            "image": IMAGE,
                            "command": ["sh", "-c", SERVE_HOSTNAME],
                            "ports": [{"containerPort": 8080}],
                        }
                    ],
                },
            },
        },
    }


def _pod(name: str, node: str, command: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {
            "nodeName": node,
            "terminationGracePeriodSeconds": 1,
            "containers": [{"name": "main", "image": IMAGE, "command": ["sh", "-c", command]}],
        },
    }


def _apply(cluster: TwoNodes, obj: dict[str, Any]) -> None:
    cluster.kubectl.ok("apply", "-f", "-", input=json.dumps(obj))


def _fetch(port: int) -> str | None:
    """The body of GET / on 127.0.0.1:``port``, or None if nothing answers."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        connection.request("GET", "/")
        return connection.getresponse().read().decode().strip()
    except OSError:
        return None
    finally:
        connection.close()


def _answers(port: int, tries: int = 30) -> set[str | None]:
    return {_fetch(port) for _ in range(tries)}


def _running(cluster: TwoNodes, selector: str, count: int) -> list[dict[str, Any]]:
    pods: list[dict[str, Any]] = cluster.kubectl.json("pods", "-l", selector)["items"]
    live = [p for p in pods if "deletionTimestamp" not in p["metadata"]]
    ready = [p for p in live if p["status"].get("phase") == "Running"]
    return ready if len(ready) == count == len(live) else []


def test_a_node_port_reaches_every_ready_pod_and_follows_the_service(two_nodes: TwoNodes) -> None:
    cluster = two_nodes
    _apply(cluster, _rc("web", 3))
    cluster.kubectl.ok(
        "expose", "rc", "web", "--port", "80", "--target-port", "8080", "--type", "NodePort"
    )
    service = cluster.kubectl.json("service", "web")
    node_port = service["spec"]["ports"][0]["nodePort"]
    pods = eventually(lambda: _running(cluster, "app=web", 3), timeout=120, interval=0.5)
    names = {p["metadata"]["name"] for p in pods}
    eventually(lambda: _answers(node_port) == names, timeout=60, interval=0.5)

    _apply(cluster, _pod("client", cluster.nodes[0], "exec sleep 600"))
    eventually(lambda: _running(cluster, "!app", 1), timeout=60, interval=0.5)
    url = f"http://{service['spec']['clusterIP']}:80/"
    seen = {cluster.in_pod("client", "wget", "-qO-", url)[1].strip() for _ in range(15)}
    assert seen <= names
    assert len(seen) >= 2

    cluster.kubectl.ok("scale", "rc", "web", "--replicas", "1")
    scaled = time.monotonic()
    [survivor] = eventually(lambda: _running(cluster, "app=web", 1), timeout=30, interval=0.1)
    only = {survivor["metadata"]["name"]}
    eventually(lambda: _answers(node_port, 10) == only, timeout=3, interval=0.1)
    assert time.monotonic() - scaled < 5

    cluster.kubectl.ok("delete", "service", "web")
    eventually(lambda: _fetch(node_port) is None, timeout=10, interval=0.2)
    with socket.socket() as probe:
        probe.settimeout(2)
        assert probe.connect_ex(("127.0.0.1", node_port)) != 0
    cluster.kubectl.ok("delete", "rc", "web", "--wait=false")
    cluster.kubectl.ok("delete", "pod", "client", "--wait=false", "--grace-period=1")


def test_pods_on_two_nodes_reach_each_other_by_pod_ip(two_nodes: TwoNodes) -> None:
    cluster = two_nodes
    node_a, node_b = cluster.nodes
    _apply(cluster, _pod("server-b", node_b, SERVE_HOSTNAME))
    _apply(cluster, _pod("client-a", node_a, "exec sleep 600"))

    def both() -> dict[str, str]:
        pods = cluster.kubectl.json("pods")["items"]
        ips = {
            p["metadata"]["name"]: p["status"].get("podIP")
            for p in pods
            if p["status"].get("phase") == "Running"
        }
        return ips if {"server-b", "client-a"} <= set(ips) else {}

    ips = eventually(both, timeout=90, interval=0.5)
    cidrs = {n: cluster.kubectl.json("node", n)["spec"]["podCIDR"] for n in cluster.nodes}
    assert ips["client-a"].rsplit(".", 1)[0] == cidrs[node_a].rsplit(".", 1)[0]
    assert ips["server-b"].rsplit(".", 1)[0] == cidrs[node_b].rsplit(".", 1)[0]
    code, body = cluster.in_pod("client-a", "wget", "-qO-", f"http://{ips['server-b']}:8080/")
    assert (code, body.strip()) == (0, "server-b")
    cluster.kubectl.ok("delete", "pod", "server-b", "client-a", "--wait=false", "--grace-period=1")


def _owned(cluster: TwoNodes, node: str) -> tuple[list[str], int, int]:
    """Node ``node``'s nat and filter chains, jumps into them, and networks of its name."""
    chains = Chains.for_node(node)
    iptables = Iptables()
    owned = iptables.chains("nat", chains.prefix) + iptables.chains("filter", chains.prefix)
    jumps = sum(
        line.count(f"-j {chains.prefix}")
        for table in ("nat", "filter")
        for line in iptables._run(["iptables", "-w", "-t", table, "-S"]).splitlines()
        if not line.startswith(f"-A {chains.prefix}")
    )
    networks = len(cluster.docker.networks.list(names=[network_name(node)]))
    return sorted(owned), jumps, networks


def test_an_agent_restart_reconciles_without_duplicates(two_nodes: TwoNodes) -> None:
    cluster = two_nodes
    node_b = cluster.nodes[1]
    eventually(lambda: _owned(cluster, node_b)[2] == 1)
    before = _owned(cluster, node_b)
    assert before[1] == 4  # PREROUTING, OUTPUT, POSTROUTING and FORWARD
    cluster.stop_agent_b()
    # The rules go with the agent; the network stays while the node's pods still use it.
    assert _owned(cluster, node_b)[:2] == ([], 0)
    cluster.start_agent_b()
    eventually(lambda: _owned(cluster, node_b) == before, timeout=60, interval=0.5)
