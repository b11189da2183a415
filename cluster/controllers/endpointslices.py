"""EndpointSlices: the backends of each Service as kube's endpointslice controller writes them.

Current clients read a Service's backends from discovery.k8s.io/v1 EndpointSlices labelled
``kubernetes.io/service-name=<service>`` (``kubectl describe svc`` does), not from core/v1
Endpoints. For every Service with a selector (not ExternalName) this controller keeps slices
named ``<service>-<5 random characters>``, labelled with the Service's labels plus the
service name and ``endpointslice.kubernetes.io/managed-by``, and owned by the Service (so the
garbage collector removes them with it; this controller also deletes them at once).

Each selected pod that has an IP and has not terminated is one endpoint per address type the
Service serves (its ipFamilies: IPv4 unless it says otherwise): its IPs of that family, its
conditions (``serving`` is pod readiness, ``terminating`` a deletion timestamp, ``ready``
serving and not terminating, or always with publishNotReadyAddresses), node name, hostname and
a ``targetRef``. Ports are resolved per pod as for Endpoints (``servicebackends``); pods that
resolve to the same ports share slices, at most ``max_endpoints_per_slice`` endpoints each.

Like kube's, the reconcile keeps churn low: an endpoint stays in the slice it is in, new ones
fill slices with room before a new slice is made, a slice is written only when it changes, and
slices left empty, of another address type or port set, or owned by an older Service of the
same name are deleted. A Service without any endpoint keeps one empty placeholder slice.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from cluster.controllers.servicebackends import (
    SERVICES,
    all_service_keys,
    endpoints_labels,
    find_port,
    ip_version,
    is_ready,
    meta_of,
    pod_ips,
    selected_pods,
    selector_of,
    service_ports,
    services_for_pod_change,
    should_be_in_endpoints,
    should_set_hostname,
    spec_of,
    target_ref,
)
from cluster.registry.catalog import RESOURCES
from cluster.registry.errors import AlreadyExists, Conflict, Forbidden, Invalid, NotFound
from cluster.registry.reconcile import DONE, Change, Outcome, split_key
from cluster.registry.recorder import WARNING, EventRecorder
from cluster.registry.registry import DeleteOptions, Registry
from cluster.registry.vocabulary import LabelRequirement, LabelSelector, Object, Preconditions

log = logging.getLogger(__name__)

COMPONENT = "endpointslice-controller"
MANAGED_BY = "endpointslice-controller.k8s.io"
SERVICE_NAME_LABEL = "kubernetes.io/service-name"
MANAGED_BY_LABEL = "endpointslice.kubernetes.io/managed-by"
MAX_ENDPOINTS_PER_SLICE = 100

ENDPOINT_SLICES = RESOURCES.of_kind("EndpointSlice", "discovery.k8s.io")

Endpoint = dict[str, Any]
Port = dict[str, Any]
GroupKey = tuple[str, str]
"""The slices one endpoint can go in: its address type and its ports (as JSON)."""


# -- what the endpoints should be --


def address_types(service: Object) -> list[str]:
    """Kube's getAddressTypesForService: the ipFamilies, else the ClusterIP's family, else
    (a headless Service without families) both."""
    spec = spec_of(service)
    families = [f for f in spec.get("ipFamilies") or [] if f in ("IPv4", "IPv6")]
    if families:
        return list(dict.fromkeys(families))
    cluster_ip = str(spec.get("clusterIP") or "")
    if cluster_ip and cluster_ip != "None":
        return [f"IPv{ip_version(cluster_ip)}"]
    return ["IPv4", "IPv6"]


def endpoint_ports(pod: Object, service: Object) -> list[Port]:
    """Kube's getEndpointPorts: each Service port the pod resolves, named "" when unnamed."""
    ports = []
    for service_port in service_ports(service):
        number = find_port(pod, service_port)
        if number is None:
            continue
        port: Port = {
            "name": str(service_port.get("name") or ""),
            "protocol": str(service_port.get("protocol") or "TCP"),
            "port": number,
        }
        if service_port.get("appProtocol"):
            port["appProtocol"] = service_port["appProtocol"]
        ports.append(port)
    return ports


