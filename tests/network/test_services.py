"""Services carry traffic to ready pods only, pods of two nodes reach each other, and what a
node's agent put on the host is reconciled on restart and removed with the node: real Docker,
real iptables, real routes.

Traffic goes only to 127.0.0.1 and to the pods and Services these tests create; every wait
is bounded.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import os
import socket
import subprocess
import time
from typing import Any

import pytest

from nodeagent import labels
from nodeagent.hostnet import blackhole_metric, bridge_name
from nodeagent.podnet import network_name
from nodeagent.proxy.iptables import Chains, Iptables
from tests.controlplane.cluster import eventually
from tests.network.conftest import IMAGE, Cluster, TwoNodes

pytestmark = [pytest.mark.docker, pytest.mark.e2e, pytest.mark.slow]

SERVE_HOSTNAME = "mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 8080 -h /www"
READY_FILE = "/www/ready"
# The bound: after a scale-down, only the remaining pods answer within this.
SCALE_DOWN_SECONDS = 2.0


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


def _gated_rc(name: str, replicas: int) -> dict[str, Any]:
    """``_rc`` whose pods are ready while ``READY_FILE`` exists (they create it on start)."""
    rc = _rc(name, replicas)
    [container] = rc["spec"]["template"]["spec"]["containers"]
    container["command"] = ["sh", "-c", f"mkdir -p /www && touch {READY_FILE} && {SERVE_HOSTNAME}"]
    container["readinessProbe"] = {
        "exec": {"command": ["test", "-f", READY_FILE]},
        "periodSeconds": 1,
        "failureThreshold": 1,
    }
    return rc


def _apply(cluster: Cluster, obj: dict[str, Any]) -> None:
    cluster.kubectl.ok("apply", "-f", "-", input=json.dumps(obj))


def _fetch(port: int, timeout: float = 2.0) -> str | None:
    """The body of GET / on 127.0.0.1:``port``, or None if nothing answers."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", "/")
        return connection.getresponse().read().decode().strip()
    except OSError:
        return None
    finally:
        connection.close()


def _answers(port: int, tries: int = 30, timeout: float = 2.0) -> set[str | None]:
    return {_fetch(port, timeout) for _ in range(tries)}


def _only_answer(port: int) -> str | None:
    """The one backend that answered ten requests in a row, or None (several, or none)."""
    answers = _answers(port, 10, timeout=0.5)
    return answers.pop() if len(answers) == 1 else None


def _running(cluster: Cluster, selector: str, count: int) -> list[dict[str, Any]]:
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

    scaled = time.monotonic()
    cluster.kubectl.ok("scale", "rc", "web", "--replicas", "1")
    # The pods being deleted leave the Endpoints as soon as they are terminating, well before
    # their containers stop: from then on only the survivor is reached.
    left = SCALE_DOWN_SECONDS - (time.monotonic() - scaled)
    answer = eventually(lambda: _only_answer(node_port), timeout=left, interval=0.05)
    assert time.monotonic() - scaled <= SCALE_DOWN_SECONDS
    [survivor] = _running(cluster, "app=web", 1)
    assert answer == survivor["metadata"]["name"]
    assert _answers(node_port) == {answer}

    cluster.kubectl.ok("delete", "service", "web")
    eventually(lambda: _fetch(node_port) is None, timeout=10, interval=0.2)
    with socket.socket() as probe:
        probe.settimeout(2)
        assert probe.connect_ex(("127.0.0.1", node_port)) != 0
    cluster.kubectl.ok("delete", "rc", "web", "--wait=false")
    cluster.kubectl.ok("delete", "pod", "client", "--wait=false", "--grace-period=1")


def _addresses(cluster: Cluster, service: str) -> tuple[set[str], set[str]]:
    """The ready and the not-ready addresses of ``service``'s Endpoints."""
    subsets = cluster.kubectl.json("endpoints", service).get("subsets") or []
    ready = {a["ip"] for s in subsets for a in s.get("addresses") or []}
    not_ready = {a["ip"] for s in subsets for a in s.get("notReadyAddresses") or []}
    return ready, not_ready


def test_a_pod_whose_readiness_probe_fails_gets_no_traffic(two_nodes: TwoNodes) -> None:
    cluster = two_nodes
    _apply(cluster, _gated_rc("gate", 3))
    cluster.kubectl.ok(
        "expose", "rc", "gate", "--port", "80", "--target-port", "8080", "--type", "NodePort"
    )
    _apply(cluster, _pod("gate-client", cluster.nodes[0], "exec sleep 600"))
    service = cluster.kubectl.json("service", "gate")
    node_port = service["spec"]["ports"][0]["nodePort"]
    url = f"http://{service['spec']['clusterIP']}:80/"
    pods = eventually(lambda: _running(cluster, "app=gate", 3), timeout=120, interval=0.5)
    ips = {p["metadata"]["name"]: p["status"]["podIP"] for p in pods}
    eventually(lambda: _addresses(cluster, "gate")[0] == set(ips.values()), timeout=30)
    eventually(lambda: _answers(node_port) == set(ips), timeout=30, interval=0.5)
    eventually(lambda: _running(cluster, "!app", 1), timeout=60, interval=0.5)

    failing = sorted(ips)[0]
    others = set(ips) - {failing}
    assert cluster.in_pod(failing, "rm", READY_FILE)[0] == 0
    eventually(lambda: _addresses(cluster, "gate") == (set(ips.values()) - {ips[failing]},
                                                       {ips[failing]}), timeout=30)  # fmt: skip
    # Once the proxy has caught up, not one request reaches it, by NodePort or ClusterIP.
    eventually(lambda: failing not in _answers(node_port, 10), timeout=10, interval=0.2)
    assert _answers(node_port, 40) == others
    seen = {cluster.in_pod("gate-client", "wget", "-qO-", url)[1].strip() for _ in range(20)}
    assert seen == others
    # Not ready is not dead: the pod runs on, and answers when asked directly.
    [pod] = [p for p in cluster.kubectl.json("pods", "-l", "app=gate")["items"]
             if p["metadata"]["name"] == failing]  # fmt: skip
    assert pod["status"]["phase"] == "Running"
    direct = f"http://{ips[failing]}:8080/"
    assert cluster.in_pod("gate-client", "wget", "-qO-", direct)[1].strip() == failing

    cluster.kubectl.ok("delete", "service", "gate")
    cluster.kubectl.ok("delete", "rc", "gate", "--wait=false")
    cluster.kubectl.ok("delete", "pod", "gate-client", "--wait=false", "--grace-period=1")


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


