"""Benchmark of pod startup through the node agent: from create to Running, seen by a watch.

Run it with ``make bench-startup`` (or ``DATABASE_URL=postgresql://... .venv/bin/python
bench/startup.py``; ``--quick`` for a short smoke run). It starts ``runapi`` over HTTPS on a
scratch database beside the one ``DATABASE_URL`` names (dropped at the end) and, in two phases:

- docker: one agent (``python -m nodeagent``, its own process) on the Docker engine, with an
  infra image built here from the local ``pilothouse/busybox:test`` (nothing is pulled). Pods
  of one busybox container are created at a steady rate with ``spec.nodeName`` already set (no
  scheduler in the loop); each pod's latency runs from just before its POST to the moment the
  watch delivers it Running. Kubelet's SLO counts the same span (5 s at p99; the target here
  is 2 s);
- simulated: one agent process hosting 100 simulated nodes (``--runtime simulated --nodes``),
  and 5,000 pods created as fast as a few client threads can, spread over the nodes: pods
  per second from the first create to the last pod seen Running. Node registration, leases,
  pod watches, status writes and events are all real API traffic.

Every container the docker phase started carries its node's label and is removed at the end,
whatever happens. It ends with ``RESULT docker_p50_ms=.. docker_p99_ms=..
simulated_pods_per_s=..``. Every loop is bounded in count and time.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import docker.errors

# ``python bench/startup.py`` puts bench/ on the path, not the repository root.
REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from bench.common import (  # noqa: E402
    admin_database_url,
    machine_load,
    percentile,
    say,
    scratch_database,
    verdict,
)
from nodeagent import labels  # noqa: E402
from nodeagent.client import ApiClient  # noqa: E402
from nodeagent.errors import ApiError  # noqa: E402
from nodeagent.kubeconfig import load_kubeconfig  # noqa: E402
from tests.serving import running_api, server_env  # noqa: E402

SCRATCH_DB = "pilothouse_bench_startup"
BUSYBOX_IMAGE = "pilothouse/busybox:test"
INFRA_IMAGE = "pilothouse/infra:bench"
DOCKER_NODE = "bench-docker"
SIMULATED_NODE = "bench-sim"
TARGET_DOCKER_P99_MS = 2000.0
CREATE_THREADS = 8
# Bounds on every wait, whatever the machine's speed.
NODE_WAIT_SECONDS = 60.0
RUNNING_WAIT_SECONDS = 600.0
CLEANUP_WAIT_SECONDS = 120.0


@dataclass(frozen=True)
class Plan:
    docker_pods: int = 50
    docker_rate: float = 2.0
    nodes: int = 100
    simulated_pods: int = 5000


QUICK = Plan(docker_pods=10, nodes=10, simulated_pods=500)


def pod(name: str, node: str) -> dict[str, Any]:
    app = {"name": "app", "image": BUSYBOX_IMAGE, "command": ["sleep", "3600"]}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {"nodeName": node, "terminationGracePeriodSeconds": 0, "containers": [app]},
    }


class RunningWatch:
    """Watches a namespace's pods on a thread; notes when each is first seen Running."""

    def __init__(self, client: ApiClient, namespace: str, expected: int) -> None:
        self.client = client
        self.path = f"/api/v1/namespaces/{namespace}/pods"
        self.expected = expected
        self.running: dict[str, float] = {}
        self.done = threading.Event()
        version = client.get(self.path, {"limit": 1})["metadata"]["resourceVersion"]
        self._thread = threading.Thread(target=self._watch, args=(version,), daemon=True)
        self._thread.start()

    def _watch(self, version: str) -> None:
        deadline = time.monotonic() + RUNNING_WAIT_SECONDS
        while time.monotonic() < deadline and not self.done.is_set():
            timeout = max(1, int(deadline - time.monotonic()))
            query = {"resourceVersion": version}
            with self.client.watch(self.path, query, timeout_seconds=timeout) as stream:
                for event in stream:
                    version = self._note(event["object"]) or version
                    if len(self.running) >= self.expected:
                        self.done.set()
                        return

    def _note(self, obj: dict[str, Any]) -> str:
        name = obj["metadata"]["name"]
        if (obj.get("status") or {}).get("phase") == "Running" and name not in self.running:
            self.running[name] = time.monotonic()
        return str(obj["metadata"]["resourceVersion"])

    def wait(self) -> bool:
        return self.done.wait(RUNNING_WAIT_SECONDS)


def create_namespace(client: ApiClient, name: str) -> None:
    client.create("/api/v1/namespaces", {"metadata": {"name": name}})


def wait_for_nodes(client: ApiClient, names: list[str]) -> None:
    deadline = time.monotonic() + NODE_WAIT_SECONDS
    while time.monotonic() < deadline:
        listed = client.get("/api/v1/nodes")["items"]
        if {n["metadata"]["name"] for n in listed} >= set(names):
            return
        time.sleep(0.5)
    raise SystemExit(f"nodes {names[0]}... never registered")


@contextlib.contextmanager
def agent_process(kubeconfig: Path, log: Path, *args: str) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "nodeagent", "--kubeconfig", str(kubeconfig), *args],
            cwd=REPO_ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)


# -- docker --


def build_infra_image(engine: docker.DockerClient) -> None:
    """A sandbox image from the local busybox one: it only sleeps. No pull, no network."""
    dockerfile = f'FROM {BUSYBOX_IMAGE}\nCMD ["sleep", "2147483647"]\n'
    engine.images.build(
        fileobj=io.BytesIO(dockerfile.encode()),
        tag=INFRA_IMAGE,
        network_mode="none",
        pull=False,
        rm=True,
    )


