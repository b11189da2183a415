"""Node IPAM: every node gets a podCIDR of its own, as kube's nodeipam range allocator gives it.

Each Node gets ``spec.podCIDR`` and ``spec.podCIDRs`` (the node agent's flannel role hands pod
addresses from it): a /``CLUSTER_NODE_CIDR_MASK_SIZE`` (24) range of ``CLUSTER_CIDR``
(10.244.0.0/16). Kube keeps the taken ranges in a bitmap in its one leader's memory; here
many workers allocate at once, so each taken range is a record in the store named by the
range (``cluster.registry.records``), and taking one is a create that only one writer wins:
two nodes reconciled at the same moment never get the same range. A node that already has a
podCIDR keeps it, and its range is recorded as taken; a deleted node's range is given back.
As kube's cidrset, the next range handed out is the first free one after the highest taken
(wrapping), so a range just freed is not reused at once while routes to it may linger.

A node that finds the range exhausted gets kube's event (``CIDRNotAvailable``) and another try
when a node is deleted, or at the next resync.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from cluster.registry import records
from cluster.registry.catalog import RESOURCES
from cluster.registry.errors import Invalid, NotFound
from cluster.registry.reconcile import DONE, Change, Outcome
from cluster.registry.recorder import NORMAL, EventRecorder
from cluster.registry.registry import Registry
from cluster.registry.vocabulary import Object

log = logging.getLogger(__name__)

RECORD_KIND = "PodCIDRAllocation"
"""The store kind of a taken range: named like ``10.244.3.0-24``, holding its node."""

COMPONENT = "node-ipam-controller"

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


NODES = RESOURCES.of_kind("Node")


def pod_cidrs(node: Object | None) -> list[str]:
    """``spec.podCIDRs``, or ``[spec.podCIDR]`` as an older client writes it."""
    spec = (node or {}).get("spec") or {}
    cidrs = [c for c in spec.get("podCIDRs") or [] if isinstance(c, str) and c]
    if not cidrs and isinstance(spec.get("podCIDR"), str) and spec["podCIDR"]:
        cidrs = [spec["podCIDR"]]
    return cidrs


@dataclass(frozen=True)
class PodCIDRRange:
    """The cluster CIDR cut into equal node ranges, numbered from 0."""

    network: Network
    mask: int

    @classmethod
    def from_settings(cls) -> PodCIDRRange:
        network = ipaddress.ip_network(settings.CLUSTER_CIDR)
        mask = int(settings.CLUSTER_NODE_CIDR_MASK_SIZE)
        if not network.prefixlen <= mask <= network.max_prefixlen:
            raise ValueError(
                f"CLUSTER_NODE_CIDR_MASK_SIZE {mask} does not fit CLUSTER_CIDR {network}"
            )
        return cls(network, mask)

    @property
    def size(self) -> int:
        return 1 << (self.mask - self.network.prefixlen)

    def cidr(self, index: int) -> str:
        first = int(self.network.network_address) + (
            index << (self.network.max_prefixlen - self.mask)
        )
        return str(ipaddress.ip_network((first, self.mask)))

    def index_of(self, cidr: str) -> int | None:
        """The number of ``cidr`` if it is one of the node ranges, else None."""
        try:
            network = ipaddress.ip_network(cidr)
        except ValueError:
            return None
        if network.version != self.network.version or network.prefixlen != self.mask:
            return None
        offset = int(network.network_address) - int(self.network.network_address)
        if not 0 <= offset < self.network.num_addresses:
            return None
        return offset >> (self.network.max_prefixlen - self.mask)

    def candidates(self, taken: set[int]) -> Iterator[int]:
        """Free range numbers, starting after the highest taken one and wrapping."""
        start = max(taken) + 1 if taken else 0
        for step in range(self.size):
            index = (start + step) % self.size
            if index not in taken:
                yield index


def record_name(cidr: str) -> str:
    return cidr.replace("/", "-")


def _holder(record: Object) -> tuple[str, str]:
    ref = (record.get("spec") or {}).get("nodeRef") or {}
    return str(ref.get("name") or ""), str(ref.get("uid") or "")


def _identity(node: Object) -> tuple[str, str]:
    meta = node.get("metadata") or {}
    return str(meta.get("name") or ""), str(meta.get("uid") or "")


def _claim(registry: Registry, cidr: str, node: Object) -> Object | None:
    name, uid = _identity(node)
    spec: dict[str, Any] = {"cidr": cidr, "nodeRef": {"name": name, "uid": uid}}
    return records.claim(registry, RECORD_KIND, record_name(cidr), spec)


class NodeIpamController:
    """Keyed by node name."""

    name = "node-ipam"
    kinds: tuple[str, ...] = ("Node",)

    def keys_for(self, change: Change, registry: Registry) -> Iterable[str]:
        if change.type == "DELETED":
            # Its range is free again: nodes still waiting for one get another try.
            waiting = [
                str(n["metadata"]["name"])
                for n in registry.list(NODES, None).items
                if not pod_cidrs(n)
            ]
            return [change.name, *waiting]
        cidrs = pod_cidrs(change.object)
        if cidrs and change.old is not None and pod_cidrs(change.old) == cidrs:
            return ()  # a heartbeat: nothing about its range changed
        return [change.name]

    def resync_keys(self, registry: Registry) -> Iterable[str]:
        names = [str(n["metadata"]["name"]) for n in registry.list(NODES, None).items]
        holders = [_holder(r)[0] for r in records.all_of(registry, RECORD_KIND)]
        return dict.fromkeys([*names, *(h for h in holders if h)])

    def reconcile(self, key: str, registry: Registry) -> Outcome:
        try:
            node = registry.get(NODES, None, key)
        except NotFound:
            self._release_all(registry, key)
            return DONE
        cidrs = pod_cidrs(node)
        if cidrs:
            self._occupy(registry, node, cidrs)
        else:
            self._allocate(registry, node)
        return DONE

    # -- a node without a range --

    def _allocate(self, registry: Registry, node: Object) -> None:
        span = PodCIDRRange.from_settings()
        name, uid = _identity(node)
        mine: list[Object] = []
        taken: set[int] = set()
        for record in records.all_of(registry, RECORD_KIND):
            holder = _holder(record)
            if holder == (name, uid):
                mine.append(record)
            elif holder[0] == name:
                records.release(registry, record)  # held by an earlier node of this name
                continue
            index = span.index_of(str((record.get("spec") or {}).get("cidr") or ""))
            if index is not None:
                taken.add(index)
        # A range recorded for this node by an attempt that died before writing the node.
        chosen = mine[0] if mine else self._take_free(registry, span, taken, node)
        for extra in mine[1:]:
            records.release(registry, extra)
        if chosen is None:
            self._event(registry, node, "CIDRNotAvailable")
        else:
            self._assign(registry, node, chosen)

    def _take_free(
        self, registry: Registry, span: PodCIDRRange, taken: set[int], node: Object
    ) -> Object | None:
        for index in span.candidates(taken):
            record = _claim(registry, span.cidr(index), node)
            if record is not None:
                return record
        return None  # every range is taken, some perhaps just now by another worker

    def _assign(self, registry: Registry, node: Object, record: Object) -> None:
        cidr = str(record["spec"]["cidr"])
        name = _identity(node)[0]

        def set_range(current: Object) -> Object:
            if _identity(current) == _identity(node) and not pod_cidrs(current):
                spec = current.setdefault("spec", {})
                spec["podCIDR"] = cidr
                spec["podCIDRs"] = [cidr]
            return current

        try:
            stored = registry.update(NODES, None, name, set_range).object
        except NotFound:
            records.release(registry, record)
            return
        except Invalid as exc:
            records.release(registry, record)
            self._event(registry, node, "CIDRAssignmentFailed")
            log.warning("%s: could not set podCIDR %s on node %s: %s", COMPONENT, cidr, name, exc)
            return
        if pod_cidrs(stored) != [cidr]:
            # Someone else gave the node a range first (or the node was replaced): keep theirs.
            records.release(registry, record)
            return
        log.info("%s: node %s gets podCIDR %s", COMPONENT, name, cidr)

    # -- a node with a range --

    def _occupy(self, registry: Registry, node: Object, cidrs: list[str]) -> None:
        """Record the node's own ranges as taken, as kube's occupyCIDRs does."""
        span = PodCIDRRange.from_settings()
        for cidr in cidrs:
            if span.index_of(cidr) is None:
                continue  # not one of our ranges: nothing of ours to reserve
            record = records.get(registry, RECORD_KIND, record_name(cidr))
            if record is not None and _holder(record) == _identity(node):
                continue
            if record is not None and not self._is_stale(registry, record):
                log.warning(
                    "%s: node %s has podCIDR %s, which node %s holds",
                    COMPONENT,
                    _identity(node)[0],
                    cidr,
                    _holder(record)[0],
                )
                continue
            if record is not None:
                records.release(registry, record)
            _claim(registry, cidr, node)

    def _is_stale(self, registry: Registry, record: Object) -> bool:
        """Whether the node a record names is gone, replaced, or has another range now.

        A holder without any range is not: a worker may be about to give it this one.
        """
        name, uid = _holder(record)
        try:
            holder = registry.get(NODES, None, name)
        except NotFound:
            return True
        held = pod_cidrs(holder)
        cidr = str(record["spec"].get("cidr") or "")
        return _identity(holder)[1] != uid or bool(held and cidr not in held)

    # -- a deleted node --

    def _release_all(self, registry: Registry, name: str) -> None:
        for record in records.all_of(registry, RECORD_KIND):
            if _holder(record)[0] == name and records.release(registry, record):
                log.info(
                    "%s: released podCIDR %s of deleted node %s",
                    COMPONENT,
                    record["spec"].get("cidr"),
                    name,
                )

    @staticmethod
    def _event(registry: Registry, node: Object, status: str) -> None:
        # Kube's RecordNodeStatusChange: a Normal event whose reason is the new status.
        recorder = EventRecorder(registry, COMPONENT)
        recorder.event(node, NORMAL, status, f"Node {_identity(node)[0]} status is now: {status}")
