"""Owner identities and ``metadata.ownerReferences``, as the garbage collector reads them.

An owner reference names its owner by kind, name and uid; the owner lives in its dependent's
namespace, or is cluster-scoped. The collector must be able to talk about an owner that is
already gone, so it keys its work by the place the owner lives (or lived): an ``Identity``,
written ``Kind[.group]/namespace/name`` (namespace empty for a cluster-scoped kind). Whether a
reference still holds is then a question of uids: the object at that identity must carry the
reference's uid; one with the same name and another uid is a different object.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from cluster.registry.catalog import RESOURCES
from cluster.registry.errors import NotFound
from cluster.registry.registry import FOREGROUND_FINALIZER, ORPHAN_FINALIZER, Registry
from cluster.registry.resources import Resource
from cluster.registry.vocabulary import Object

Reference = dict[str, Any]


class OwnerState(Enum):
    """What a dependent's reference finds at its owner's identity."""

    ABSENT = "absent"  # no object with the reference's uid: the reference dangles
    WAITING = "waiting"  # deleted in the foreground: waits for its blocking dependents
    ORPHANING = "orphaning"  # deleted with propagation Orphan: dependents are being released
    PRESENT = "present"


@dataclass(frozen=True, eq=False)
class Identity:
    """Where an object lives: its resource, namespace ("" when cluster-scoped) and name.

    Two identities are equal when their keys are (a Resource itself is not hashable).
    """

    resource: Resource
    namespace: str
    name: str

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Identity) and other.key == self.key

    def __hash__(self) -> int:
        return hash(self.key)

    @property
    def key(self) -> str:
        kind = self.resource.kind
        group_kind = f"{kind}.{self.resource.group}" if self.resource.group else kind
        return f"{group_kind}/{self.namespace}/{self.name}"

    def __str__(self) -> str:
        where = f"{self.namespace}/{self.name}" if self.namespace else self.name
        return f"{self.resource.kind} {where}"

    def get(self, registry: Registry) -> Object | None:
        """The object living here now, or None."""
        try:
            return registry.get(self.resource, self.namespace or None, self.name)
        except NotFound:
            return None


def parse_key(key: str) -> Identity | None:
    """The identity ``key`` names; None if it names no resource Pilothouse serves."""
    parts = key.split("/", 2)
    if len(parts) != 3:
        return None
    group_kind, namespace, name = parts
    kind, _, group = group_kind.partition(".")
    resource = RESOURCES.by_kind(group, kind)
    if resource is None or not name or bool(namespace) != resource.namespaced:
        return None
    return Identity(resource, namespace, name)


def _group_of(api_version: object) -> str:
    return str(api_version or "").rpartition("/")[0]


def meta_of(obj: Object) -> dict[str, Any]:
    meta = obj.get("metadata")
    return meta if isinstance(meta, dict) else {}


def uid_of(obj: Object) -> str:
    return str(meta_of(obj).get("uid") or "")


def identity_of(obj: Object) -> Identity | None:
    """The identity of a stored object (None for a kind Pilothouse does not serve)."""
    resource = RESOURCES.by_kind(_group_of(obj.get("apiVersion")), str(obj.get("kind") or ""))
    if resource is None:
        return None
    meta = meta_of(obj)
    namespace = str(meta.get("namespace") or "") if resource.namespaced else ""
    return Identity(resource, namespace, str(meta.get("name") or ""))


def references(obj: Object) -> list[Reference]:
    refs = meta_of(obj).get("ownerReferences")
    return [r for r in refs if isinstance(r, dict)] if isinstance(refs, list) else []


def owner_identity(ref: Reference, dependent: Object) -> Identity | None:
    """Where the owner ``ref`` names lives; None if the reference cannot be resolved.

    Unresolvable are references to kinds Pilothouse does not serve and, as in kube, a
    cluster-scoped dependent's reference to a namespaced kind: such a reference neither keeps
    its dependent alive nor lets it be collected.
    """
    resource = RESOURCES.by_kind(_group_of(ref.get("apiVersion")), str(ref.get("kind") or ""))
    if resource is None or not ref.get("name") or not ref.get("uid"):
        return None
    if not resource.namespaced:
        return Identity(resource, "", str(ref["name"]))
    namespace = str(meta_of(dependent).get("namespace") or "")
    return Identity(resource, namespace, str(ref["name"])) if namespace else None


def is_deleting(obj: Object, finalizer: str) -> bool:
    """Whether ``obj`` is marked for deletion and held by ``finalizer``."""
    meta = meta_of(obj)
    return bool(meta.get("deletionTimestamp")) and finalizer in (meta.get("finalizers") or [])


def awaits_collector(obj: Object) -> bool:
    """Whether ``obj`` is deleted and held by a finalizer only the collector removes."""
    return is_deleting(obj, FOREGROUND_FINALIZER) or is_deleting(obj, ORPHAN_FINALIZER)


def state_of(current: Object | None, uid: str) -> OwnerState:
    """What a reference with ``uid`` finds in ``current``, the object at its owner's identity."""
    if current is None or uid_of(current) != uid:
        return OwnerState.ABSENT
    if is_deleting(current, FOREGROUND_FINALIZER):
        return OwnerState.WAITING
    if is_deleting(current, ORPHAN_FINALIZER):
        return OwnerState.ORPHANING
    return OwnerState.PRESENT


def blocks(ref: Reference) -> bool:
    return ref.get("blockOwnerDeletion") is True
