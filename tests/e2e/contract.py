"""The per-resource data of the contract suite (``test_contract.py``).

Each ``Resource`` says how to reach a kind over REST and gives a valid manifest, a change
for an update, an invalid manifest with the causes kube reports for it, and the few ways
kinds differ in kube-apiserver (what DELETE answers, whether the collection can be deleted).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.e2e import manifests
from tests.e2e.manifests import Manifest

Path = tuple[str | int, ...]

DNS1123_LABEL = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
    "and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', "
    "regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
DNS1123_SUBDOMAIN = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' "
    "or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex "
    r"used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)


def dig(obj: Any, path: Path) -> Any:
    for step in path:
        obj = obj[step]
    return obj


def put(obj: Any, path: Path, value: Any) -> None:
    dig(obj, path[:-1])[path[-1]] = value


@dataclass(frozen=True)
class Cause:
    reason: str
    message: str
    field: str

    def body(self) -> dict[str, str]:
        return {"reason": self.reason, "message": self.message, "field": self.field}


@dataclass(frozen=True)
class Resource:
    kind: str
    plural: str
    make: Callable[[str, str], Manifest]  # (name, namespace) -> a valid manifest
    update: tuple[Path, Any]  # a field an update changes, and its new value
    invalid: Callable[[str, str], Manifest]  # (name, namespace) -> an invalid manifest
    causes: tuple[Cause, ...]  # what kube says about ``invalid``
    group: str = ""
    namespaced: bool = True
    # kube-apiserver answers DELETE with the object for these, with a Success Status otherwise.
    returns_deleted_object: bool = False
    deletecollection: bool = True
    # Namespaces are not removed by DELETE but marked Terminating for their controller.
    deleted_at_once: bool = True
    # What a DELETE without options leaves for the garbage collector: core/v1 RCs default to
    # orphaning their pods, as before server-side garbage collection.
    default_finalizers: tuple[str, ...] = ()
    subresources: tuple[str, ...] = field(default=())

    @property
    def id(self) -> str:
        return self.plural

    @property
    def api_version(self) -> str:
        return f"{self.group}/v1" if self.group else "v1"

    @property
    def group_resource(self) -> str:
        return f"{self.plural}.{self.group}" if self.group else self.plural

    def collection(self, namespace: str) -> str:
        prefix = f"/apis/{self.group}/v1" if self.group else "/api/v1"
        scope = f"/namespaces/{namespace}" if self.namespaced else ""
        return f"{prefix}{scope}/{self.plural}"

    def object_path(self, namespace: str, name: str) -> str:
        return f"{self.collection(namespace)}/{name}"

    def details(self, name: str) -> dict[str, str]:
        """``details`` of a Status about one object of this resource (kind = the plural)."""
        found = {"name": name, "kind": self.plural}
        if self.group:
            found["group"] = self.group
        return found

    def manifest(self, name: str, namespace: str, **labels: str) -> Manifest:
        obj = copy.deepcopy(self.make(name, namespace))
        obj["metadata"].setdefault("labels", {}).update(labels)
        return obj


def _pod_without_image(name: str, namespace: str) -> Manifest:
    pod = manifests.pod(name)
    del pod["spec"]["containers"][0]["image"]
    return pod


def _service_without_ports(name: str, namespace: str) -> Manifest:
    svc = manifests.service(name)
    del svc["spec"]["ports"]
    return svc


def _rc_with_negative_replicas(name: str, namespace: str) -> Manifest:
    return manifests.replication_controller(name, replicas=-1)


def _endpoints_with_a_bad_ip(name: str, namespace: str) -> Manifest:
    return manifests.endpoints(name, ip="not-an-ip")


def _event_elsewhere(name: str, namespace: str) -> Manifest:
    event = manifests.event(name, namespace)
    event["involvedObject"]["namespace"] = "other"
    return event


def _lease_of_no_duration(name: str, namespace: str) -> Manifest:
    lease = manifests.lease(name)
    lease["spec"]["leaseDurationSeconds"] = 0
    return lease


def _endpoint_slice_of_no_type(name: str, namespace: str) -> Manifest:
    endpoint_slice = manifests.endpoint_slice(name)
    endpoint_slice["addressType"] = "IPv5"
    return endpoint_slice


RESOURCES = [
    Resource(
        kind="Pod",
        plural="pods",
        make=lambda name, ns: manifests.pod(name),
        update=(("spec", "containers", 0, "image"), "nginx:1.26"),
        invalid=_pod_without_image,
        causes=(Cause("FieldValueRequired", "Required value", "spec.containers[0].image"),),
        returns_deleted_object=True,
        subresources=("status",),
    ),
    Resource(
        kind="Service",
        plural="services",
        make=lambda name, ns: manifests.service(name),
        update=(("spec", "selector"), {"app": "changed"}),
        invalid=_service_without_ports,
        causes=(Cause("FieldValueRequired", "Required value", "spec.ports"),),
        returns_deleted_object=True,
        subresources=("status",),
    ),
    Resource(
        kind="ReplicationController",
        plural="replicationcontrollers",
        make=lambda name, ns: manifests.replication_controller(name),
        update=(("spec", "replicas"), 5),
        invalid=_rc_with_negative_replicas,
        causes=(
            Cause(
                "FieldValueInvalid",
                "Invalid value: -1: must be greater than or equal to 0",
                "spec.replicas",
            ),
        ),
        default_finalizers=("orphan",),
        subresources=("status", "scale"),
    ),
    Resource(
        kind="Endpoints",
        plural="endpoints",
        make=lambda name, ns: manifests.endpoints(name),
        update=(("subsets", 0, "addresses", 0, "ip"), "10.244.2.7"),
        invalid=_endpoints_with_a_bad_ip,
        # kube checks the address twice (as an IP, then as a non-special IP) and says so twice.
        causes=(
            Cause(
                "FieldValueInvalid",
                'Invalid value: "not-an-ip": must be a valid IP address, (e.g. 10.9.8.7 or '
                "2001:db8::ffff)",
                "subsets[0].addresses[0].ip",
            ),
            Cause(
                "FieldValueInvalid",
                'Invalid value: "not-an-ip": must be a valid IP address',
                "subsets[0].addresses[0].ip",
            ),
        ),
    ),
    Resource(
        kind="Event",
        plural="events",
        make=manifests.event,
        update=(("message",), "Rescheduled"),
        invalid=_event_elsewhere,
        causes=(
            Cause(
                "FieldValueInvalid",
                'Invalid value: "other": does not match event.namespace',
                "involvedObject.namespace",
            ),
        ),
    ),
    Resource(
        kind="Namespace",
        plural="namespaces",
        make=lambda name, ns: manifests.namespace(name),
        update=(("metadata", "annotations"), {"owner": "team-a"}),
        invalid=lambda name, ns: manifests.namespace("Bad_NS"),
        causes=(
            Cause(
                "FieldValueInvalid", f'Invalid value: "Bad_NS": {DNS1123_LABEL}', "metadata.name"
            ),
        ),
        namespaced=False,
        returns_deleted_object=True,
        deletecollection=False,
        deleted_at_once=False,
        subresources=("status", "finalize"),
    ),
    Resource(
        kind="Node",
        plural="nodes",
        make=lambda name, ns: manifests.node(name),
        update=(("spec", "unschedulable"), True),
        invalid=lambda name, ns: manifests.node("Bad_Node"),
        causes=(
            Cause(
                "FieldValueInvalid",
                f'Invalid value: "Bad_Node": {DNS1123_SUBDOMAIN}',
                "metadata.name",
            ),
        ),
        namespaced=False,
        subresources=("status",),
    ),
    Resource(
        kind="Lease",
        plural="leases",
        group="coordination.k8s.io",
        make=lambda name, ns: manifests.lease(name),
        update=(("spec", "holderIdentity"), "worker-2"),
        invalid=_lease_of_no_duration,
        causes=(
            Cause(
                "FieldValueInvalid",
                "Invalid value: 0: must be greater than 0",
                "spec.leaseDurationSeconds",
            ),
        ),
    ),
    Resource(
        kind="EndpointSlice",
        plural="endpointslices",
        group="discovery.k8s.io",
        make=lambda name, ns: manifests.endpoint_slice(name),
        update=(("endpoints", 0, "addresses", 0), "10.244.2.7"),
        invalid=_endpoint_slice_of_no_type,
        causes=(
            Cause(
                "FieldValueNotSupported",
                'Unsupported value: "IPv5": supported values: "FQDN", "IPv4", "IPv6"',
                "addressType",
            ),
        ),
    ),
]
