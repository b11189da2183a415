"""Benchmark of the iptables proxy: requests per second through a NodePort against straight to
the pod IP, in the same run, so that the ratio is the proxy's cost alone.

Run it with ``make bench-proxy`` (or ``.venv/bin/python bench/proxy.py``). It starts
``manage.py runcluster`` on an SQLite data dir of its own (as ``make up``: API, worker, beat
and a node agent on the Docker engine, root needed for iptables), creates one busybox
``httpd`` pod behind a NodePort Service, then for ``--seconds`` each drives GET requests from
``--clients`` processes (one connection per request, as busybox httpd closes them) at the
pod's IP and at 127.0.0.1:<nodePort>. Traffic stays on this machine. Everything it created is
removed at the end: the cluster stops, its agent removes its rules, the pod's containers and
network are removed by label and name. Last line: ``RESULT direct_rps=.. nodeport_rps=..
ratio=..``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
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


def _client(host: str, port: int, seconds: float, results: Any) -> None:
    count = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        connection = http.client.HTTPConnection(host, port, timeout=5)
        try:
            connection.request("GET", "/")
            connection.getresponse().read()
            count += 1
        except OSError:
            pass
        finally:
            connection.close()
    results.put(count)


def requests_per_second(host: str, port: int, *, clients: int, seconds: float) -> float:
    results: Any = multiprocessing.Queue()
    workers = [
        multiprocessing.Process(target=_client, args=(host, port, seconds, results))
        for _ in range(clients)
    ]
    for worker in workers:
        worker.start()
    total = sum(int(results.get(timeout=seconds + 60)) for _ in workers)
    for worker in workers:
        worker.join(timeout=10)
    return total / seconds


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


def run(data: Path, *, clients: int, seconds: float) -> tuple[float, float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLUSTER_")}
    env.pop("DATABASE_URL", None)
    env.update(CLUSTER_DATA_DIR=str(data), CLUSTER_API_BIND=f"127.0.0.1:{_free_port()}",
               NODEAGENT_KUBELET_PORT="0", DJANGO_SETTINGS_MODULE="cluster.settings")  # fmt: skip
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
        node_port = int(service["spec"]["ports"][0]["nodePort"])
        _eventually(lambda: requests_per_second("127.0.0.1", node_port, clients=1, seconds=0.2),
                    "the NodePort to answer")  # fmt: skip
        direct = requests_per_second(pod["status"]["podIP"], 8080, clients=clients,
                                     seconds=seconds)  # fmt: skip
        nodeport = requests_per_second("127.0.0.1", node_port, clients=clients, seconds=seconds)
        return direct, nodeport
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-proxy-") as tmp:
        direct, nodeport = run(Path(tmp) / "data", clients=args.clients, seconds=args.seconds)
    print(f"direct to the pod IP: {direct:.0f} requests/s")
    print(f"through the NodePort: {nodeport:.0f} requests/s")
    print(
        f"RESULT direct_rps={direct:.0f} nodeport_rps={nodeport:.0f} ratio={nodeport / direct:.2f}"
    )


if __name__ == "__main__":
    main()
