"""Which pods back a Service, and on which ports: what the Endpoints and EndpointSlice
controllers share.

Both controllers answer the same questions, as kube's ``pkg/controller/util/endpoint`` and
``endpointslice/util`` answer them for its two controllers: which pods a Service's selector
matches, whether a pod belongs in its endpoints at all (kube's ShouldPodBeInEndpoints), what
port of the pod a Service port resolves to (FindPort), which of a pod's IPs to publish, and
which Services a pod change concerns. Everything here is a pure function of the objects,
except the two reads that list pods and services.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from cluster.registry.catalog import RESOURCES
from cluster.registry.reconcile import Change
from cluster.registry.registry import Registry
from cluster.registry.vocabulary import LabelRequirement, LabelSelector, Object

HEADLESS_LABEL = "service.kubernetes.io/headless"

SERVICES = RESOURCES.of_kind("Service")
PODS = RESOURCES.of_kind("Pod")


def meta_of(obj: Object | None) -> dict[str, Any]:
    return (obj or {}).get("metadata") or {}


def spec_of(obj: Object | None) -> dict[str, Any]:
    return (obj or {}).get("spec") or {}


def status_of(obj: Object | None) -> dict[str, Any]:
    return (obj or {}).get("status") or {}


def selector_of(service: Object) -> dict[str, str]:
    """The Service's selector; empty when it has none (kube treats an empty one alike)."""
    selector = spec_of(service).get("selector")
    return {str(k): str(v) for k, v in selector.items()} if isinstance(selector, dict) else {}


def selects(selector: dict[str, str], labels: Any) -> bool:
    labels = labels if isinstance(labels, dict) else {}
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def is_headless(service: Object) -> bool:
    """Kube's ``!IsServiceIPSet``: no ClusterIP, or ``None``."""
    return str(spec_of(service).get("clusterIP") or "") in ("", "None")


def is_ready(pod: Object) -> bool:
    return any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in status_of(pod).get("conditions") or []
        if isinstance(c, dict)
    )


def should_be_in_endpoints(pod: Object, *, include_terminating: bool) -> bool:
    """Kube's ShouldPodBeInEndpoints: not terminated, has an IP, not being deleted."""
    status = status_of(pod)
    if status.get("phase") in ("Succeeded", "Failed"):
        return False
    if not status.get("podIP") and not status.get("podIPs"):
        return False
    return include_terminating or not meta_of(pod).get("deletionTimestamp")


def find_port(pod: Object, service_port: dict[str, Any]) -> int | None:
    """The pod's port for ``service_port``: its targetPort, by number or by container port name.

    Named ports are looked up in the containers, then in sidecars (init containers that keep
    running), matching the Service port's protocol, as kube's FindPort does.
    """
    target = service_port.get("targetPort")
    if target is None or target == "":
        target = service_port.get("port")
    if isinstance(target, int) and not isinstance(target, bool):
        return target
    protocol = service_port.get("protocol") or "TCP"
    spec = spec_of(pod)
    containers = list(spec.get("containers") or [])
    containers += [
        c for c in spec.get("initContainers") or [] if c.get("restartPolicy") == "Always"
    ]
    for container in containers:
        for port in container.get("ports") or []:
            if port.get("name") == target and (port.get("protocol") or "TCP") == protocol:
                number = port.get("containerPort")
                return number if isinstance(number, int) else None
    return None


def ip_version(ip: str) -> int:
    return 6 if ":" in ip else 4


def pod_ips(pod: Object) -> list[str]:
    """The pod's IPs, primary first (``podIPs``, or ``podIP`` alone from an older writer)."""
    status = status_of(pod)
    ips = [str(i.get("ip")) for i in status.get("podIPs") or [] if isinstance(i, dict)]
    return ips or ([str(status["podIP"])] if status.get("podIP") else [])


def should_set_hostname(pod: Object, service: Object) -> bool:
    """Kube's ShouldSetHostname: the pod names a hostname and the Service as its subdomain."""
    spec = spec_of(pod)
    return bool(spec.get("hostname")) and spec.get("subdomain") == meta_of(service).get("name")


def target_ref(pod: Object) -> dict[str, Any]:
    meta = meta_of(pod)
    return {
        "kind": "Pod",
        "namespace": meta.get("namespace"),
        "name": meta.get("name"),
        "uid": meta.get("uid"),
    }


def service_ports(service: Object) -> list[dict[str, Any]]:
    return [p for p in spec_of(service).get("ports") or [] if isinstance(p, dict)]


def endpoints_labels(service: Object) -> dict[str, str]:
    """The labels a Service's endpoints carry: its own, plus kube's headless marker."""
    labels = dict(meta_of(service).get("labels") or {})
    if is_headless(service):
        labels[HEADLESS_LABEL] = ""
    else:
        labels.pop(HEADLESS_LABEL, None)
    return labels


def selected_pods(registry: Registry, service: Object) -> list[Object]:
    """The pods of the Service's namespace its (non-empty) selector matches."""
    selector = selector_of(service)
    requirements = tuple(LabelRequirement(k, "=", (v,)) for k, v in sorted(selector.items()))
    namespace = str(meta_of(service).get("namespace") or "")
    return registry.list(PODS, namespace, label_selector=LabelSelector(requirements)).items


# -- which Services a pod change concerns --


def _endpoints_relevant(pod: Object | None) -> str:
    """What of a pod can change its endpoints; a change to anything else concerns no Service."""
    meta, spec, status = meta_of(pod), spec_of(pod), status_of(pod)
    return json.dumps(
        [
            meta.get("uid"),
            meta.get("labels"),
            bool(meta.get("deletionTimestamp")),
            spec.get("nodeName"),
            spec.get("hostname"),
            spec.get("subdomain"),
            [c.get("ports") for c in spec.get("containers") or []],
            [c.get("ports") for c in spec.get("initContainers") or []],
            status.get("phase"),
            status.get("podIP"),
            status.get("podIPs"),
            is_ready(pod or {}),
        ],
        sort_keys=True,
        default=str,
    )


def _pod_change_shows(change: Change) -> bool:
    """Whether a pod change can show in any endpoints (most, such as binding, cannot)."""
    if not any(status_of(pod).get("podIP") for pod in (change.object, change.old)):
        return False  # without an address a pod is in no endpoints, before or after
    if change.type == "DELETED":
        return True
    return _endpoints_relevant(change.old) != _endpoints_relevant(change.object)


def _services_in(change: Change, registry: Registry) -> Iterable[Object]:
    """The Services of the change's namespace: the dispatcher's copy when it has one."""
    if change.cache is not None:
        return change.cache.objects(SERVICES.kind, change.namespace)
    return registry.list(SERVICES, change.namespace).items


def services_for_pod_change(change: Change, registry: Registry) -> list[str]:
    """``namespace/name`` of the Services whose selector matches the pod's new or old labels,
    when the change can show in their endpoints."""
    if not _pod_change_shows(change):
        return []
    labels = [meta_of(change.object).get("labels"), meta_of(change.old).get("labels")]
    return [
        f"{change.namespace}/{meta_of(service).get('name')}"
        for service in _services_in(change, registry)
        if any(selects(selector_of(service), lbls) for lbls in labels)
    ]


def all_service_keys(registry: Registry) -> list[str]:
    return [
        f"{meta_of(s).get('namespace')}/{meta_of(s).get('name')}"
        for s in registry.list(SERVICES, None).items
    ]
