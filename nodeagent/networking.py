"""The agent's network roles put together, in the order the host needs them.

1. Before anything is programmed: refuse to run if the cluster or service CIDR overlaps this
   host's real network, then blackhole both (``nodeagent.hostnet``).
2. flannel: wait for the Node's podCIDR and set up the node's pod network (``podnet``); pods
   start only once it is there, so every pod IP comes from the podCIDR.
3. kube-proxy: watch Services and Endpoints and program them (``proxy``), with iptables or,
   where that cannot work, the userspace proxy.

On exit it undoes them in reverse: proxy rules (when the proxy loop ends), then the forwarding
chain and the pod network, then the blackhole routes.
"""

from __future__ import annotations

import ipaddress
import logging
import threading
from collections.abc import Callable
from typing import Any

from nodeagent import hostnet
from nodeagent.client import ApiClient
from nodeagent.config import AgentConfig
from nodeagent.podnet import NetworkRuntime, PodNetwork
from nodeagent.proxy.backend import IptablesProxy
from nodeagent.proxy.iptables import Chains, Iptables
from nodeagent.proxy.proxier import Backend, ObjectCache, Proxier
from nodeagent.proxy.userspace import UserspaceProxy
from nodeagent.reflector import Reflector

log = logging.getLogger(__name__)


class Networking:
    def __init__(
        self,
        config: AgentConfig,
        *,
        runtime: Any,
        client: ApiClient,
        node_ip: str,
        stop: threading.Event,
    ) -> None:
        self.config = config
        self.stop = stop
        self.node_ip = node_ip
        self.iptables = Iptables()
        self.network = config.network
        self.ready = threading.Event()
        self.pod_network: PodNetwork | None = None
        if not config.network and isinstance(runtime, NetworkRuntime):
            self.pod_network = PodNetwork(
                runtime,
                client,
                node_name=config.node_name,
                cluster_cidr=config.cluster_cidr,
                iptables=self.iptables,
                stop=stop,
            )
        simulated = config.runtime == "simulated"
        self.proxy_mode = "none" if simulated else config.proxy_mode
        self.services = ObjectCache()
        self.endpoints = ObjectCache()
        self.reflectors = [
            Reflector(client, "/api/v1/services", self.services, stop=stop),
            Reflector(client, "/api/v1/endpoints", self.endpoints, stop=stop),
        ]
        cidrs = [
            ipaddress.ip_network(config.cluster_cidr),
            ipaddress.ip_network(config.service_cidr),
        ]
        self.blackholes = hostnet.BlackholeRoutes(
            cidrs, metric=hostnet.blackhole_metric(config.node_name)
        )
        self._host_changed = False
        self._proxier: Proxier | None = None

    @property
    def active(self) -> bool:
        return self.pod_network is not None or self.proxy_mode != "none"

    def prepare(self) -> None:
        """Check the host and install the blackhole routes; raise HostNetworkError if the
        CIDRs are taken. Without a network role there is nothing to do."""
        if not self.active:
            self.ready.set()
            return
        hostnet.check_cidrs_free(self.blackholes.cidrs)
        self.blackholes.install()
        self._host_changed = True
        if self.pod_network is None:
            self.ready.set()

    def loops(self) -> dict[str, Callable[[], None]]:
        loops: dict[str, Callable[[], None]] = {}
        if self.pod_network is not None:
            loops["pod-network"] = self._set_up_pod_network
        if self.proxy_mode != "none":
            loops["proxy"] = self._run_proxy
            loops["proxy-services"] = self.reflectors[0].run
            loops["proxy-endpoints"] = self.reflectors[1].run
        return loops

    def wait_ready(self) -> str | None:
        """The pods' network once it exists; None if stopped first."""
        while not self.ready.wait(0.2):
            if self.stop.is_set():
                return None
        return self.network

    def _set_up_pod_network(self) -> None:
        assert self.pod_network is not None
        cidr = self.pod_network.wait_for_pod_cidr()
        while cidr is not None and not self.stop.is_set():
            try:
                self.pod_network.ensure(cidr)
            except Exception:
                log.exception("pod network for %s not ready; retrying", cidr)
                self.stop.wait(2.0)
                continue
            self.network = self.pod_network.name
            self.ready.set()
            return

    def _backend(self) -> Backend:
        if self.proxy_mode == "iptables" and self.iptables.available():
            hostnet.enable_route_localnet("lo")
            chains = Chains.for_node(self.config.node_name)
            return IptablesProxy(self.iptables, chains, cluster_cidr=self.config.cluster_cidr)
        return UserspaceProxy(["127.0.0.1", self.node_ip])

    def _run_proxy(self) -> None:
        if self.wait_ready() is None:
            return
        self._proxier = Proxier(
            self._backend(), services=self.services, endpoints=self.endpoints, stop=self.stop
        )
        self._proxier.run()

    def interrupt(self) -> None:
        """Wake the loops that wait for something other than ``stop``."""
        for reflector in self.reflectors:
            reflector.interrupt()
        if self._proxier is not None:
            self._proxier.request_sync()

    def teardown(self) -> None:
        """Undo the host changes (the proxy's rules went with its loop)."""
        if self.pod_network is not None and self.ready.is_set():
            try:
                self.pod_network.remove()
            except Exception:
                log.exception("could not remove the pod network")
        if self._host_changed:
            self.blackholes.remove()