def pod_endpoint(pod: Object, service: Object, address_type: str) -> Endpoint | None:
    """Kube's podToEndpoint, or None when the pod has no IP of ``address_type``."""
    addresses = [ip for ip in pod_ips(pod) if f"IPv{ip_version(ip)}" == address_type]
    if not addresses:
        return None
    serving = is_ready(pod)
    terminating = bool(meta_of(pod).get("deletionTimestamp"))
    # As kube: never ready while terminating, unless the Service publishes not-ready addresses.
    ready = bool(spec_of(service).get("publishNotReadyAddresses")) or (serving and not terminating)
    endpoint: Endpoint = {
        "addresses": addresses,
        "conditions": {"ready": ready, "serving": serving, "terminating": terminating},
    }
    if should_set_hostname(pod, service):
        endpoint["hostname"] = spec_of(pod)["hostname"]
    endpoint["targetRef"] = target_ref(pod)
    if spec_of(pod).get("nodeName"):
        endpoint["nodeName"] = spec_of(pod)["nodeName"]
    return endpoint


@dataclass
class Group:
    """The endpoints that share an address type and ports."""

    ports: list[Port]
    endpoints: list[Endpoint] = field(default_factory=list)


def group_key(address_type: str, ports: list[Port]) -> GroupKey:
    return address_type, json.dumps(ports, sort_keys=True)


def desired_groups(service: Object, pods: Iterable[Object]) -> dict[GroupKey, Group]:
    """The Service's endpoints, grouped by the slices they can share; terminating pods count
    (kube's endpointslice controller keeps them, marked)."""
    types = address_types(service)
    groups: dict[GroupKey, Group] = {}
    for pod in pods:
        if not should_be_in_endpoints(pod, include_terminating=True):
            continue
        ports = endpoint_ports(pod, service)
        for address_type in types:
            endpoint = pod_endpoint(pod, service, address_type)
            if endpoint is not None:
                group = groups.setdefault(group_key(address_type, ports), Group(ports))
                group.endpoints.append(endpoint)
    if not groups:  # kube's placeholder: one empty slice stands for "no endpoints"
        groups[group_key(types[0], [])] = Group([])
    return groups


# -- which slices to write --


def _identity(endpoint: Endpoint) -> str:
    return str((endpoint.get("targetRef") or {}).get("uid") or endpoint.get("addresses"))


def _order(endpoint: Endpoint) -> tuple[bytes, str]:
    # Kube compares addresses byte by byte; the pod uid breaks ties.
    return str((endpoint.get("addresses") or [""])[0]).encode(), _identity(endpoint)


def slice_key(endpoint_slice: Object) -> GroupKey:
    return group_key(str(endpoint_slice.get("addressType")), endpoint_slice.get("ports") or [])


@dataclass
class Slot:
    """One slice to be: an existing one (to keep or rewrite) or a new one (``current`` None)."""

    key: GroupKey
    ports: list[Port]
    current: Object | None
    endpoints: list[Endpoint] = field(default_factory=list)


def _fill(group: Group, slices: list[Object], key: GroupKey, limit: int) -> list[Slot]:
    """Keep each endpoint in the slice it is in, put new ones where there is room, then in
    new slices."""
    wanted = {_identity(e): e for e in group.endpoints}
    slots = []
    for current in slices:
        slot = Slot(key, group.ports, current)
        for endpoint in current.get("endpoints") or []:
            identity = _identity(endpoint)
            if identity in wanted and len(slot.endpoints) < limit:
                slot.endpoints.append(wanted.pop(identity))
        slots.append(slot)
    rest = sorted(wanted.values(), key=_order)
    for slot in slots:
        room = limit - len(slot.endpoints)
        slot.endpoints += rest[:room]
        rest = rest[room:]
    while rest:
        slots.append(Slot(key, group.ports, None, rest[:limit]))
        rest = rest[limit:]
    filled = [s for s in slots if s.endpoints]
    return filled or slots[:1] or [Slot(key, group.ports, None)]


@dataclass
class Plan:
    slots: list[Slot]
    stale: list[Object]


