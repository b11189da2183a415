"""Benchmark of the iptables proxy: requests per second through a NodePort against straight to
the pod IP, in the same run, so that the ratio is the proxy's cost alone.

Run it with ``make bench-proxy`` (or ``.venv/bin/python bench/proxy.py``). It starts
``manage.py runcluster`` on an SQLite data dir of its own (as ``make up``: API, worker, beat
and a node agent on the Docker engine, root needed for iptables), in cluster and service CIDRs
of its own, and creates one busybox ``httpd`` pod behind a NodePort Service. Traffic stays on
this machine. Everything it created is removed at the end: the cluster stops, its agent
removes its rules, the pod's containers and network are removed by label and name.

The measurement, made to hold on a shared, noisy machine:

- Both paths do the same work per request: a new TCP connection, one ``GET /`` of the same
  file from the same pod, read to the end (busybox httpd closes every connection). Only the
  destination differs: the pod's IP and port, or 127.0.0.1:<nodePort>, which the agent's nat
  rules DNAT to that pod.
- ``--clients`` processes keep that many requests in flight, each a plain blocking socket
  loop (no HTTP library), so the load generator costs far less per request than the forking
  server; the CPU it used is printed beside the figures.
- Short rounds alternate the two paths (direct then NodePort, then the other way round), so
  a change in the machine's load hits both alike; each path's figure is the median of its
  rounds, and the ratio is the median of the rounds' ratios (each round pairs two
  measurements taken back to back).

Last line: ``RESULT direct_rps=.. nodeport_rps=.. ratio=..``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker

REPO_ROOT = Path(__file__).resolve().parent.parent
IMAGE = "pilothouse/busybox:test"
NODE = f"bench-proxy-{os.getpid()}"
WAIT_SECONDS = 120.0
SERVE = "mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 8080 -h /www"


def _eventually(check: Callable[[], Any], what: str) -> Any:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.5)
    raise SystemExit(f"timed out waiting for {what}")


def _kubectl(kubeconfig: Path, *args: str, stdin: str | None = None) -> str:
    done = subprocess.run(
        ["kubectl", "--kubeconfig", str(kubeconfig), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return done.stdout if done.returncode == 0 else ""


REQUEST = b"GET / HTTP/1.0\r\nHost: bench\r\n\r\n"
REQUEST_TIMEOUT = 5.0
# Bounds every client loop whatever the machine's speed.
MAX_REQUESTS_PER_ROUND = 1_000_000
# The bench's own CIDRs: other clusters on the machine (make up, test runs) use the defaults.
CLUSTER_CIDR = "10.148.0.0/16"
SERVICE_CIDR = "10.149.0.0/16"

Address = tuple[str, int]


# SO_LINGER on, zero seconds: closing resets the connection.
_RESET_ON_CLOSE = struct.pack("ii", 1, 0)


def _request(address: Address) -> bool:
    """One GET on a new connection, read to the end; True if the answer was a 200.

    The server closes first, so each connection would leave a TIME_WAIT socket in the pod for
    a minute. Thousands a second soon reuse a client port whose old connection is still
    waiting there, and every such SYN stalls: the rates of both paths collapsed a few seconds
    into each run. Closing with a reset (once the whole answer is read) leaves nothing behind.
    """
    with socket.create_connection(address, timeout=REQUEST_TIMEOUT) as connection:
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _RESET_ON_CLOSE)
        connection.sendall(REQUEST)
        first = connection.recv(65536)
        while connection.recv(65536):
            pass
    return first.startswith((b"HTTP/1.0 200", b"HTTP/1.1 200"))


@dataclass(frozen=True)
class Tally:
    ok: int
    failed: int
    cpu_seconds: float


def _round(address: Address, seconds: float) -> Tally:
    ok = failed = 0
    before = os.times()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and ok + failed < MAX_REQUESTS_PER_ROUND:
        try:
            if _request(address):
                ok += 1
            else:
                failed += 1
        except OSError:
            failed += 1
    after = os.times()
    cpu = after.user + after.system - before.user - before.system
    return Tally(ok, failed, cpu)


def _client(commands: Any, results: Any) -> None:
    """A client process: one round per command, until None."""
    while (command := commands.get()) is not None:
        address, seconds = command
        results.put(_round(address, seconds))


@dataclass(frozen=True)
class Round:
    rps: float
    failed: int
    client_cpu: float  # share of one core, summed over the clients


class Load:
    """``clients`` processes that run rounds together against one address at a time."""

    def __init__(self, clients: int) -> None:
        self.commands: list[Any] = [multiprocessing.Queue() for _ in range(clients)]
        self.results: Any = multiprocessing.Queue()
        self.processes = [
            multiprocessing.Process(target=_client, args=(q, self.results), daemon=True)
            for q in self.commands
        ]
        for process in self.processes:
            process.start()

    def round(self, address: Address, seconds: float) -> Round:
        for commands in self.commands:
            commands.put((address, seconds))
        tallies = [self.results.get(timeout=seconds + 60) for _ in self.commands]
        return Round(
            rps=sum(t.ok for t in tallies) / seconds,
            failed=sum(t.failed for t in tallies),
            client_cpu=sum(t.cpu_seconds for t in tallies) / seconds,
        )

    def close(self) -> None:
        for commands in self.commands:
            commands.put(None)
        for process in self.processes:
            process.join(timeout=10)


@dataclass(frozen=True)
class Figures:
    direct: list[Round]
    nodeport: list[Round]

    @property
    def direct_rps(self) -> float:
        return statistics.median(r.rps for r in self.direct)

    @property
    def nodeport_rps(self) -> float:
        return statistics.median(r.rps for r in self.nodeport)

    @property
    def ratio(self) -> float:
        pairs = zip(self.direct, self.nodeport, strict=True)
        return statistics.median(n.rps / d.rps for d, n in pairs if d.rps)


def measure(
    direct: Address, nodeport: Address, *, clients: int, rounds: int, seconds: float
) -> Figures:
    """``rounds`` rounds of ``seconds`` on each path, in alternating order, after a warm-up."""
    load = Load(clients)
    try:
        for address in (direct, nodeport):
            load.round(address, min(seconds, 0.5))
        figures = Figures([], [])
        for number in range(rounds):
            order = [(direct, figures.direct), (nodeport, figures.nodeport)]
            for address, into in order if number % 2 == 0 else reversed(order):
                into.append(load.round(address, seconds))
        return figures
    finally:
        load.close()


def _pod(kubeconfig: Path) -> dict[str, Any]:
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "web", "labels": {"app": "web"}},
        "spec": {
            "nodeName": NODE,
            "terminationGracePeriodSeconds": 1,
            "containers": [{"name": "httpd", "image": IMAGE, "command": ["sh", "-c", SERVE]}],
        },
    }
    # The first writes may come before the API has its default namespace: retried.
    _eventually(lambda: _kubectl(kubeconfig, "apply", "-f", "-", stdin=json.dumps(pod)), "a pod")
    _eventually(lambda: _kubectl(kubeconfig, "expose", "pod", "web", "--port", "80",
                                 "--target-port", "8080", "--type", "NodePort"),
                "a Service")  # fmt: skip

    def running() -> dict[str, Any] | None:
        out = _kubectl(kubeconfig, "get", "pod", "web", "-o", "json")
        found: dict[str, Any] | None = json.loads(out) if out else None
        return found if found and found["status"].get("podIP") else None

    return dict(_eventually(running, "the pod to run"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _answers(address: Address) -> bool:
    try:
        return _request(address)
    except OSError:
        return False


def run(data: Path, *, clients: int, rounds: int, seconds: float) -> Figures:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLUSTER_", "NODEAGENT_"))}
    env.pop("DATABASE_URL", None)
    env.pop("CELERY_BROKER_URL", None)
    env.update(CLUSTER_DATA_DIR=str(data), CLUSTER_API_BIND=f"127.0.0.1:{_free_port()}",
               NODEAGENT_KUBELET_PORT="0", DJANGO_SETTINGS_MODULE="cluster.settings",
               CLUSTER_CIDR=CLUSTER_CIDR, NODEAGENT_CLUSTER_CIDR=CLUSTER_CIDR,
               CLUSTER_SERVICE_CIDR=SERVICE_CIDR, NODEAGENT_SERVICE_CIDR=SERVICE_CIDR)  # fmt: skip
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput"], cwd=REPO_ROOT, env=env, check=True,
                   capture_output=True, timeout=300)  # fmt: skip
    with (data.parent / "runcluster.log").open("w") as log:
        cluster = subprocess.Popen([*manage, "runcluster", "--node-name", NODE], cwd=REPO_ROOT,
                                   env=env, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)  # fmt: skip
    try:
        kubeconfig = data / "kubeconfig"
        _eventually(kubeconfig.exists, "the API")
        pod = _pod(kubeconfig)
        service = json.loads(_kubectl(kubeconfig, "get", "service", "web", "-o", "json"))
        nodeport = ("127.0.0.1", int(service["spec"]["ports"][0]["nodePort"]))
        direct = (str(pod["status"]["podIP"]), 8080)
        _eventually(lambda: _answers(nodeport), "the NodePort to answer")
        return measure(direct, nodeport, clients=clients, rounds=rounds, seconds=seconds)
    finally:
        os.killpg(cluster.pid, signal.SIGTERM)
        cluster.wait(timeout=60)
        _remove_node(NODE)


def _remove_node(node: str) -> None:
    client = docker.from_env(timeout=60)
    for container in client.containers.list(
        all=True, filters={"label": f"io.pilothouse.node={node}"}
    ):
        container.remove(force=True)
    for network in client.networks.list(names=[f"pilothouse-{node}"]):
        network.remove()
    client.close()


def _describe(name: str, rounds: list[Round]) -> str:
    rps = ", ".join(f"{r.rps:.0f}" for r in rounds)
    cpu = statistics.median(r.client_cpu for r in rounds)
    failed = sum(r.failed for r in rounds)
    return (
        f"{name}: median {statistics.median(r.rps for r in rounds):.0f} requests/s "
        f"(rounds: {rps}); failed {failed}; load generator {cpu:.2f} cores"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=4, help="requests in flight")
    parser.add_argument("--rounds", type=int, default=10, help="rounds on each path")
    parser.add_argument("--seconds", type=float, default=1.0, help="length of one round")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-proxy-") as tmp:
        figures = run(
            Path(tmp) / "data", clients=args.clients, rounds=args.rounds, seconds=args.seconds
        )
    print(_describe("direct to the pod IP", figures.direct))
    print(_describe("through the NodePort", figures.nodeport))
    print(
        f"RESULT direct_rps={figures.direct_rps:.0f} nodeport_rps={figures.nodeport_rps:.0f} "
        f"ratio={figures.ratio:.2f}"
    )


if __name__ == "__main__":
    main()
