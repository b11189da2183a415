"""Subresources with their own semantics: ``pods/binding`` and the RC ``scale``.

Binding is how the scheduler assigns a pod: a compare-and-swap on the pod that sets
``spec.nodeName`` only if it is still empty, so a pod can never be bound twice. A Binding that
names the pod's ``uid`` (kube-scheduler's always does) or ``resourceVersion`` binds only that
pod, or that version of it, as kube's BindingREST checks them as preconditions. Binding
bypasses the pod strategy's immutability of ``spec`` on purpose, as BindingREST does.
``bind_pods`` makes many such bindings in one store transaction (the scheduler's batches): one
commit instead of one per pod, each binding still deciding and failing on its own.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from cluster.registry.errors import (
    BadRequest,
    Conflict,
    Invalid,
    NotFound,
    StoreError,
    required,
)
from cluster.registry.kinds.replicationcontrollers import apply_scale, scale_of
from cluster.registry.registry import Registry, WriteResult
from cluster.registry.resources import Resource
from cluster.store.types import Key, Object, Preconditions, Update, UpdateFunc

__all__ = ["PodBinding", "bind_pod", "bind_pods", "scale_of", "update_scale"]


def _binding_update(name: str, binding: Object) -> tuple[Preconditions, UpdateFunc]:
    """The preconditions and the update that bind pod ``name`` as ``binding`` asks."""
    target = binding.get("target") or {}
    node = target.get("name")
    if not node:
        raise Invalid("Binding", name, [required("target.name")])
    if target.get("kind") not in (None, "", "Node"):
        raise Invalid("Binding", name, [required("target.kind", "must be empty or Node")])
    binding_meta = binding.get("metadata") or {}
    bound_name = binding_meta.get("name")
    if bound_name and bound_name != name:
        raise BadRequest(
            f"the name of the object ({bound_name}) does not match the name on the URL ({name})"
        )
    annotations = binding_meta.get("annotations") or {}
    preconditions = Preconditions(
        uid=binding_meta.get("uid") or None,
        resource_version=binding_meta.get("resourceVersion") or None,
    )

    def assign(pod: Object) -> Object:
        meta = pod.setdefault("metadata", {})
        if meta.get("deletionTimestamp"):
            raise Conflict(f"pod {name} is being deleted, cannot be assigned to a host")
        spec = pod.setdefault("spec", {})
        if spec.get("nodeName"):
            raise Conflict(f'pod {name} is already assigned to node "{spec["nodeName"]}"')
        spec["nodeName"] = node
        if annotations:
            meta.setdefault("annotations", {}).update(annotations)
        status = pod.setdefault("status", {})
        conditions = [c for c in status.get("conditions") or [] if c.get("type") != "PodScheduled"]
        conditions.append(
            {
                "type": "PodScheduled",
                "status": "True",
                "lastProbeTime": None,
                "lastTransitionTime": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
        )
        status["conditions"] = conditions
        return pod

    return preconditions, assign


def _pod_not_found(name: str) -> NotFound:
    err = NotFound(f'pods "{name}" not found')
    err.details = {"name": name, "kind": "pods"}
    return err


def bind_pod(
    registry: Registry,
    namespace: str,
    name: str,
    binding: Object,
    *,
    dry_run: bool = False,
    current: Object | None = None,
) -> Object:
    """Assign pod ``namespace/name`` to the node ``binding.target.name``.

    ``current``, the pod as the caller last read it (the scheduler's list), saves the store a
    read when it is still current; a stale copy only costs a retry.
    """
    preconditions, assign = _binding_update(name, binding)
    key = Key("Pod", namespace, name)
    try:
        if dry_run:
            return assign(copy.deepcopy(registry.store.get(key)))
        return registry.store.guaranteed_update(
            key, assign, preconditions=preconditions, cached=current
        )
    except NotFound:
        raise _pod_not_found(name) from None


@dataclass(frozen=True)
class PodBinding:
    """One binding of a batch (``bind_pods``): ``bind_pod``'s arguments."""

    namespace: str
    name: str
    binding: Object
    current: Object | None = None


def bind_pods(registry: Registry, bindings: Sequence[PodBinding]) -> list[Object | StoreError]:
    """Bind many pods in one store transaction, each exactly as ``bind_pod`` would.

    Each binding is its own compare-and-swap with its own revision; the result at its index
    is the bound pod, or the error ``bind_pod`` would have raised (a pod bound, replaced or
    being deleted meanwhile: Conflict; gone: NotFound; a malformed Binding: Invalid or
    BadRequest), so one lost race costs the others nothing. The pods must be distinct.
    """
    writes: list[Update] = []
    refused: dict[int, StoreError] = {}
    for index, b in enumerate(bindings):
        try:
            preconditions, assign = _binding_update(b.name, b.binding)
        except StoreError as exc:
            refused[index] = exc
            continue
        key = Key("Pod", b.namespace, b.name)
        writes.append(Update(key, assign, preconditions=preconditions, cached=b.current))
    written = iter(registry.store.write_batch(writes))
    results: list[Object | StoreError] = []
    for index, b in enumerate(bindings):
        result = refused[index] if index in refused else next(written)
        results.append(_pod_not_found(b.name) if isinstance(result, NotFound) else result)
    return results


def update_scale(
    registry: Registry,
    resource: Resource,
    namespace: str | None,
    name: str,
    change: Callable[[Object], Object],
    dry_run: bool,
) -> WriteResult:
    """Write an RC's scale: ``change`` maps the current Scale to the desired one."""

    def rescale(rc: Object) -> Object:
        wanted = change(scale_of(rc))
        new = apply_scale(rc, wanted)
        # A Scale that names a resourceVersion makes the write conditional on it, as for PUT.
        new.setdefault("metadata", {})["resourceVersion"] = (wanted.get("metadata") or {}).get(
            "resourceVersion"
        )
        return new

    return registry.update(resource, namespace, name, rescale, dry_run=dry_run)
