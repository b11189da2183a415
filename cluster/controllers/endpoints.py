"""Endpoints: the addresses behind each Service, as kube's endpoints controller writes them.

For every Service with a selector there is an Endpoints object of the same namespace and
name, listing the pods the selector matches that have an IP, have not terminated and are not
being deleted: ready pods (condition Ready=True) under ``addresses``, the others under
``notReadyAddresses`` (all under ``addresses`` when the Service publishes not-ready
addresses), each with its IP, node name and a ``targetRef`` to the pod. Each Service port is
resolved per pod: a numeric ``targetPort`` as is, a named one through the pod's container
ports (a pod without that port is left out of that port). Subsets are packed as kube's
``RepackSubsets`` packs them: addresses that serve the same ports share a subset, sorted, so
the same pods always give the same object and an unchanged Service is never rewritten.

The object carries the Service's labels, plus ``service.kubernetes.io/headless`` for a
headless Service. A Service without a selector (its endpoints are written by hand) and an
ExternalName Service are left alone; a deleted Service takes its Endpoints with it, and
Endpoints deleted under a live Service are written again. Which pods back a Service and on
which ports is ``cluster.controllers.servicebackends``, shared with the EndpointSlice
controller.
"""

from __future__ import annotations

import ipaddress
import json
import logging
from collections.abc import Iterable
from typing import Any

