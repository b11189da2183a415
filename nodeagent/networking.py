"""The agent's network roles put together, in the order the host needs them.

1. Before anything is programmed: refuse to run if the cluster or service CIDR overlaps this
   host's real network, then blackhole both (``nodeagent.hostnet``).
2. flannel: wait for the Node's podCIDR and set up the node's pod network (``podnet``); pods
   start only once it is there, so every pod IP comes from the podCIDR.
3. kube-proxy: watch Services and Endpoints and program them (``proxy``), with iptables or,
   where that cannot work, the userspace proxy.

On exit it undoes them in reverse: proxy rules (when the proxy loop ends), then the forwarding
chain and the pod network, then the blackhole routes.

The same happens, without the agent stopping, when its Node is deleted (a watch of its own Node
tells): the node is gone from the cluster, so is its share of the network. Its pods' containers
keep the Docker network until the pod garbage collector has deleted those pods and the pod
workers have removed them, so the network goes last, retried until then. Other agents on the
machine have nothing to drop: the route to a node's pods is its bridge's own, which the kernel
removes with the bridge, and their forwarding rules cover the cluster CIDR, not single nodes.
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

_NETWORK_RETRY_SECONDS = 1.0
_NETWORK_RETRY_MAX_SECONDS = 30.0


class OwnNode:
    """The handler of the watch of this agent's Node: ``deleted`` is set once the Node it has
    seen is gone (a DELETED event, or a relist without it). A Node not registered yet is not
    a deleted one."""

    def __init__(self) -> None:
        self.deleted = threading.Event()
        self._seen = False

    def listed(self, objects: list[dict[str, Any]]) -> None:
        if objects:
            self._seen = True
        elif self._seen:
            self.deleted.set()

    def changed(self, obj: dict[str, Any]) -> None:
        self._seen = True

    def removed(self, obj: dict[str, Any]) -> None:
        self.deleted.set()


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
        self.own_node = OwnNode()
        self.node_reflector = Reflector(
            client,
            "/api/v1/nodes",
            self.own_node,
            query={"fieldSelector": f"metadata.name={config.node_name}"},
            stop=stop,
        )
        # Ends the proxy loop: the agent stops, or its Node was deleted.
        self._proxy_stop = threading.Event()
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
        if loops:
            loops["node-watch"] = self.node_reflector.run
            loops["node-deletion"] = self._retire_when_deleted
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
        if self.proxy_mode == "iptables":
            if self.iptables.available():
                hostnet.enable_route_localnet("lo")
                chains = Chains.for_node(self.config.node_name)
                return IptablesProxy(self.iptables, chains, cluster_cidr=self.config.cluster_cidr)
            reason = "iptables unavailable"
        else:
            reason = f"proxy mode {self.proxy_mode}"
        return UserspaceProxy(["127.0.0.1", self.node_ip], reason=reason)

    def _run_proxy(self) -> None:
        if self.wait_ready() is None or self._proxy_stop.is_set():
            return
        self._proxier = Proxier(
            self._backend(),
            services=self.services,
            endpoints=self.endpoints,
            stop=self._proxy_stop,
        )
        self._proxier.run()

    def _stop_proxy(self) -> None:
        self._proxy_stop.set()
        if self._proxier is not None:
            self._proxier.request_sync()

    def interrupt(self) -> None:
        """Wake the loops that wait for something other than ``stop``."""
        for reflector in [*self.reflectors, self.node_reflector]:
            reflector.interrupt()
        self._stop_proxy()

    def _retire_when_deleted(self) -> None:
        """Once this agent's Node is deleted: proxy rules, forwarding chain, pod network (when
        its pods' containers are gone) and blackhole routes are removed."""
        while not self.own_node.deleted.wait(0.5):
            if self.stop.is_set():
                return
        log.warning(
            "node %s was deleted: removing its proxy rules, pod network and routes",
            self.config.node_name,
        )
        self._stop_proxy()
        if self.pod_network is not None and self.ready.is_set():
            pause = _NETWORK_RETRY_SECONDS
            while not self._remove_pod_network():
                if self.stop.wait(pause):
                    return  # teardown takes over
                pause = min(pause * 1.5, _NETWORK_RETRY_MAX_SECONDS)
        self._remove_blackholes()

    def _remove_pod_network(self) -> bool:
        """Remove the forwarding chain and the pod network; False while pods still use it."""
        assert self.pod_network is not None
        try:
            removed = self.pod_network.remove()
        except Exception:
            log.exception("could not remove the pod network")
            return False
        if removed:
            self.ready.clear()
        return removed

    def _remove_blackholes(self) -> None:
        if self._host_changed:
            self.blackholes.remove()
            self._host_changed = False

    def teardown(self) -> None:
        """Undo the host changes (the proxy's rules went with its loop)."""
        if self.pod_network is not None and self.ready.is_set():
            self._remove_pod_network()
        self._remove_blackholes()
