"""The flannel role (host-gw backend, on one machine): this node's pods get addresses from its
``spec.podCIDR``, and pods of every node reach each other by pod IP.

The node's network is a Docker bridge network with the podCIDR as its subnet (gateway .1),
named ``pilothouse-<node>``, on a bridge named by ``hostnet.bridge_name``; every sandbox joins
it, so the address Docker gives a sandbox is the pod's IP. Docker adds the bridge's route; the
nodes of one machine are then one routing hop apart, as host-gw makes hosts. Docker isolates
bridge networks from each other, so a forwarding chain of the agent's own accepts traffic
within the cluster CIDR ahead of Docker's chains.

A restart finds the network by name and reuses it. On exit the agent removes its forwarding
chain and the network; Docker keeps a network that still has containers, which is what a
stopping kubelet wants: its pods keep running and the next agent adopts them.
"""

from __future__ import annotations

import ipaddress
import logging
import threading
from typing import Protocol, runtime_checkable

from nodeagent import hostnet
from nodeagent.client import ApiClient
from nodeagent.errors import ApiError
from nodeagent.proxy.iptables import Chains, Iptables, forward_jump, forward_rules, removal

log = logging.getLogger(__name__)

NETWORK_PREFIX = "pilothouse-"
_POLL_SECONDS = 0.5


@runtime_checkable
class NetworkRuntime(Protocol):
    def ensure_network(self, name: str, *, subnet: str, gateway: str, bridge: str) -> None: ...

    def remove_network(self, name: str) -> bool: ...


def network_name(node_name: str) -> str:
    return NETWORK_PREFIX + node_name


def gateway(subnet: str) -> str:
    """The subnet's first address, the bridge's own (``.1`` of a /24)."""
    return str(ipaddress.ip_network(subnet).network_address + 1)


class PodNetwork:
    def __init__(
        self,
        runtime: NetworkRuntime,
        client: ApiClient,
        *,
        node_name: str,
        cluster_cidr: str,
        iptables: Iptables,
        stop: threading.Event,
    ) -> None:
        self.runtime = runtime
        self.client = client
        self.node_name = node_name
        self.cluster_cidr = cluster_cidr
        self.iptables = iptables
        self.stop = stop
        self.chains = Chains.for_node(node_name)
        self.name = network_name(node_name)
        self.bridge = hostnet.bridge_name(node_name)

    def wait_for_pod_cidr(self) -> str | None:
        """The Node's podCIDR once the node IPAM controller has given one (None: stopped)."""
        while not self.stop.is_set():
            try:
                node = self.client.get(f"/api/v1/nodes/{self.node_name}")
            except ApiError:
                node = {}
            cidr = (node.get("spec") or {}).get("podCIDR")
            if cidr:
                return str(cidr)
            self.stop.wait(_POLL_SECONDS)
        return None

    def ensure(self, pod_cidr: str) -> None:
        """The node's network and the forwarding rules, created or found as they should be."""
        self.runtime.ensure_network(
            self.name, subnet=pod_cidr, gateway=gateway(pod_cidr), bridge=self.bridge
        )
        self.iptables.restore(forward_rules(self.chains, cluster_cidr=self.cluster_cidr))
        self.iptables.ensure_jump(forward_jump(self.chains))
        hostnet.enable_route_localnet(self.bridge)
        log.info("pod network %s (%s on %s) ready", self.name, pod_cidr, self.bridge)

    def remove(self) -> bool:
        """Remove the forwarding chain (at once) and the network; False while pods still use
        the network. Repeating it is harmless: a network gone already counts as removed."""
        self.iptables.remove_jump(forward_jump(self.chains))
        self.iptables.restore(removal("filter", [self.chains.forward]))
        if self.runtime.remove_network(self.name):
            log.info("pod network %s removed", self.name)
            return True
        log.info("pod network %s kept: pods of this node still use it", self.name)
        return False
