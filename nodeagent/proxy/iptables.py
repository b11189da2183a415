"""Every iptables rule the agent writes, and the one place that runs iptables.

The layout is kube-proxy's iptables mode, in chains of the agent's own (``PH-<node id>-...``:
several agents may share one machine, and each owns only its chains):

nat
  PREROUTING, OUTPUT -> SERVICES: ClusterIP:port -> SVC-<port hash>; at the end, packets to a
      local address -> NODEPORTS: nodePort -> mark for masquerade, then SVC-<port hash>.
  SVC-<h>: traffic from outside the cluster CIDR is marked for masquerade; with sessionAffinity
      ClientIP a client seen recently goes back to its endpoint (``-m recent``); else one
      endpoint at random, ``-m statistic --mode random --probability 1/n`` for the first of n,
      1/(n-1) for the next, the last always.
  SEP-<h>: an endpoint talking to itself (hairpin) is marked; DNAT to ip:port.
  POSTROUTING -> POSTROUTING: marked packets are masqueraded; pod-to-pod traffic is accepted
      here so that Docker's masquerade of each node network leaves pod addresses intact.
filter
  FORWARD -> FORWARD: traffic between pods of different nodes (Docker's isolation chains
      would drop bridge-to-bridge packets), and DNATed or established traffic to pods.

Each sync rebuilds the agent's chains fully with one ``iptables-restore --noflush``: declaring
a chain flushes it, chains of other programs are never named. The builders are pure functions
of the desired state, so the rules are unit-tested as text.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import subprocess
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from nodeagent.proxy.model import ServicePort

log = logging.getLogger(__name__)

MASQ_MARK = "0x4000/0x4000"
_COMMAND_TIMEOUT = 20.0


class IptablesError(Exception):
    """iptables is missing or refused the rules; the message is its own."""


@dataclass(frozen=True)
class Chains:
    """The names of one agent's chains; all start with ``prefix``."""

    prefix: str

    @classmethod
    def for_node(cls, node_name: str) -> Chains:
        return cls(f"PH-{zlib.crc32(node_name.encode()):08X}-")

    @property
    def services(self) -> str:
        return self.prefix + "SERVICES"

    @property
    def nodeports(self) -> str:
        return self.prefix + "NODEPORTS"

    @property
    def postrouting(self) -> str:
        return self.prefix + "POSTROUTING"

    @property
    def mark_masq(self) -> str:
        return self.prefix + "MARK-MASQ"

    @property
    def forward(self) -> str:
        return self.prefix + "FORWARD"

    def service(self, port: ServicePort) -> str:
        return self.prefix + "SVC-" + _hash(port.key + "/" + port.protocol)

    def endpoint(self, port: ServicePort, ip: str, number: int) -> str:
        return self.prefix + "SEP-" + _hash(f"{port.key}/{port.protocol}/{ip}:{number}")


def _hash(text: str) -> str:
    # Twelve characters keep every name within iptables' 28.
    return hashlib.sha256(text.encode()).hexdigest()[:12].upper()


@dataclass(frozen=True)
class Jump:
    """A rule in a built-in chain that leads into one of the agent's chains."""

    table: str
    chain: str
    target: str

    @property
    def spec(self) -> list[str]:
        comment = "pilothouse node agent"
        return ["-m", "comment", "--comment", comment, "-j", self.target]


def nat_jumps(chains: Chains) -> list[Jump]:
    """The nat table's rules into the proxy's chains."""
    return [
        Jump("nat", "PREROUTING", chains.services),
        Jump("nat", "OUTPUT", chains.services),
        Jump("nat", "POSTROUTING", chains.postrouting),
    ]


def forward_jump(chains: Chains) -> Jump:
    """The filter table's rule into the pod network's forwarding chain."""
    return Jump("filter", "FORWARD", chains.forward)


def _comment(text: str) -> str:
    return f'-m comment --comment "{text}"'


def _proto(port: ServicePort) -> str:
    protocol = port.protocol.lower()
    return f"-p {protocol} -m {protocol}"


def _service_rules(port: ServicePort, chains: Chains, cluster_cidr: str) -> list[str]:
    svc = chains.service(port)
    rules = [
        f"-A {chains.services} -d {port.cluster_ip}/32 {_proto(port)} --dport {port.port} "
        f"{_comment(port.key + ' cluster IP')} -j {svc}",
        f"-A {svc} ! -s {cluster_cidr} -d {port.cluster_ip}/32 {_proto(port)} "
        f"--dport {port.port} -j {chains.mark_masq}",
    ]
    if port.node_port is not None:
        rules += [
            f"-A {chains.nodeports} {_proto(port)} --dport {port.node_port} "
            f"{_comment(port.key)} -j {chains.mark_masq}",
            f"-A {chains.nodeports} {_proto(port)} --dport {port.node_port} "
            f"{_comment(port.key)} -j {svc}",
        ]
    endpoint_chains = [chains.endpoint(port, e.ip, e.port) for e in port.endpoints]
    if port.affinity_seconds is not None:
        rules += [
            f"-A {svc} -m recent --name {sep} --rcheck --seconds {port.affinity_seconds} "
            f"--reap --rsource -j {sep}"
            for sep in endpoint_chains
        ]
    count = len(endpoint_chains)
    for index, sep in enumerate(endpoint_chains):
        remaining = count - index
        chance = (
            ""
            if remaining == 1
            else f"-m statistic --mode random --probability {1 / remaining:.10f} "
        )
        rules.append(f"-A {svc} {chance}-j {sep}")
    for endpoint, sep in zip(port.endpoints, endpoint_chains, strict=True):
        recent = "" if port.affinity_seconds is None else f"-m recent --name {sep} --set --rsource "
        rules += [
            f"-A {sep} -s {endpoint.ip}/32 -j {chains.mark_masq}",
            f"-A {sep} {_proto(port)} {recent}"
            f"-j DNAT --to-destination {endpoint.ip}:{endpoint.port}",
        ]
    return rules