from cluster.controllers.servicebackends import (
    SERVICES,
    all_service_keys,
    endpoints_labels,
    find_port,
    ip_version,
    is_headless,
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
from cluster.registry.vocabulary import Object

log = logging.getLogger(__name__)

COMPONENT = "endpoint-controller"

Address = dict[str, Any]
PortKey = tuple[str, int, str, str]
"""An endpoint port as a value: name, port, protocol, appProtocol ("" when unset)."""
_NO_PORTS: PortKey = ("", -1, "", "")
"""Stands for "no ports" (a headless Service without any), as kube's repacking does."""


ENDPOINTS = RESOURCES.of_kind("Endpoints")


def _family(service: Object) -> int | None:
    spec = spec_of(service)
    families = spec.get("ipFamilies") or []
    if families:
        return 6 if families[0] == "IPv6" else 4
    try:
        return ipaddress.ip_address(str(spec.get("clusterIP") or "")).version
    except ValueError:
        return None


def _pod_ip(pod: Object, family: int | None) -> str:
    """The pod's IP of the Service's family (its first IP when the family is unknown)."""
    for ip in pod_ips(pod):
        if family is None or ip_version(ip) == family:
            return ip
    return ""


def endpoint_address(pod: Object, service: Object) -> Address | None:
    ip = _pod_ip(pod, _family(service))
    if not ip:
        return None
    address: Address = {"ip": ip}
    if should_set_hostname(pod, service):
        address["hostname"] = spec_of(pod)["hostname"]
    if spec_of(pod).get("nodeName"):
        address["nodeName"] = spec_of(pod)["nodeName"]
    address["targetRef"] = target_ref(pod)
    return address


def _port_key(service_port: dict[str, Any], number: int) -> PortKey:
    return (
        str(service_port.get("name") or ""),
        number,
        str(service_port.get("protocol") or "TCP"),
        str(service_port.get("appProtocol") or ""),
    )


def _port(key: PortKey) -> dict[str, Any]:
    name, number, protocol, app_protocol = key
    port: dict[str, Any] = {"name": name} if name else {}
    port.update(port=number, protocol=protocol)
    if app_protocol:
        port["appProtocol"] = app_protocol
    return port


def _address_order(address: Address) -> tuple[bytes, str]:
    # Kube compares the IP text byte by byte, then the pod uid.
    return str(address["ip"]).encode(), str(address["targetRef"].get("uid") or "")


class _Packer:
    """Kube's RepackSubsets: gather (address, port, ready), then group ports by address set."""

    def __init__(self) -> None:
        self.addresses: dict[tuple[str, str], Address] = {}
        self.by_port: dict[PortKey, dict[tuple[str, str], bool]] = {}

    def add(self, address: Address, port: PortKey, ready: bool) -> None:
        key = (str(address["ip"]), str(address["targetRef"].get("uid") or ""))
        self.addresses.setdefault(key, address)
        served = self.by_port.setdefault(port, {})
        served[key] = served.get(key, True) and ready  # not ready wins

    def subsets(self) -> list[dict[str, Any]]:
        groups: dict[frozenset[tuple[tuple[str, str], bool]], list[PortKey]] = {}
        for port, served in self.by_port.items():
            groups.setdefault(frozenset(served.items()), []).append(port)
        subsets = [self._subset(members, ports) for members, ports in groups.items()]
        return sorted(subsets, key=lambda s: json.dumps(s, sort_keys=True))

    def _subset(
        self, members: frozenset[tuple[tuple[str, str], bool]], ports: list[PortKey]
    ) -> dict[str, Any]:
        subset: dict[str, Any] = {}
        for field, wanted in (("addresses", True), ("notReadyAddresses", False)):
            found = [self.addresses[key] for key, ready in members if ready is wanted]
            if found:
                subset[field] = sorted(found, key=_address_order)
        real = sorted(p for p in ports if p != _NO_PORTS)
        if real:
            subset["ports"] = [_port(p) for p in real]
        return subset


def desired_subsets(service: Object, pods: Iterable[Object]) -> list[dict[str, Any]]:
    """The subsets the Service's Endpoints should have, given the pods its selector matches."""
    spec = spec_of(service)
    publish = bool(spec.get("publishNotReadyAddresses"))
    ports = service_ports(service)
    packer = _Packer()
    for pod in pods:
        if not should_be_in_endpoints(pod, include_terminating=publish):
            continue
        address = endpoint_address(pod, service)
        if address is None:
            continue
        ready = publish or is_ready(pod)
        if not ports:
            if is_headless(service):  # a headless Service may have no ports at all
                packer.add(address, _NO_PORTS, ready)
            continue
        for service_port in ports:
            number = find_port(pod, service_port)
            if number is not None:
                packer.add(address, _port_key(service_port, number), ready)
    return packer.subsets()


class EndpointsController:
    """Keyed by the Service's ``namespace/name``."""

    name = "endpoints"
    kinds: tuple[str, ...] = ("Service", "Pod", "Endpoints")

    def keys_for(self, change: Change, registry: Registry) -> Iterable[str]:
        key = f"{change.namespace}/{change.name}"
        if change.kind == "Service":
            return [key]
        if change.kind == "Endpoints":
            return [key] if change.type == "DELETED" else ()
        return services_for_pod_change(change, registry)

    def resync_keys(self, registry: Registry) -> Iterable[str]:
        return all_service_keys(registry)

    def reconcile(self, key: str, registry: Registry) -> Outcome:
        namespace, name = split_key(key)
        try:
            service = registry.get(SERVICES, namespace, name)
        except NotFound:
            self._delete(registry, namespace, name)
            return DONE
        selector = selector_of(service)
        if spec_of(service).get("type") == "ExternalName" or not selector:
            return DONE  # its endpoints, if any, are someone else's
        pods = selected_pods(registry, service)
        subsets, labels = desired_subsets(service, pods), endpoints_labels(service)
        try:
            current: Object | None = registry.get(ENDPOINTS, namespace, name)
        except NotFound:
            current = None
        if current is None:
            self._create(registry, service, subsets, labels)
        elif (current.get("subsets") or []) != subsets or (
            meta_of(current).get("labels") or {}
        ) != labels:
            self._update(registry, service, current, subsets, labels)
        return DONE

    # -- writes --

    @staticmethod
    def _delete(registry: Registry, namespace: str, name: str) -> None:
        try:
            registry.delete(ENDPOINTS, namespace, name, DeleteOptions())
        except NotFound:
            return
        log.info("%s: deleted endpoints %s/%s of a deleted service", COMPONENT, namespace, name)

    def _create(
        self,
        registry: Registry,
        service: Object,
        subsets: list[dict[str, Any]],
        labels: dict[str, str],
    ) -> None:
        namespace, name = meta_of(service).get("namespace"), str(meta_of(service).get("name"))
        endpoints: Object = {
            "apiVersion": "v1",
            "kind": "Endpoints",
            "metadata": {"name": name, "namespace": namespace},
        }
        if labels:
            endpoints["metadata"]["labels"] = labels
        if subsets:
            endpoints["subsets"] = subsets
        try:
            registry.create(ENDPOINTS, namespace, endpoints)
        except AlreadyExists as exc:
            raise Conflict(f"endpoints {namespace}/{name} appeared meanwhile") from exc
        except Forbidden:
            return  # its namespace is being deleted: nothing will be served there again
        except Invalid as exc:
            self._failed(
                registry,
                endpoints,
                f"Failed to create endpoint for service {namespace}/{name}: {exc}",
            )
            return
        log.info("%s: created endpoints %s/%s (%s)", COMPONENT, namespace, name, _count(subsets))

    def _update(
        self,
        registry: Registry,
        service: Object,
        current: Object,
        subsets: list[dict[str, Any]],
        labels: dict[str, str],
    ) -> None:
        namespace, name = meta_of(service).get("namespace"), str(meta_of(service).get("name"))
        seen = meta_of(current).get("resourceVersion")

        def rewrite(endpoints: Object) -> Object:
            meta = endpoints.setdefault("metadata", {})
            meta["resourceVersion"] = seen  # compared with the stored one: 409 if it moved
            if labels:
                meta["labels"] = labels
            else:
                meta.pop("labels", None)
            if subsets:
                endpoints["subsets"] = subsets
            else:
                endpoints.pop("subsets", None)
            return endpoints

        try:
            registry.update(ENDPOINTS, namespace, name, rewrite)
        except NotFound as exc:
            raise Conflict(f"endpoints {namespace}/{name} went away meanwhile") from exc
        except Invalid as exc:
            self._failed(registry, current, f"Failed to update endpoint {namespace}/{name}: {exc}")
            return
        log.info("%s: updated endpoints %s/%s (%s)", COMPONENT, namespace, name, _count(subsets))

    @staticmethod
    def _failed(registry: Registry, endpoints: Object, message: str) -> None:
        reason = (
            "FailedToUpdateEndpoint" if meta_of(endpoints).get("uid") else "FailedToCreateEndpoint"
        )
        EventRecorder(registry, COMPONENT).event(endpoints, WARNING, reason, message)


def _count(subsets: list[dict[str, Any]]) -> str:
    """Addresses, each counted once however many subsets it is in: "2 ready, 1 not ready"."""
    ready = {a["ip"] for s in subsets for a in s.get("addresses") or []}
    not_ready = {a["ip"] for s in subsets for a in s.get("notReadyAddresses") or []}
    return f"{len(ready)} ready, {len(not_ready)} not ready"
