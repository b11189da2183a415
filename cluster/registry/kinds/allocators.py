"""Cluster-unique values a Service holds: ClusterIPs from the service CIDR, NodePorts from a range.

Kube-apiserver records each taken ClusterIP as an ``IPAddress`` object named by the address, so
taking a value is creating an object, and two API servers can never both succeed. We do the same
in our store: every taken value is an allocation record (kind ``IPAddressAllocation`` named
"10.96.0.10", or ``NodePortAllocation`` named "30080"), and taking one is ``store.create``,
which raises AlreadyExists when another writer got there first; we then try another value.
Node ports are one pool for every protocol, as kube's port allocator is one bitmap.

Dynamic values come the way kube picks them: from the upper part of the range first (the lower
part is kept for values users ask for, KEP-3070 and KEP-3668), a few random tries, then a scan
of the free values from a random start, then "range is full". A record names the Service that
holds it (``spec.parentRef``: namespace and name; the Service has no uid yet when its values are
taken), so a repair loop can find records whose Service is gone.
"""

from __future__ import annotations

import ipaddress
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from cluster.registry.errors import Cause, Conflict, Invalid, NotFound, StoreError
from cluster.registry.kinds.formats import parse_ip
from cluster.registry.kinds.shapes import entries, index, is_int, mapping, sequence, shown, text
from cluster.registry.strategy import Undo
from cluster.store.errors import AlreadyExists
from cluster.store.protocol import Store
from cluster.store.types import Key, Object, Preconditions

IP_KIND = "IPAddressAllocation"
PORT_KIND = "NodePortAllocation"
DEFAULT_SERVICE_CIDR = "10.96.0.0/12"
DEFAULT_NODE_PORT_RANGE = "30000-32767"
RANDOM_TRIES = 8
"""Random picks before scanning for a free value; with a mostly free range the first one wins."""

NODE_PORT_TYPES = ("NodePort", "LoadBalancer")


class RangeFull(StoreError):
    """No free value is left: kube-apiserver answers 500 InternalError, and so do we."""

    def __init__(self, what: str) -> None:
        super().__init__(f"Internal error occurred: failed to allocate a {what}: range is full")


def _nothing() -> None:
    return None


def _setting(name: str, default: str) -> str:
    value = getattr(settings, name, None)
    return str(value) if value else default


def _invalid(service: Object, causes: list[Cause]) -> Invalid:
    return Invalid("Service", text(mapping(service.get("metadata")).get("name")), causes)


def _invalid_value(path: str, value: Any, detail: str) -> Cause:
    return Cause(path, f"Invalid value: {shown(value)}: {detail}", "FieldValueInvalid")


# -- the pool: values in a range, each taken value a record in the store --