def remove_node_containers(engine: docker.DockerClient, node: str) -> None:
    selector = {"label": f"{labels.NODE}={node}"}
    for container in engine.containers.list(all=True, filters=selector):
        with contextlib.suppress(docker.errors.NotFound, docker.errors.APIError):
            container.remove(force=True)


def docker_phase(plan: Plan, client: ApiClient, kubeconfig: Path, data: Path) -> list[float]:
    """Each pod's create-to-Running latency in ms, in creation order."""
    engine = docker.from_env(timeout=120)
    try:
        engine.images.get(BUSYBOX_IMAGE)
    except docker.errors.ImageNotFound:
        raise SystemExit(f"{BUSYBOX_IMAGE} is missing: run scripts/services.sh") from None
    build_infra_image(engine)
    namespace = "bench-docker"
    create_namespace(client, namespace)
    args = ["--node-name", DOCKER_NODE, "--infra-image", INFRA_IMAGE, "--data-dir", str(data)]
    # runapi alone gives nodes no podCIDR: Docker's default network, and no Service proxy.
    args += ["--network", "bridge", "--proxy-mode", "none"]
    try:
        with agent_process(kubeconfig, data.parent / "docker-agent.log", *args):
            wait_for_nodes(client, [DOCKER_NODE])
            watch = RunningWatch(client, namespace, plan.docker_pods)
            created: dict[str, float] = {}
            for i in range(plan.docker_pods):
                name = f"p{i:03d}"
                created[name] = time.monotonic()
                client.create(f"/api/v1/namespaces/{namespace}/pods", pod(name, DOCKER_NODE))
                time.sleep(max(0.0, created[name] + 1 / plan.docker_rate - time.monotonic()))
            if not watch.wait():
                say(f"  only {len(watch.running)} of {plan.docker_pods} pods got Running")
            latencies = [
                (watch.running[n] - t) * 1000 for n, t in created.items() if n in watch.running
            ]
            delete_all(client, namespace)
        return latencies
    finally:
        remove_node_containers(engine, DOCKER_NODE)
        engine.close()


def delete_all(client: ApiClient, namespace: str) -> None:
    """Delete the namespace's pods and wait (bounded) for the agent to confirm them gone."""
    path = f"/api/v1/namespaces/{namespace}/pods"
    client.request("DELETE", path, body={"gracePeriodSeconds": 0})
    deadline = time.monotonic() + CLEANUP_WAIT_SECONDS
    while client.get(path, {"limit": 1})["items"] and time.monotonic() < deadline:
        time.sleep(0.5)


# -- simulated --


def simulated_phase(plan: Plan, client: ApiClient, kubeconfig: Path, data: Path) -> float:
    """Pods per second from the first create to the last pod seen Running."""
    namespace = "bench-sim"
    create_namespace(client, namespace)
    names = [f"{SIMULATED_NODE}-{i}" for i in range(plan.nodes)]
    args = ["--node-name", SIMULATED_NODE, "--runtime", "simulated", "--nodes", str(plan.nodes)]
    with agent_process(
        kubeconfig, data.parent / "simulated-agent.log", *args, "--data-dir", str(data)
    ):
        wait_for_nodes(client, names)
        watch = RunningWatch(client, namespace, plan.simulated_pods)
        path = f"/api/v1/namespaces/{namespace}/pods"

        def create(i: int) -> None:
            for _ in range(3):
                try:
                    client.create(path, pod(f"s{i:05d}", names[i % len(names)]))
                    return
                except ApiError as e:
                    say(f"  create s{i:05d} failed ({e}); again")

        started = time.monotonic()
        with ThreadPoolExecutor(CREATE_THREADS) as pool:
            list(pool.map(create, range(plan.simulated_pods)))
        created_in = time.monotonic() - started
        finished = watch.wait()
        elapsed = (max(watch.running.values()) if watch.running else time.monotonic()) - started
        say(f"  {plan.simulated_pods} pods created in {created_in:.1f} s")
        if not finished:
            say(f"  only {len(watch.running)} of {plan.simulated_pods} pods got Running")
        return len(watch.running) / elapsed


def benchmark(plan: Plan, scratch_url: str) -> None:
    say(f"at start: {machine_load()}")
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        root = Path(tmp)
        env = server_env(root / "api", database_url=scratch_url)
        with running_api(env, workers=2) as server:
            kubeconfig = server.kubeconfig
            client = ApiClient(load_kubeconfig(kubeconfig), max_connections=CREATE_THREADS)
            say(f"docker: {plan.docker_pods} pods at {plan.docker_rate:g}/s on one node")
            latencies = docker_phase(plan, client, kubeconfig, root / "docker-node")
            p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
            worst = max(latencies)
            say(f"  create to Running: p50 {p50:.0f} ms, p99 {p99:.0f} ms, max {worst:.0f} ms")
            ok = verdict(p99 <= TARGET_DOCKER_P99_MS)
            say(f"  target p99 <= {TARGET_DOCKER_P99_MS:.0f} ms: {ok}")
            say(f"simulated: {plan.simulated_pods} pods on {plan.nodes} nodes")
            rate = simulated_phase(plan, client, kubeconfig, root / "simulated-nodes")
            say(f"  {rate:.0f} pods/s from first create to last Running")
    say(f"at end: {machine_load()}")
    say(f"RESULT docker_p50_ms={p50:.0f} docker_p99_ms={p99:.0f} simulated_pods_per_s={rate:.0f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="10 docker pods, 10 nodes x 50 pods")
    args = parser.parse_args()
    plan = QUICK if args.quick else Plan()
    admin_url = admin_database_url("bench/startup.py", SCRATCH_DB)
    if admin_url is None:
        return 2
    with scratch_database(admin_url, SCRATCH_DB) as scratch_url:
        benchmark(plan, scratch_url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
