"""Which resource, namespace, object and subresource a request path names.

Kubernetes paths are ``/api/v1/...`` for the core group and ``/apis/<group>/<version>/...``
for the others; below that, ``[namespaces/<ns>/]<resource>[/<name>[/<subresource>]]``. The one
ambiguity is the Namespace resource itself: ``namespaces/foo/pods`` is the pods of ``foo``,
but ``namespaces/foo/status`` is the status subresource of the namespace ``foo``.
"""

from __future__ import annotations

from dataclasses import dataclass

from cluster.registry.errors import NotFound
from cluster.registry.resources import Resource, ResourceTable


@dataclass(frozen=True)
class Target:
    resource: Resource
    namespace: str | None
    name: str | None = None
    subresource: str | None = None

    @property
    def is_collection(self) -> bool:
        return self.name is None


def not_found() -> NotFound:
    err = NotFound("the server could not find the requested resource")
    return err


def resolve(table: ResourceTable, group: str, version: str, rest: str) -> Target:
    """Map the part of the path after the group version to a Target; NotFound if none."""
    parts = [p for p in rest.split("/") if p]
    namespace: str | None = None
    if len(parts) >= 3 and parts[0] == "namespaces":
        candidate = table.get(group, parts[2])
        if candidate is not None and candidate.version == version and candidate.namespaced:
            namespace = parts[1]
            parts = parts[2:]
    if not parts or len(parts) > 3:
        raise not_found()
    resource = table.get(group, parts[0])
    if resource is None or resource.version != version:
        raise not_found()
    name = parts[1] if len(parts) > 1 else None
    subresource = parts[2] if len(parts) > 2 else None
    if (
        subresource is not None
        and subresource not in resource.subresources
        and subresource not in (EXTRA_SUBRESOURCES.get(resource.kind, ()))
    ):
        raise not_found()
    return Target(resource, namespace, name, subresource)


# Subresources served by dedicated handlers rather than by a strategy.
EXTRA_SUBRESOURCES: dict[str, tuple[str, ...]] = {
    "Pod": ("binding", "exec", "log"),
    "ReplicationController": ("scale",),
}