@dataclass
class _Pool:
    """Integers ``first..last``; those below ``first + offset`` are handed out only when the rest
    is full. Value ``v`` is held by a record of ``kind`` named ``name_of(v)``."""

    kind: str
    first: int
    last: int
    offset: int
    name_of: Callable[[int], str]
    value_of: Callable[[str], int | None]
    rng: random.Random = field(default_factory=random.Random)

    def contains(self, value: int) -> bool:
        return self.first <= value <= self.last

    def key(self, value: int) -> Key:
        return Key(self.kind, "", self.name_of(value))

    def is_taken(self, store: Store, value: int) -> bool:
        try:
            store.get(self.key(value))
        except NotFound:
            return False
        return True

    def take(self, store: Store, value: int, service: Object) -> Object | None:
        """Create the record of ``value`` for ``service``; None if someone holds it."""
        meta = mapping(service.get("metadata"))
        record = {
            "kind": self.kind,
            "metadata": {"name": self.name_of(value)},
            "spec": {
                "parentRef": {
                    "group": "",
                    "resource": "services",
                    "namespace": text(meta.get("namespace")),
                    "name": text(meta.get("name")),
                }
            },
        }
        try:
            return store.create(self.key(value), record)
        except AlreadyExists:
            return None

    def _bands(self) -> Iterator[tuple[int, int]]:
        split = self.first + self.offset
        if split <= self.last:
            yield split, self.last
        if self.offset:
            yield self.first, split - 1

    def take_next(self, store: Store, service: Object) -> tuple[int, Object] | None:
        """Take any free value for ``service``: upper band first; None when all are taken."""
        taken: set[int] | None = None
        for low, high in self._bands():
            for _ in range(RANDOM_TRIES):
                value = self.rng.randint(low, high)
                record = self.take(store, value, service)
                if record is not None:
                    return value, record
            if taken is None:
                taken = self.taken_values(store)
            size = high - low + 1
            start = self.rng.randrange(size)
            for step in range(size):
                value = low + (start + step) % size
                if value in taken:
                    continue
                record = self.take(store, value, service)
                if record is not None:
                    return value, record
                taken.add(value)  # someone took it after we listed
        return None

    def taken_values(self, store: Store) -> set[int]:
        values = (self.value_of(item["metadata"]["name"]) for item in store.list(self.kind).items)
        return {v for v in values if v is not None}

    def give_back(self, store: Store, value: int, service: Object) -> None:
        """Delete the record of ``value`` if ``service`` still holds it."""
        try:
            record = store.get(self.key(value))
        except NotFound:
            return
        meta = mapping(service.get("metadata"))
        parent = mapping(mapping(record.get("spec")).get("parentRef"))
        if (parent.get("namespace"), parent.get("name")) != (
            meta.get("namespace"),
            meta.get("name"),
        ):
            return
        _delete(store, record)


def _delete(store: Store, record: Object) -> None:
    meta = record["metadata"]
    key = Key(record["kind"], "", meta["name"])
    try:
        store.delete(key, preconditions=Preconditions(uid=meta["uid"]))
    except (NotFound, Conflict):
        return  # already gone, or freed and taken again by someone else


def _undo_records(store: Store, records: list[Object]) -> Undo:
    def undo() -> None:
        for record in records:
            _delete(store, record)

    return undo if records else _nothing


# -- ClusterIPs --


def _service_type(service: Object) -> str:
    return text(mapping(service.get("spec")).get("type"))


def cluster_ips_of(service: Object) -> list[str]:
    """``spec.clusterIPs``, or ``[spec.clusterIP]`` from a client that only sets the singular."""
    spec = mapping(service.get("spec"))
    ips = [ip for ip in sequence(spec.get("clusterIPs")) if isinstance(ip, str)]
    if not ips and text(spec.get("clusterIP")):
        ips = [text(spec.get("clusterIP"))]
    return ips


def needs_cluster_ip(service: Object) -> bool:
    """Every Service gets a ClusterIP except ExternalName and headless ("None") ones."""
    if _service_type(service) == "ExternalName":
        return False
    ips = cluster_ips_of(service)
    return not (ips and ips[0] == "None")


