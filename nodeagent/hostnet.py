"""The host's routing facts the agent depends on, and the routes and sysctls it changes.

Pod and Service addresses exist only on this machine. So that a packet to one nobody claims
(a Service not programmed yet, a pod already gone) is dropped here instead of leaving by the
default route, the agent installs blackhole routes for the cluster and service CIDRs before it
programs anything else; each node's bridge route (a /24, more specific) still wins. Several
agents may share one machine, so each agent's blackholes carry a metric of its own (derived
from the node name) and it removes only those on exit.

Before any of that the agent refuses to start if either CIDR overlaps an address or route this
host really uses: taking over a real network would cut the machine off from it.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import subprocess
import zlib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

# Interfaces the agent creates (its nodes' Docker bridges) start with this.
BRIDGE_PREFIX = "ph-"
_COMMAND_TIMEOUT = 10.0
_METRIC_BASE = 1000
_METRIC_SPAN = 60000

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class HostNetworkError(Exception):
    """The host's network refuses what the agent needs (overlap, a failed command)."""


def _run(args: Sequence[str]) -> str:
    try:
        done = subprocess.run(
            list(args), capture_output=True, text=True, timeout=_COMMAND_TIMEOUT, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as e:
        raise HostNetworkError(f"{' '.join(args)}: {e}") from e
    if done.returncode != 0:
        raise HostNetworkError(f"{' '.join(args)}: {done.stderr.strip()}")
    return done.stdout


def bridge_name(node_name: str) -> str:
    """The Linux bridge of ``node_name``'s pod network (interface names have 15 characters)."""
    return f"{BRIDGE_PREFIX}{zlib.crc32(node_name.encode()):08x}"


def blackhole_metric(node_name: str) -> int:
    """This node's metric for its blackhole routes: its own, so agents never share a route."""
    return _METRIC_BASE + zlib.crc32(node_name.encode()) % _METRIC_SPAN


def _prefix(dst: str) -> Network | None:
    if dst in ("default", ""):
        return None
    try:
        return ipaddress.ip_network(dst, strict=False)
    except ValueError:
        return None


def conflicts(
    routes: Iterable[Mapping[str, Any]],
    addresses: Iterable[Mapping[str, Any]],
    cidrs: Sequence[Network],
) -> list[str]:
    """What this host uses inside ``cidrs``, from ``ip -j route show table all`` and
    ``ip -j addr``; the agents' own bridges and blackholes do not count."""
    found = []
    for route in routes:
        dst = _prefix(str(route.get("dst", "")))
        dev = str(route.get("dev", ""))
        if dst is None or dev.startswith(BRIDGE_PREFIX):
            continue
        if route.get("type") == "blackhole" and dst in cidrs:
            continue
        if any(dst.version == c.version and dst.overlaps(c) for c in cidrs):
            found.append(f"route {route.get('dst')} dev {dev or route.get('type')}")
    for link in addresses:
        name = str(link.get("ifname", ""))
        if name.startswith(BRIDGE_PREFIX):
            continue
        for info in link.get("addr_info") or []:
            address = ipaddress.ip_address(str(info["local"]))
            if any(address in c for c in cidrs):
                found.append(f"address {address} on {name}")
    return found


def check_cidrs_free(cidrs: Sequence[Network]) -> None:
    """Raise HostNetworkError if this host really uses an address in ``cidrs``."""
    routes = json.loads(_run(["ip", "-j", "route", "show", "table", "all"]) or "[]")
    addresses = json.loads(_run(["ip", "-j", "addr", "show"]) or "[]")
    clash = conflicts(routes, addresses, cidrs)
    if clash:
        raise HostNetworkError(
            f"cluster/service CIDRs {', '.join(map(str, cidrs))} overlap this host's network: "
            + "; ".join(clash)
        )


class BlackholeRoutes:
    """Blackhole routes for ``cidrs`` with this node's metric: installed, then removed."""

    def __init__(self, cidrs: Sequence[Network], *, metric: int) -> None:
        self.cidrs = list(cidrs)
        self.metric = metric

    def _args(self, verb: str, cidr: Network) -> list[str]:
        family = "-6" if cidr.version == 6 else "-4"
        return ["ip", family, "route", verb, "blackhole", str(cidr), "metric", str(self.metric)]

    def install(self) -> None:
        for cidr in self.cidrs:
            # replace: an agent restarting after a crash finds its own route there.
            _run(self._args("replace", cidr))
            log.info("blackhole route for %s (metric %d) installed", cidr, self.metric)

    def remove(self) -> None:
        for cidr in self.cidrs:
            try:
                _run(self._args("del", cidr))
            except HostNetworkError as e:
                log.warning("could not remove the blackhole route for %s: %s", cidr, e)


def enable_route_localnet(interface: str) -> None:
    """Let packets from 127.0.0.1 be routed out of ``interface`` after DNAT (NodePort on
    loopback); kube-proxy sets the same and, like it, the agent leaves it set."""
    path = Path("/proc/sys/net/ipv4/conf") / interface / "route_localnet"
    try:
        if path.read_text().strip() != "1":
            path.write_text("1\n")
            log.info("set net.ipv4.conf.%s.route_localnet=1", interface)
    except OSError as e:
        raise HostNetworkError(f"cannot set route_localnet on {interface}: {e}") from e
