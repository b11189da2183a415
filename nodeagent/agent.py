"""The agent assembled: its API client, runtime, node reporter, lease, pod watch, workers and
(given the API server's token) the log server.

Each loop runs in its own thread and stops when ``stop`` is set. Stopping the agent leaves the
pods' containers running, as stopping kubelet does; the next agent adopts them.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import threading
import time
from collections.abc import Callable

from nodeagent import hostinfo
from nodeagent.client import ApiClient
from nodeagent.config import AgentConfig
from nodeagent.events import EventRecorder
from nodeagent.kubeconfig import load_kubeconfig
from nodeagent.logserver import LogServer
from nodeagent.networking import Networking
from nodeagent.node import LeaseRenewer, NodeStatusReporter, gather_facts
from nodeagent.pods.probes import run_probe, simulated_probe
from nodeagent.pods.sync import NodeSettings, PodSyncer
from nodeagent.pods.workers import ContainerMonitor, PodWorkers
from nodeagent.reflector import Reflector
from nodeagent.runtime.base import Runtime
from nodeagent.runtime.simulated import SimulatedRuntime
from nodeagent.services import ServiceCache
from nodeagent.servingcert import ensure_serving_cert

log = logging.getLogger(__name__)

# How long the pod watch waits for the first list of Services.
SERVICES_WAIT_SECONDS = 30.0


def make_runtime(config: AgentConfig) -> Runtime:
    if config.runtime == "docker":
        from nodeagent.runtime.docker import DockerRuntime

        runtime = DockerRuntime()
        if config.infra_from_binary is not None and runtime.build_from_static_binary(
            config.infra_image, config.infra_from_binary
        ):
            log.info("built infra image %s from %s", config.infra_image, config.infra_from_binary)
        return runtime
    return SimulatedRuntime(start_delay=config.start_delay)


class Agent:
    def __init__(
        self,
        config: AgentConfig,
        *,
        runtime: Runtime | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        self.config = config
        self.stop = stop or threading.Event()
        self.runtime = runtime if runtime is not None else make_runtime(config)
        self.client = ApiClient(load_kubeconfig(config.kubeconfig), stop=self.stop)
        node_ip = config.node_ip or hostinfo.address_towards(self.client.host, self.client.port)
        config.data_dir.mkdir(parents=True, exist_ok=True)
        self.settings = NodeSettings(
            node_name=config.node_name,
            host_ip=node_ip,
            infra_image=config.infra_image,
            network=config.network,
            data_dir=config.data_dir,
            backoff_initial=config.backoff_initial,
            backoff_max=config.backoff_max,
            probe_runner=simulated_probe if config.runtime == "simulated" else run_probe,
        )
        self.events = EventRecorder(self.client, config.node_name)
        self.log_server = self._log_server(node_ip)
        facts = gather_facts(
            self.runtime,
            name=config.node_name,
            internal_ip=node_ip,
            data_dir=config.data_dir,
            kubelet_port=self.log_server.port if self.log_server else 0,
            serving_fingerprint=self.log_server.cert.fingerprint if self.log_server else "",
        )
        self.reporter = NodeStatusReporter(self.client, config.node_name, facts, stop=self.stop)
        self.lease = LeaseRenewer(
            self.client, config.node_name, stop=self.stop, node_uid=self._node_uid
        )
        self.workers = PodWorkers(self._syncer, stop=self.stop)
        self.reflector = Reflector(
            self.client,
            "/api/v1/pods",
            self.workers,
            query={"fieldSelector": f"spec.nodeName={config.node_name}"},
            stop=self.stop,
        )
        self.services = ServiceCache()
        self.service_reflector = Reflector(
            self.client, "/api/v1/services", self.services, stop=self.stop
        )
        self.monitor = ContainerMonitor(
            self.runtime, config.node_name, self.workers, stop=self.stop
        )
        self.networking = Networking(
            config, runtime=self.runtime, client=self.client, node_ip=node_ip, stop=self.stop
        )

    def _log_server(self, node_ip: str) -> LogServer | None:
        """The log server on the node's address, if the API server's token is configured."""
        if self.config.api_server_token_file is None:
            log.warning("no --api-server-token-file: logs of this node are not served")
            return None
        cert = ensure_serving_cert(
            self.config.data_dir / "pki", node_name=self.config.node_name, address=node_ip
        )
        return LogServer(
            self.runtime,
            self.config.node_name,
            address=node_ip,
            port=self.config.kubelet_port,
            cert=cert,
            token_file=self.config.api_server_token_file,
        )

    def _node_uid(self) -> str | None:
        node = self.reporter.node
        return None if node is None else str(node["metadata"]["uid"])

    def _syncer(self, uid: str) -> PodSyncer:
        return PodSyncer(
            uid,
            runtime=self.runtime,
            client=self.client,
            events=self.events,
            settings=self.settings,
            stop=self.stop,
            wake=functools.partial(self.workers.wake, uid),
            services=self.services,
        )

    def _loops(self) -> dict[str, Callable[[], None]]:
        loops = {
            "node-status": self.reporter.run,
            "lease": self.lease.run,
            "service-watch": self.service_reflector.run,
            "pod-watch": self._watch_pods,
            "containers": self.monitor.run,
        }
        if self.log_server is not None:
            loops["log-server"] = self.log_server.serve
        loops.update(self.networking.loops())
        return loops

    def _watch_pods(self) -> None:
        """Watch pods once the Services are known (containers get their variables), or after
        ``SERVICES_WAIT_SECONDS`` in any case, so that a failing Service watch stops no pod."""
        deadline = time.monotonic() + SERVICES_WAIT_SECONDS
        while not self.services.synced.wait(0.1):
            if self.stop.is_set():
                return
            if time.monotonic() > deadline:
                log.warning("Services not listed yet; starting pods without waiting for them")
                break
        # Pods start on the node's pod network, once it exists.
        network = self.networking.wait_ready()
        if network is None:
            return
        self.settings = dataclasses.replace(self.settings, network=network)
        self.reflector.run()

    def run(self) -> None:
        """Run every loop until ``stop`` is set (the host's network checked first)."""
        self.networking.prepare()
        threads = [
            threading.Thread(target=loop, name=name, daemon=True)
            for name, loop in self._loops().items()
        ]
        for thread in threads:
            thread.start()
        log.info("node agent for %s running", self.config.node_name)
        self.stop.wait()
        # Wake the loops that wait on something other than ``stop``.
        self.workers.listed_once.set()
        self.reflector.interrupt()
        self.service_reflector.interrupt()
        self.networking.interrupt()
        if self.log_server is not None:
            self.log_server.shutdown()
        for thread in threads:
            thread.join(timeout=10)
        self.networking.teardown()