def _routes(**selectors: str) -> list[dict[str, Any]]:
    """``ip -j route show table all`` with ``selectors`` (such as ``type="blackhole"``)."""
    args = [word for pair in selectors.items() for word in pair]
    done = subprocess.run(
        ["ip", "-j", "route", "show", "table", "all", *args],
        capture_output=True,
        text=True,
        timeout=10,
        check=True,
    )
    routes: list[dict[str, Any]] = json.loads(done.stdout or "[]")
    return routes


def _blackholes(node: str) -> list[str]:
    metric = blackhole_metric(node)
    return sorted(r["dst"] for r in _routes(type="blackhole") if r.get("metric") == metric)


def _owned(cluster: Cluster, node: str) -> tuple[list[str], int, int, list[str]]:
    """Node ``node``'s nat and filter chains, jumps into them, networks of its name and
    blackhole routes."""
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
    return sorted(owned), jumps, networks, _blackholes(node)


def test_an_agent_restart_reconciles_without_duplicates(two_nodes: TwoNodes) -> None:
    cluster = two_nodes
    node_b = cluster.nodes[1]
    eventually(lambda: _owned(cluster, node_b)[2] == 1)
    before = _owned(cluster, node_b)
    assert before[1] == 4  # PREROUTING, OUTPUT, POSTROUTING and FORWARD
    assert len(before[3]) == 2  # the cluster and the service CIDR
    cluster.stop_agent_b()
    # The rules and routes go with the agent; the network stays while its pods use it.
    assert _owned(cluster, node_b)[:2] == ([], 0)
    assert _blackholes(node_b) == []
    cluster.start_agent_b()
    eventually(lambda: _owned(cluster, node_b) == before, timeout=60, interval=0.5)
    # A second start over a running agent's state (as after a crash): nothing doubles.
    cluster.stop_agent_b()
    cluster.start_agent_b()
    eventually(lambda: _owned(cluster, node_b) == before, timeout=60, interval=0.5)


def _phase(cluster: Cluster, pod: str) -> str | None:
    rc, out, _ = cluster.kubectl("get", "pod", pod, "-o", "jsonpath={.status.phase}")
    return out if rc == 0 else None


def _routes_into(cidr: str) -> list[dict[str, Any]]:
    """Host routes (every table) to addresses of ``cidr``, but the agents' blackholes."""
    network = ipaddress.ip_network(cidr)
    return [
        r
        for r in _routes()
        if r.get("dst") not in (None, "default")
        and r.get("type") != "blackhole"
        and ipaddress.ip_network(r["dst"], strict=False).overlaps(network)
    ]


def test_deleting_a_node_removes_its_network_rules_and_routes(two_nodes: TwoNodes) -> None:
    cluster = two_nodes
    node_c = f"net-c-{os.getpid()}"
    cluster.start_agent(node_c)
    cluster.wait_ready(node_c)
    _apply(cluster, _pod("server-c", node_c, SERVE_HOSTNAME))
    eventually(lambda: _phase(cluster, "server-c") == "Running", timeout=60, interval=0.5)
    pod_cidr = cluster.kubectl.json("node", node_c)["spec"]["podCIDR"]
    chains, jumps, networks, blackholes = _owned(cluster, node_c)
    assert (jumps, networks, len(blackholes)) == (4, 1, 2)
    # Its bridge's routes: to the subnet, and the local ones of its gateway address.
    assert {r["dev"] for r in _routes_into(pod_cidr)} == {bridge_name(node_c)}
    node_a = _owned(cluster, cluster.nodes[0])

    cluster.kubectl.ok("delete", "node", node_c)
    # Its pod is collected and its containers stop, which frees its network: the network,
    # rules and routes go, and so do the stopped containers (one may outlast the other).
    eventually(lambda: _owned(cluster, node_c) == ([], 0, 0, []), timeout=30, interval=0.5)
    assert _routes_into(pod_cidr) == []
    eventually(
        lambda: (
            not cluster.docker.containers.list(
                all=True, filters={"label": f"{labels.NODE}={node_c}"}
            )
        ),
        timeout=30,
        interval=0.5,
    )
    assert cluster.agents[node_c].poll() is None  # the agent lives on: it cleaned up, not died
    assert _owned(cluster, cluster.nodes[0]) == node_a
    log = cluster.logs[node_c][-1].read_text()
    assert f"node {node_c} was deleted: removing its proxy rules, pod network and routes" in log
    cluster.stop_agent(node_c)