def _range_offset(size: int, *, minimum: int, step: int, maximum: int) -> int:
    """Size of the lower band kept for static values: ``min(max(minimum, size/step), maximum)``."""
    if size <= minimum:
        return 0
    return min(max(minimum, size // step), maximum)


class ClusterIPAllocator:
    """ClusterIPs from the service CIDR (setting ``CLUSTER_SERVICE_CIDR``, default 10.96.0.0/12).

    As kube: the network address is never handed out, nor the broadcast address of an IPv4
    range; the first 16 to 256 addresses (a 16th of the range) are kept for requested IPs such as
    the ``kubernetes`` Service's 10.96.0.1, and are handed out dynamically only once the rest
    is full.
    """

    def __init__(self, cidr: str | None = None) -> None:
        value = cidr if cidr is not None else _setting("CLUSTER_SERVICE_CIDR", DEFAULT_SERVICE_CIDR)
        self.network = ipaddress.ip_network(value)
        if self.network.version == 6 and self.network.prefixlen < 64:
            raise ValueError(
                f"shortest allowed prefix length for service CIDR is 64, got {self.network}"
            )
        self.family = "IPv4" if self.network.version == 4 else "IPv6"
        first = int(self.network.network_address) + 1
        last = int(self.network.broadcast_address) - (1 if self.network.version == 4 else 0)
        offset = _range_offset(self.network.num_addresses, minimum=16, step=16, maximum=256)
        self.pool = _Pool(IP_KIND, first, last, offset, self._name, self._value)

    def _name(self, value: int) -> str:
        if self.network.version == 4:
            return str(ipaddress.IPv4Address(value))
        return str(ipaddress.IPv6Address(value))

    def _value(self, name: str) -> int | None:
        ip = parse_ip(name)
        return int(ip) if ip is not None and ip.version == self.network.version else None

    def held(self, service: Object | None) -> set[int]:
        """The addresses of this range that ``service`` holds."""
        if service is None or not needs_cluster_ip(service):
            return set()
        return {v for v in map(self._value, cluster_ips_of(service)) if v is not None}

    def allocate(self, store: Store, new: Object, old: Object | None, *, dry_run: bool) -> Undo:
        """Take the ClusterIPs ``new`` asks for that ``old`` does not hold, or pick one."""
        if not needs_cluster_ip(new):
            return _nothing
        held = self.held(old)
        ips = cluster_ips_of(new)
        taken: list[Object] = []
        try:
            for ip in ips:
                value = self._value(ip)
                if value is None or value in held:
                    continue  # another family (validation speaks of it), or already ours
                record = self._take_requested(store, new, ips, ip, value, dry_run=dry_run)
                if record is not None:
                    taken.append(record)
            if not ips:
                ip, record = self._take_next(store, new, dry_run=dry_run)
                if record is not None:
                    taken.append(record)
                spec = new.setdefault("spec", {})
                spec["clusterIP"] = ip
                spec["clusterIPs"] = [ip]
        except BaseException:
            _undo_records(store, taken)()
            raise
        return _undo_records(store, taken)

    def _take_requested(
        self, store: Store, service: Object, ips: list[str], ip: str, value: int, *, dry_run: bool
    ) -> Object | None:
        problem = ""
        record = None
        if not self.pool.contains(value):
            problem = (
                f"the provided IP ({self._name(value)}) is not in the valid range. "
                f"The range of valid IPs is {self.network}"
            )
        elif dry_run:
            if self.pool.is_taken(store, value):
                problem = "provided IP is already allocated"
        else:
            record = self.pool.take(store, value, service)
            if record is None:
                problem = "provided IP is already allocated"
        if problem:
            cause = _invalid_value("spec.clusterIPs", ips, f"failed to allocate IP {ip}: {problem}")
            raise _invalid(service, [cause])
        return record

    def _take_next(
        self, store: Store, service: Object, *, dry_run: bool
    ) -> tuple[str, Object | None]:
        if dry_run:
            # As kube: a dry run does not search for a free address (racy, and nothing is
            # kept); it shows the network address as a placeholder.
            return str(self.network.network_address), None
        found = self.pool.take_next(store, service)
        if found is None:
            raise RangeFull("serviceIP")
        value, record = found
        return self._name(value), record

    def release(self, store: Store, old: Object, new: Object | None) -> None:
        """Free the addresses ``old`` held that ``new`` (None after a delete) does not."""
        for value in sorted(self.held(old) - self.held(new)):
            self.pool.give_back(store, value, old)


# -- NodePorts --


def parse_port_range(value: str) -> tuple[int, int]:
    """``"30000-32767"``, ``"30000+2767"`` or ``"30080"``: kube's --service-node-port-range."""
    base, sep, rest = value.strip().partition("-")
    if not sep:
        base, sep, rest = value.strip().partition("+")
    try:
        low = int(base)
        high = low if not sep else (int(rest) if sep == "-" else low + int(rest))
    except ValueError:
        raise ValueError(f"invalid port range {value!r}") from None
    if not 1 <= low <= high <= 65535:
        raise ValueError(f"invalid port range {value!r}")
    return low, high


def needs_node_ports(service: Object) -> bool:
    return _service_type(service) in NODE_PORT_TYPES


def _allocates_node_ports(service: Object) -> bool:
    """NodePort always; LoadBalancer unless ``allocateLoadBalancerNodePorts`` is false."""
    spec = mapping(service.get("spec"))
    if spec.get("type") == "NodePort":
        return True
    return (
        spec.get("type") == "LoadBalancer"
        and spec.get("allocateLoadBalancerNodePorts") is not False
    )


def needs_health_check_port(service: Object) -> bool:
    spec = mapping(service.get("spec"))
    return spec.get("type") == "LoadBalancer" and spec.get("externalTrafficPolicy") == "Local"


def _node_port(port: dict[str, Any]) -> int:
    value = port.get("nodePort")
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


@dataclass
class _PortClaims:
    """One allocate call's work: records it created, and every value it settled on."""

    store: Store
    service: Object
    dry_run: bool
    records: list[Object] = field(default_factory=list)
    values: set[int] = field(default_factory=set)


class NodePortAllocator:
    """NodePorts from a range (setting ``CLUSTER_NODE_PORT_RANGE``, default 30000-32767).

    As kube: one pool for every protocol; ports of one Service that share a ``port`` number
    (TCP and UDP 53) share a node port when the Service is created; the lowest 16 to 128 ports
    (a 32nd of the range) are kept for requested values; a LoadBalancer Service with
    ``externalTrafficPolicy: Local`` also holds its ``healthCheckNodePort``.
    """

    def __init__(self, port_range: str | None = None) -> None:
        value = port_range
        if value is None:
            value = _setting("CLUSTER_NODE_PORT_RANGE", DEFAULT_NODE_PORT_RANGE)
        self.low, self.high = parse_port_range(value)
        size = self.high - self.low + 1
        offset = _range_offset(size, minimum=16, step=32, maximum=128)
        self.pool = _Pool(PORT_KIND, self.low, self.high, offset, str, _int_or_none)

    @property
    def range_text(self) -> str:
        return f"{self.low}-{self.high}"

    def held(self, service: Object | None) -> set[int]:
        if service is None:
            return set()
        spec = mapping(service.get("spec"))
        values = {_node_port(p) for _, p in entries(spec.get("ports"))} - {0}
        health = spec.get("healthCheckNodePort")
        if needs_health_check_port(service) and is_int(health) and health:
            values.add(int(health))
        return values

    def allocate(self, store: Store, new: Object, old: Object | None, *, dry_run: bool) -> Undo:
        claims = _PortClaims(store, new, dry_run)
        try:
            if needs_node_ports(new):
                self._node_ports(claims, self.held(old), creating=old is None)
            if needs_health_check_port(new) and not (old and needs_health_check_port(old)):
                self._health_check_port(claims)
        except BaseException:
            _undo_records(store, claims.records)()
            raise
        return _undo_records(store, claims.records)

    def _node_ports(self, claims: _PortClaims, held: set[int], *, creating: bool) -> None:
        ports = list(entries(mapping(claims.service.get("spec")).get("ports")))
        allocates = _allocates_node_ports(claims.service)
        by_port: dict[Any, int] = {}
        for i, port in ports:
            wanted = _node_port(port)
            if not wanted and not allocates:
                continue  # a LoadBalancer without node ports keeps only what was asked for
            if creating:
                # As kube's initNodePorts: a port number's first entry settles its node port
                # (asked for by any entry with that number, or picked); the others share it.
                shared = by_port.get(port.get("port"))
                if shared is None:
                    asked = wanted or next(
                        (
                            _node_port(p)
                            for _, p in ports
                            if p.get("port") == port.get("port") and _node_port(p)
                        ),
                        0,
                    )
                    chosen = self._settle(claims, i, asked) if asked else self._pick(claims)
                    by_port[port.get("port")] = chosen
                    port["nodePort"] = chosen
                elif not wanted:
                    port["nodePort"] = shared
                elif wanted != shared:
                    self._settle(claims, i, wanted)
            elif wanted:
                # As kube's updateNodePorts: a value this Service holds, or named twice, is fine
                if wanted not in held and wanted not in claims.values:
                    self._settle(claims, i, wanted)
            else:
                port["nodePort"] = self._pick(claims)

    def _settle(self, claims: _PortClaims, i: int, value: int) -> int:
        """Take a requested node port; refuse it with kube's cause if we can't."""
        problem = self._claim(claims, value)
        if problem:
            cause = _invalid_value(f"{index('spec.ports', i)}.nodePort", value, problem)
            raise _invalid(claims.service, [cause])
        return value

    def _claim(self, claims: _PortClaims, value: int) -> str:
        """Take ``value`` for this call; the reason it can't be taken, or "" when it was."""
        if value in claims.values:
            return "provided port is already allocated"
        if not self.pool.contains(value):
            return (
                "provided port is not in the valid range. "
                f"The range of valid ports is {self.range_text}"
            )
        if claims.dry_run:
            if self.pool.is_taken(claims.store, value):
                return "provided port is already allocated"
        else:
            record = self.pool.take(claims.store, value, claims.service)
            if record is None:
                return "provided port is already allocated"
            claims.records.append(record)
        claims.values.add(value)
        return ""

    def _pick(self, claims: _PortClaims) -> int:
        if claims.dry_run:
            # As kube: a dry run shows placeholders after the values it settled on (32769
            # when it settled on none) instead of searching the range.
            value = max(claims.values, default=32768) + 1
            claims.values.add(value)
            return value
        found = self.pool.take_next(claims.store, claims.service)
        if found is None:
            raise RangeFull("nodePort")
        value, record = found
        claims.records.append(record)
        claims.values.add(value)
        return value

    def _health_check_port(self, claims: _PortClaims) -> None:
        spec = claims.service.setdefault("spec", {})
        asked = spec.get("healthCheckNodePort")
        if is_int(asked) and asked:
            problem = self._claim(claims, asked)
            if problem:
                raise StoreError(
                    "Internal error occurred: failed to allocate requested HealthCheck NodePort "
                    f"{asked}: {problem}"
                )
            return
        try:
            spec["healthCheckNodePort"] = self._pick(claims)
        except RangeFull:
            # kube's message prints the port it failed to get, which is always 0
            raise StoreError(
                "Internal error occurred: failed to allocate a HealthCheck NodePort 0: "
                "range is full"
            ) from None

    def release(self, store: Store, old: Object, new: Object | None) -> None:
        for value in sorted(self.held(old) - self.held(new)):
            self.pool.give_back(store, value, old)


def _int_or_none(name: str) -> int | None:
    return int(name) if name.isdigit() else None


# -- both --


class ServiceAllocator:
    """The ``allocator`` of the Service strategy: ClusterIPs, then NodePorts, undone together."""

    def __init__(
        self,
        cluster_ips: ClusterIPAllocator | None = None,
        node_ports: NodePortAllocator | None = None,
    ) -> None:
        self.cluster_ips = cluster_ips if cluster_ips is not None else ClusterIPAllocator()
        self.node_ports = node_ports if node_ports is not None else NodePortAllocator()

    def allocate(self, store: Store, new: Object, old: Object | None, *, dry_run: bool) -> Undo:
        undo_ips = self.cluster_ips.allocate(store, new, old, dry_run=dry_run)
        try:
            undo_ports = self.node_ports.allocate(store, new, old, dry_run=dry_run)
        except BaseException:
            undo_ips()
            raise

        def undo() -> None:
            undo_ports()
            undo_ips()

        return undo

    def release(self, store: Store, old: Object, new: Object | None) -> None:
        self.cluster_ips.release(store, old, new)
        self.node_ports.release(store, old, new)
