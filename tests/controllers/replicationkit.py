"""RCs, pods and pod states for the ReplicationController manager's tests.

The tests call ``ReplicationManager.reconcile`` by hand, as a worker would, against the real
registry and store; these helpers make the objects and move pods through the states the
scheduler and a node would put them in (bound, Running, Ready), through the same
subresources those write with.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from cluster.controllers.replication import ReplicationManager
from cluster.registry.catalog import RESOURCES
from cluster.registry.registry import Registry
from cluster.registry.resources import Resource
from cluster.registry.subresources import bind_pod
from cluster.registry.vocabulary import Object


def resource(kind: str) -> Resource:
    found = RESOURCES.by_kind("", kind)
    assert found is not None
    return found


RCS, PODS, EVENTS = resource("ReplicationController"), resource("Pod"), resource("Event")
MANAGER = ReplicationManager()
NS = "default"
LABELS = {"app": "web"}


def rc(
    name: str = "web",
    *,
    replicas: int = 3,
    labels: dict[str, str] | None = None,
    selector: dict[str, str] | None = None,
    **spec: Any,
) -> Object:
    template_labels = dict(LABELS if labels is None else labels)
    body: dict[str, Any] = {
        "replicas": replicas,
        "selector": dict(selector or template_labels),
        "template": {
            "metadata": {"labels": template_labels, "annotations": {"team": "blue"}},
            "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]},
        },
    }
    body.update(spec)
    return {
        "apiVersion": "v1",
        "kind": "ReplicationController",
        "metadata": {"name": name, "namespace": NS},
        "spec": body,
    }


def pod(name: str, labels: dict[str, str] | None = None, **meta: Any) -> Object:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": NS, "labels": dict(labels or LABELS), **meta},
        "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]},
    }


def create_rc(registry: Registry, name: str = "web", **kwargs: Any) -> Object:
    return registry.create(RCS, NS, rc(name, **kwargs)).object


def get_rc(registry: Registry, name: str = "web") -> Object:
    return registry.get(RCS, NS, name)


def set_replicas(registry: Registry, replicas: int, name: str = "web") -> None:
    def scale(obj: Object) -> Object:
        obj["spec"]["replicas"] = replicas
        return obj

    registry.update(RCS, NS, name, scale)


def pods(registry: Registry) -> list[Object]:
    return registry.list(PODS, NS).items


def active_pods(registry: Registry) -> list[Object]:
    return [p for p in pods(registry) if not p["metadata"].get("deletionTimestamp")]


def controller_uid(obj: Object) -> str | None:
    for ref in obj["metadata"].get("ownerReferences") or []:
        if ref.get("controller"):
            return str(ref["uid"])
    return None


def owned_by(registry: Registry, owner: Object) -> list[Object]:
    return [p for p in active_pods(registry) if controller_uid(p) == owner["metadata"]["uid"]]


def events(registry: Registry, reason: str) -> list[Object]:
    return [e for e in registry.list(EVENTS, NS).items if e["reason"] == reason]


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def ago(seconds: float) -> str:
    return stamp(datetime.now(UTC) - timedelta(seconds=seconds))


def bind(registry: Registry, name: str, node: str = "node-a") -> None:
    bind_pod(registry, NS, name, {"target": {"kind": "Node", "name": node}})


def report(
    registry: Registry,
    name: str,
    *,
    phase: str = "Running",
    ready: bool = False,
    ready_since: str | None = None,
    restarts: int = 0,
) -> None:
    """Write a pod's status as its node would: phase, Ready condition, restart count."""

    def write(obj: Object) -> Object:
        status = obj.setdefault("status", {})
        status["phase"] = phase
        status["conditions"] = [
            {
                "type": "Ready",
                "status": "True" if ready else "False",
                "lastTransitionTime": ready_since or ago(0),
            }
        ]
        status["containerStatuses"] = [
            {
                "name": "web",
                "image": "nginx:1.27",
                "imageID": "",
                "ready": ready,
                "restartCount": restarts,
                "started": True,
                "state": {"running": {"startedAt": ago(60)}},
            }
        ]
        return obj

    registry.update(PODS, NS, name, write, subresource="status")


def resource_versions(registry: Registry) -> dict[str, str]:
    """Every RC's, pod's and event's resourceVersion, to show that a reconcile wrote nothing."""
    found = {}
    for res in (RCS, PODS, EVENTS):
        for obj in registry.list(res, NS).items:
            found[f"{obj['kind']}/{obj['metadata']['name']}"] = obj["metadata"]["resourceVersion"]
    return found