def plan(
    service: Object, existing: list[Object], groups: dict[GroupKey, Group], limit: int
) -> Plan:
    """The slices the Service should have, made from ``existing`` where possible; the rest of
    ``existing`` is stale (emptied, of a group no endpoint is in any more, or owned by an older
    Service of the same name)."""
    uid = meta_of(service).get("uid")
    by_key: dict[GroupKey, list[Object]] = {}
    for current in sorted(existing, key=lambda s: str(meta_of(s).get("name"))):
        if _owner_uid(current) == uid:
            by_key.setdefault(slice_key(current), []).append(current)
    slots = []
    for key, group in groups.items():
        slots += _fill(group, by_key.get(key, []), key, limit)
    kept = {id(s.current) for s in slots if s.current is not None}
    stale = [s for s in existing if id(s) not in kept]
    _reuse(slots, stale, uid)
    return Plan(slots, stale)


def _reuse(slots: list[Slot], stale: list[Object], uid: Any) -> None:
    """Turn a create and a delete into one update, as kube does: a new slot takes a stale
    slice of the Service with the same address type (which is immutable)."""
    for slot in slots:
        if slot.current is not None:
            continue
        for candidate in stale:
            if _owner_uid(candidate) == uid and candidate.get("addressType") == slot.key[0]:
                slot.current = candidate
                stale.remove(candidate)
                break


def _owner_uid(endpoint_slice: Object) -> str | None:
    for ref in meta_of(endpoint_slice).get("ownerReferences") or []:
        if ref.get("controller"):
            return str(ref.get("uid"))
    return None


def slice_labels(service: Object) -> dict[str, str]:
    """The Service's labels (not the two this controller owns), plus those two."""
    labels = {
        k: v
        for k, v in endpoints_labels(service).items()
        if k not in (SERVICE_NAME_LABEL, MANAGED_BY_LABEL)
    }
    labels[SERVICE_NAME_LABEL] = str(meta_of(service).get("name"))
    labels[MANAGED_BY_LABEL] = MANAGED_BY
    return labels


def owner_reference(service: Object) -> dict[str, Any]:
    meta = meta_of(service)
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "name": meta.get("name"),
        "uid": meta.get("uid"),
        "controller": True,
        "blockOwnerDeletion": True,
    }


def _content(
    *, labels: dict[str, str], owners: list[Any], ports: list[Port], endpoints: list[Endpoint]
) -> str:
    return json.dumps([labels, owners, ports, endpoints], sort_keys=True)


def slot_changed(slot: Slot, service: Object) -> bool:
    """Whether the slot's slice must be written: new, or different from the stored one."""
    if slot.current is None:
        return True
    meta = meta_of(slot.current)
    stored = _content(
        labels=meta.get("labels") or {},
        owners=meta.get("ownerReferences") or [],
        ports=slot.current.get("ports") or [],
        endpoints=slot.current.get("endpoints") or [],
    )
    wanted = _content(
        labels=slice_labels(service),
        owners=[owner_reference(service)],
        ports=slot.ports,
        endpoints=slot.endpoints,
    )
    return stored != wanted


def managed_selector(service_name: str) -> LabelSelector:
    return LabelSelector(
        (
            LabelRequirement(MANAGED_BY_LABEL, "=", (MANAGED_BY,)),
            LabelRequirement(SERVICE_NAME_LABEL, "=", (service_name,)),
        )
    )


def _managed_service(endpoint_slice: Object) -> str | None:
    labels = meta_of(endpoint_slice).get("labels") or {}
    if labels.get(MANAGED_BY_LABEL) != MANAGED_BY:
        return None
    name = labels.get(SERVICE_NAME_LABEL)
    return str(name) if name else None


