"""The iptables backend of the proxy: a sync is one ``iptables-restore --noflush`` of the
agent's nat chains, after which the jumps into them are checked; cleanup removes the jumps
first (so no packet meets a missing chain), then the chains."""

from __future__ import annotations

import logging

from nodeagent.proxy.iptables import Chains, Iptables, nat_jumps, nat_rules, removal
from nodeagent.proxy.model import ServicePort

log = logging.getLogger(__name__)


class IptablesProxy:
    def __init__(self, iptables: Iptables, chains: Chains, *, cluster_cidr: str) -> None:
        self.iptables = iptables
        self.chains = chains
        self.cluster_cidr = cluster_cidr
        self._jumps = nat_jumps(chains)

    def sync(self, ports: list[ServicePort]) -> None:
        existing = self.iptables.chains("nat", self.chains.prefix)
        text = nat_rules(ports, self.chains, cluster_cidr=self.cluster_cidr, existing=existing)
        self.iptables.restore(text)
        for jump in self._jumps:
            self.iptables.ensure_jump(jump)
        log.debug("iptables proxy synced %d service ports", len(ports))

    def cleanup(self) -> None:
        for jump in self._jumps:
            self.iptables.remove_jump(jump)
        self.iptables.restore(removal("nat", self.iptables.chains("nat", self.chains.prefix)))
        log.info("iptables proxy rules removed")
