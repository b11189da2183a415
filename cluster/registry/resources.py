"""The resources Pilothouse serves: what discovery lists and what the registry routes by.

Wiring a resource is one ``Resource`` entry: its group/version/kind, plural and singular names,
scope, short names and categories (for ``kubectl get po`` and ``kubectl get all``), its
strategy, and the strategies of its subresources.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cluster.registry.strategy import Strategy

ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")


@dataclass(frozen=True)
class Resource:
    group: str
    version: str
    kind: str
    plural: str
    singular: str
    strategy: Strategy
    namespaced: bool = True
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    verbs: tuple[str, ...] = ALL_VERBS
    subresources: dict[str, Strategy] = field(default_factory=dict)
    # Whether DELETE answers with the deleted object (kube's ReturnDeletedObject) rather than
    # a Success Status; objects whose deletion is still pending are always returned.
    return_deleted_object: bool = False

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def list_kind(self) -> str:
        return self.kind + "List"

    @property
    def group_resource(self) -> str:
        """``pods`` or ``leases.coordination.k8s.io``, as kube names resources in messages."""
        return f"{self.plural}.{self.group}" if self.group else self.plural


class ResourceTable:
    """Lookup of resources by (group, plural) and by kind."""

    def __init__(self, resources: list[Resource]) -> None:
        self._by_plural = {(r.group, r.plural): r for r in resources}
        self._by_kind = {(r.group, r.kind): r for r in resources}
        self.all = list(resources)

    def get(self, group: str, plural: str) -> Resource | None:
        return self._by_plural.get((group, plural))

    def by_kind(self, group: str, kind: str) -> Resource | None:
        return self._by_kind.get((group, kind))

    def of_kind(self, kind: str, group: str = "") -> Resource:
        """The resource serving ``kind``, for code that knows it exists (LookupError if not)."""
        found = self._by_kind.get((group, kind))
        if found is None:
            raise LookupError(f"no resource serves kind {kind!r} in group {group!r}")
        return found

    def groups(self) -> dict[str, list[str]]:
        """Every API group (core is "") with its versions."""
        found: dict[str, list[str]] = {}
        for r in self.all:
            versions = found.setdefault(r.group, [])
            if r.version not in versions:
                versions.append(r.version)
        return found

    def in_group_version(self, group: str, version: str) -> list[Resource]:
        return [r for r in self.all if r.group == group and r.version == version]
