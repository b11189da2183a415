"""Owners and dependents for the garbage collector's tests: an RC and pods that name it.

The pods are created directly with ``ownerReferences`` (as the RC controller would create
them), so the collector's tests need no other controller.
"""

from __future__ import annotations

from typing import Any

from cluster.controllers.garbagecollector import GarbageCollector
from cluster.registry.catalog import RESOURCES
from cluster.registry.errors import NotFound
from cluster.registry.registry import Registry
from cluster.registry.resources import Resource
from cluster.registry.vocabulary import Object


def resource(kind: str, group: str = "") -> Resource:
    found = RESOURCES.by_kind(group, kind)
    assert found is not None
    return found


RCS, PODS, NODES, LEASES = (
    resource("ReplicationController"),
    resource("Pod"),
    resource("Node"),
    resource("Lease", "coordination.k8s.io"),
)
GC = GarbageCollector()


def rc(name: str = "web", namespace: str = "default") -> Object:
    labels = {"app": name}
    return {
        "apiVersion": "v1",
        "kind": "ReplicationController",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "replicas": 0,
            "selector": labels,
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "c", "image": "busybox"}]},
            },
        },
    }


def owner_ref(owner: Object, *, block: bool = True, controller: bool = True) -> dict[str, Any]:
    return {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
        "controller": controller,
        "blockOwnerDeletion": block,
    }


def pod(name: str, *owners: dict[str, Any], namespace: str = "default", node: str = "") -> Object:
    spec: dict[str, Any] = {"containers": [{"name": "c", "image": "busybox"}]}
    if node:
        spec["nodeName"] = node
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "ownerReferences": list(owners)},
        "spec": spec,
    }


def create_rc(registry: Registry, name: str = "web") -> Object:
    return registry.create(RCS, "default", rc(name)).object


def create_pods(
    registry: Registry, owner: Object, *names: str, block: bool = True, node: str = ""
) -> list[Object]:
    return [
        registry.create(PODS, "default", pod(n, owner_ref(owner, block=block), node=node)).object
        for n in names
    ]


def find(registry: Registry, res: Resource, name: str, namespace: str = "default") -> Object | None:
    try:
        return registry.get(res, namespace if res.namespaced else None, name)
    except NotFound:
        return None


def terminating(registry: Registry, res: Resource, name: str) -> bool:
    """Whether the object is still there, marked for deletion."""
    obj = find(registry, res, name)
    return obj is not None and bool(obj["metadata"].get("deletionTimestamp"))


def finalizers(registry: Registry, res: Resource, name: str) -> list[str] | None:
    """The object's finalizers; None when it is gone."""
    obj = find(registry, res, name)
    return None if obj is None else list(obj["metadata"].get("finalizers") or [])


def pod_names(registry: Registry) -> list[str]:
    return sorted(p["metadata"]["name"] for p in registry.list(PODS, "default").items)


def owner_uids(obj: Object | None) -> list[str]:
    assert obj is not None
    return [r["uid"] for r in obj["metadata"].get("ownerReferences") or []]


def snapshot(registry: Registry) -> dict[str, str]:
    """Every collectable object's resourceVersion, to show that a reconcile wrote nothing."""
    found = {}
    for res in (RCS, PODS, NODES, LEASES):
        for obj in registry.list(res, None).items:
            meta = obj["metadata"]
            found[f"{obj['kind']}/{meta.get('namespace')}/{meta['name']}"] = meta["resourceVersion"]
    return found