class EndpointSliceController:
    """Keyed by the Service's ``namespace/name``."""

    name = "endpointslice"
    kinds: tuple[str, ...] = ("Service", "Pod", "EndpointSlice")

    def __init__(self, max_endpoints_per_slice: int = MAX_ENDPOINTS_PER_SLICE) -> None:
        self.max_endpoints_per_slice = max_endpoints_per_slice

    def keys_for(self, change: Change, registry: Registry) -> Iterable[str]:
        if change.kind == "Service":
            return [f"{change.namespace}/{change.name}"]
        if change.kind == "EndpointSlice":
            # A managed slice changed or went: put it right. (Its creation was ours.)
            service = _managed_service(change.object)
            if service is None or change.type == "ADDED":
                return ()
            return [f"{change.namespace}/{service}"]
        return services_for_pod_change(change, registry)

    def resync_keys(self, registry: Registry) -> Iterable[str]:
        return all_service_keys(registry)

    def reconcile(self, key: str, registry: Registry) -> Outcome:
        namespace, name = split_key(key)
        existing = registry.list(
            ENDPOINT_SLICES, namespace, label_selector=managed_selector(name)
        ).items
        try:
            service = registry.get(SERVICES, namespace, name)
        except NotFound:
            for stale in existing:
                _delete(registry, stale, "of a deleted service")
            return DONE
        if spec_of(service).get("type") == "ExternalName" or not selector_of(service):
            return DONE  # its slices, if any, are someone else's
        groups = desired_groups(service, selected_pods(registry, service))
        wanted = plan(service, existing, groups, self.max_endpoints_per_slice)
        for slot in wanted.slots:
            if slot_changed(slot, service):
                _write(registry, service, slot)
        for stale in wanted.stale:
            _delete(registry, stale, "no longer needed")
        return DONE


# -- writes --


def _slice(service: Object, slot: Slot) -> Object:
    """The slice a slot should be (with the stored one's metadata when it exists)."""
    if slot.current is not None:
        body: Object = json.loads(json.dumps(slot.current))
    else:
        name = str(meta_of(service).get("name"))
        body = {
            "apiVersion": "discovery.k8s.io/v1",
            "kind": "EndpointSlice",
            "metadata": {
                "generateName": f"{name}-",
                "namespace": meta_of(service).get("namespace"),
            },
            "addressType": slot.key[0],
        }
    meta = body["metadata"]
    meta["labels"] = slice_labels(service)
    meta["ownerReferences"] = [owner_reference(service)]
    body["endpoints"] = slot.endpoints
    if slot.ports:
        body["ports"] = slot.ports
    else:
        body.pop("ports", None)
    return body


def _write(registry: Registry, service: Object, slot: Slot) -> None:
    body = _slice(service, slot)
    namespace = str(meta_of(service).get("namespace"))
    try:
        if slot.current is None:
            written = registry.create(ENDPOINT_SLICES, namespace, body).object
        else:
            # resourceVersion is still the one read: a 409 if the slice moved meanwhile.
            name = str(meta_of(body).get("name"))
            written = registry.update(ENDPOINT_SLICES, namespace, name, lambda _: body).object
    except AlreadyExists as exc:
        raise Conflict(f"endpointslice name taken in {namespace}: {exc}") from exc
    except NotFound as exc:
        raise Conflict(f"endpointslice went away meanwhile: {exc}") from exc
    except Forbidden:
        return  # its namespace is being deleted: nothing will be served there again
    except Invalid as exc:
        service_key = f"{namespace}/{meta_of(service).get('name')}"
        message = f"Error updating Endpoint Slices for Service {service_key}: {exc}"
        EventRecorder(registry, COMPONENT).event(
            service, WARNING, "FailedToUpdateEndpointSlices", message
        )
        return
    verb = "created" if slot.current is None else "updated"
    log.info(
        "%s: %s endpointslice %s/%s (%d endpoints)",
        COMPONENT,
        verb,
        namespace,
        meta_of(written).get("name"),
        len(slot.endpoints),
    )


def _delete(registry: Registry, endpoint_slice: Object, why: str) -> None:
    meta = meta_of(endpoint_slice)
    namespace, name = str(meta.get("namespace")), str(meta.get("name"))
    options = DeleteOptions(preconditions=Preconditions(uid=meta.get("uid")))
    try:
        registry.delete(ENDPOINT_SLICES, namespace, name, options)
    except NotFound:
        return
    log.info("%s: deleted endpointslice %s/%s (%s)", COMPONENT, namespace, name, why)