def _declare(chains: Iterable[str]) -> list[str]:
    return [f":{name} - [0:0]" for name in chains]


def nat_rules(
    ports: Sequence[ServicePort], chains: Chains, *, cluster_cidr: str, existing: Iterable[str] = ()
) -> str:
    """The nat table's part of an ``iptables-restore --noflush`` input: the agent's chains
    rebuilt for ``ports``, and its ``existing`` chains that are no longer needed deleted.

    A port with no ready endpoint gets no rule: its ClusterIP falls to the blackhole route, and
    its NodePort finds nothing listening."""
    served = [p for p in ports if p.endpoints]
    wanted = [chains.services, chains.nodeports, chains.postrouting, chains.mark_masq]
    for port in served:
        wanted.append(chains.service(port))
        wanted += [chains.endpoint(port, e.ip, e.port) for e in port.endpoints]
    stale = sorted(set(existing) - set(wanted))
    rules = [
        f"-A {chains.mark_masq} -j MARK --set-xmark {MASQ_MARK}",
        f"-A {chains.postrouting} -m mark --mark {MASQ_MARK} -j MASQUERADE",
        f"-A {chains.postrouting} -s {cluster_cidr} -d {cluster_cidr} -j ACCEPT",
    ]
    for port in served:
        rules += _service_rules(port, chains, cluster_cidr)
    rules.append(
        f"-A {chains.services} -m addrtype --dst-type LOCAL {_comment('node ports')} "
        f"-j {chains.nodeports}"
    )
    lines = ["*nat", *_declare(wanted + stale), *rules, *[f"-X {c}" for c in stale], "COMMIT"]
    return "\n".join(lines) + "\n"


def forward_rules(chains: Chains, *, cluster_cidr: str) -> str:
    """The filter table's part: pods of all nodes reach each other; DNATed traffic (NodePorts,
    ClusterIPs) and replies reach pods."""
    chain = chains.forward
    rules = [
        f"-A {chain} -s {cluster_cidr} -d {cluster_cidr} -j ACCEPT",
        f"-A {chain} -d {cluster_cidr} -m conntrack --ctstate DNAT -j ACCEPT",
        f"-A {chain} -d {cluster_cidr} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
        f"-A {chain} -s {cluster_cidr} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
    ]
    return "\n".join(["*filter", *_declare([chain]), *rules, "COMMIT"]) + "\n"


def removal(table: str, names: Iterable[str]) -> str:
    """Input that flushes and deletes ``names`` in ``table`` (none: nothing to do)."""
    names = sorted(names)
    if not names:
        return ""
    return "\n".join([f"*{table}", *_declare(names), *[f"-X {n}" for n in names], "COMMIT"]) + "\n"


class Iptables:
    """Runs iptables: restores, jumps from built-in chains, listing the agent's chains."""

    def __init__(self, binary: str = "iptables") -> None:
        self.binary = binary
        self.restore_binary = f"{binary}-restore"

    def available(self) -> bool:
        """True if the nat table can be read and restored (root, iptables installed)."""
        if shutil.which(self.binary) is None or shutil.which(self.restore_binary) is None:
            return False
        try:
            self._run([self.binary, "-w", "-t", "nat", "-S", "OUTPUT"])
        except IptablesError:
            return False
        return True

    def _run(self, args: list[str], stdin: str | None = None) -> str:
        try:
            done = subprocess.run(
                args,
                input=stdin,
                capture_output=True,
                text=True,
                timeout=_COMMAND_TIMEOUT,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as e:
            raise IptablesError(f"{args[0]}: {e}") from e
        if done.returncode != 0:
            raise IptablesError(f"{' '.join(args[:4])}: {done.stderr.strip()}")
        return done.stdout

    def restore(self, text: str) -> None:
        if text:
            self._run([self.restore_binary, "-w", "--noflush"], stdin=text)

    def chains(self, table: str, prefix: str) -> list[str]:
        """The chains of ``table`` whose names start with ``prefix``."""
        listed = self._run([self.binary, "-w", "-t", table, "-S"])
        return [
            line.split()[1]
            for line in listed.splitlines()
            if line.startswith("-N ") and line.split()[1].startswith(prefix)
        ]

    def _has(self, jump: Jump) -> bool:
        try:
            self._run([self.binary, "-w", "-t", jump.table, "-C", jump.chain, *jump.spec])
        except IptablesError:
            return False
        return True

    def ensure_jump(self, jump: Jump) -> None:
        """Insert ``jump`` first in its chain unless it is there (no duplicates on restart)."""
        if not self._has(jump):
            self._run([self.binary, "-w", "-t", jump.table, "-I", jump.chain, "1", *jump.spec])

    def remove_jump(self, jump: Jump) -> None:
        # Bounded: a jump was inserted at most once per agent start.
        for _ in range(16):
            if not self._has(jump):
                return
            self._run([self.binary, "-w", "-t", jump.table, "-D", jump.chain, *jump.spec])
