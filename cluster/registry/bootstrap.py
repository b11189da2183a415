"""What exists from a cluster's first start, as kube-apiserver's bootstrap controllers make it:
the namespaces ``default``, ``kube-system``, ``kube-public`` and ``kube-node-lease``."""

from __future__ import annotations

from cluster.registry.catalog import RESOURCES
from cluster.registry.errors import AlreadyExists
from cluster.registry.registry import Registry

SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")


def ensure_system_namespaces(registry: Registry) -> list[str]:
    """Create the system namespaces that are missing; return the names created."""
    namespaces = RESOURCES.get("", "namespaces")
    assert namespaces is not None
    created = []
    for name in SYSTEM_NAMESPACES:
        manifest = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
        try:
            registry.create(namespaces, None, manifest)
        except AlreadyExists:
            continue
        created.append(name)
    return created
