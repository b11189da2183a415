"""The strategy of a resource: the rules kube-apiserver's ``pkg/registry/<kind>/strategy.go`` holds.

A strategy never talks to storage. The generic registry (``registry.py``) calls its hooks in
kube's order: on create ``default`` -> ``prepare_for_create`` -> ``validate``; on update
``default`` -> ``prepare_for_update(new, old)`` -> ``validate_update(new, old)``. ``validate``
and ``validate_update`` never mutate; they return causes, and any cause makes the write a 422.

Subresources get their own strategy. ``StatusStrategy`` is the usual one: a write through
``/status`` may change only ``status``; everything else is taken from the stored object. The
main strategy of a kind with a status subresource does the reverse and keeps the stored
``status`` (``preserves_status``).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any, Protocol

from cluster.registry.errors import Cause
from cluster.store.protocol import Store
from cluster.store.types import Object

Undo = Callable[[], None]


class Allocator(Protocol):
    """Hands out cluster-unique values (ClusterIPs, NodePorts) that a kind's objects hold.

    Allocation records live in the store, so two API processes can never hand out the same
    value: taking one is a create that fails with AlreadyExists if another process got there
    first. ``allocate`` runs after validation and before the object is written; if the write
    then fails, the registry calls the returned undo. ``release`` runs after a successful
    delete (``new`` is None) or update, and frees what ``old`` held that ``new`` does not.
    """

    def allocate(self, store: Store, new: Object, old: Object | None, *, dry_run: bool) -> Undo: ...

    def release(self, store: Store, old: Object, new: Object | None) -> None: ...


class Strategy:
    """Defaults: any spec is fine, nothing is immutable, status is writable with the object."""

    namespaced: bool = True
    preserves_status: bool = False
    allow_create_on_update: bool = False
    # Whether a PUT without metadata.resourceVersion is accepted (last write wins).
    allow_unconditional_update: bool = True
    # Which name grammar metadata.name follows: "subdomain", "label", "dns1035" or "segment".
    name_rule: str = "subdomain"
    # Fields whose change bumps metadata.generation (the "desired state").
    generation_fields: tuple[str, ...] = ("spec",)

    # Cluster-unique values this kind's objects hold, if any (Service: ClusterIP, NodePort).
    allocator: Allocator | None = None
    # What a delete without propagationPolicy does to dependents.
    default_propagation: str = "Background"

    def default(self, obj: Object) -> None:
        """Fill in defaults in place, as kube's defaulting functions do."""

    def grace_period(self, obj: Object, requested: int | None) -> int:
        """Seconds a delete waits for the object's owner to confirm; 0 deletes at once."""
        return 0

    def holds_deletion(self, obj: Object) -> bool:
        """Whether a deleted object must stay (marked) until something finalizes it."""
        return bool((obj.get("metadata") or {}).get("finalizers"))

    def mark_deleted(self, obj: Object) -> None:
        """Adjust an object that a delete has marked but not removed (Namespace: Terminating)."""

    def prepare_for_create(self, obj: Object) -> None:
        if self.preserves_status:
            obj.pop("status", None)
            initial = self.initial_status(obj)
            if initial is not None:
                obj["status"] = initial

    def initial_status(self, obj: Object) -> dict[str, Any] | None:
        """The status a new object starts with, when the kind keeps status apart."""
        return None

    def validate(self, obj: Object) -> list[Cause]:
        return []

    def prepare_for_update(self, new: Object, old: Object) -> None:
        if self.preserves_status:
            if "status" in old:
                new["status"] = copy.deepcopy(old["status"])
            else:
                new.pop("status", None)

    def validate_update(self, new: Object, old: Object) -> list[Cause]:
        return self.validate(new)

    def warnings(self, obj: Object) -> list[str]:
        """Deprecation and best-practice warnings for the ``Warning`` header."""
        return []


class StatusStrategy(Strategy):
    """``/status``: only status changes; spec and metadata come from the stored object."""

    def __init__(self, main: Strategy) -> None:
        self.main = main
        self.namespaced = main.namespaced
        self.name_rule = main.name_rule

    def default(self, obj: Object) -> None:
        return None

    def prepare_for_create(self, obj: Object) -> None:
        return None

    def prepare_for_update(self, new: Object, old: Object) -> None:
        status = new.get("status")
        new.clear()
        new.update(copy.deepcopy(old))
        if status is None:
            new.pop("status", None)
        else:
            new["status"] = status

    def validate_update(self, new: Object, old: Object) -> list[Cause]:
        return self.validate_status(new, old)

    def validate_status(self, new: Object, old: Object) -> list[Cause]:
        return []
