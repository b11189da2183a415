"""The garbage collector: kube-controller-manager's ``garbagecollector``, level-triggered.

Objects name their owners in ``metadata.ownerReferences``. A delete's ``propagationPolicy``
(``kubectl delete --cascade=background|foreground|orphan``) decides what becomes of the
dependents; the registry records the policy as a finalizer on the owner, and this collector
carries it out:

- Background (no finalizer): once the owner is gone, its dependents are deleted, except
  those that another owner still holds: they only lose the dangling reference.
- Foreground (``foregroundDeletion``): the owner stays, marked, while its dependents are
  deleted (in the foreground themselves if they own others, else as their own finalizers
  say, as kube does); when none with ``blockOwnerDeletion`` remains (one being deleted
  still counts), the finalizer goes, and with it the owner. Owners that own each other
  would wait for each other forever; like kube, the dependent stops blocking instead.
- Orphan (``orphan``): the references to the owner are removed from its dependents, then
  the finalizer, and the dependents live on.

Kube's collector keeps the ownership graph in memory, fed by informers. Here any worker
process may reconcile any key, so nothing survives a reconcile: each one reads the owner and
its candidate dependents through the registry. A key is an owner's identity (see
``ownership``), which outlives the owner: reconciling the identity of a deleted owner finds
the dependents whose references carry a uid that no longer lives there. Every write is
conditional on the uid the collector read (a namesake created meanwhile is left alone), and
updates are compare-and-swap, so two workers on overlapping keys cannot do harm twice.

Cost: the candidates are every object of every collectable kind in the owner's namespace (in
the whole cluster for a cluster-scoped owner), filtered in Python, so a reconcile costs a
read of the namespace. Deleting every pod of a large namespace one by one is therefore
quadratic; an indexed owner-uid column in the store would make it linear. Events are
neither watched nor collected (kube never owns them, and they are the most numerous kind);
Leases are collected (a node's Lease belongs to its Node) but not watched, since their
renewals would wake the collector every few seconds: a Lease whose owner is gone waits for
the periodic resync.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterable

from cluster.controllers.ownership import (
    Identity,
    OwnerState,
    Reference,
    awaits_collector,
    blocks,
    identity_of,
    is_deleting,
    meta_of,
    owner_identity,
    parse_key,
    references,
    state_of,
    uid_of,
)
from cluster.registry.catalog import RESOURCES
from cluster.registry.errors import NotFound
from cluster.registry.reconcile import DONE, Change, Outcome
from cluster.registry.registry import (
    FOREGROUND_FINALIZER,
    ORPHAN_FINALIZER,
    DeleteOptions,
    Registry,
)
from cluster.registry.resources import Resource
from cluster.registry.vocabulary import Object, Preconditions

log = logging.getLogger(__name__)

COLLECTED: tuple[Resource, ...] = tuple(r for r in RESOURCES.all if r.kind != "Event")
"""The resources whose objects may be dependents (and owners) of others."""


def _scope(registry: Registry, owner: Identity) -> list[Object]:
    """Every object that could depend on ``owner``: same namespace, or anywhere."""
    found: list[Object] = []
    for resource in COLLECTED:
        if owner.namespace and not resource.namespaced:
            continue  # a cluster-scoped object cannot be owned by a namespaced one
        found += registry.list(resource, owner.namespace or None).items
    return found


class _Pass:
    """One reconcile's reads: the candidates, listed once, and the owners looked up."""

    def __init__(self, registry: Registry, owner: Identity, current: Object | None) -> None:
        self.registry = registry
        self.objects = _scope(registry, owner)
        self._at: dict[Identity, Object | None] = {owner: current}

    def at(self, identity: Identity) -> Object | None:
        if identity not in self._at:
            self._at[identity] = identity.get(self.registry)
        return self._at[identity]

    def referring_to(self, owner: Identity) -> list[tuple[Object, list[Reference]]]:
        """Each candidate with its references to whatever lived at ``owner``."""
        found = []
        for obj in self.objects:
            refs = [r for r in references(obj) if owner_identity(r, obj) == owner]
            if refs:
                found.append((obj, refs))
        return found

    def dependents_of(self, uid: str) -> list[Object]:
        return [o for o in self.objects if any(r.get("uid") == uid for r in references(o))]

    def classify(self, dependent: Object) -> dict[OwnerState, set[str]]:
        """The uids of ``dependent``'s owners by state; unresolvable owners count as present."""
        states: dict[OwnerState, set[str]] = {state: set() for state in OwnerState}
        for ref in references(dependent):
            identity = owner_identity(ref, dependent)
            uid = str(ref.get("uid") or "")
            state = OwnerState.PRESENT if identity is None else state_of(self.at(identity), uid)
            states[state].add(uid)
        return states


def _update(
    registry: Registry, identity: Identity, uid: str, change: Callable[[Object], None]
) -> None:
    """Apply ``change`` to the object at ``identity`` if it is still the one with ``uid``."""

    def transform(obj: Object) -> Object:
        if uid_of(obj) != uid:
            raise NotFound(f"{identity} was replaced")
        change(obj)
        return obj

    # Gone, or replaced by a namesake: nothing of ours is left to change.
    with contextlib.suppress(NotFound):
        registry.update(identity.resource, identity.namespace or None, identity.name, transform)


def _drop_references(registry: Registry, dependent: Object, uids: set[str], why: str) -> None:
    identity = identity_of(dependent)
    if identity is None:
        return

    def drop(obj: Object) -> None:
        kept = [r for r in references(obj) if r.get("uid") not in uids]
        meta_of(obj)["ownerReferences"] = kept

    log.info("garbage-collector: removing %s owner references from %s", why, identity)
    _update(registry, identity, uid_of(dependent), drop)


def _unblock(registry: Registry, dependent: Object, uids: set[str]) -> None:
    """Stop ``dependent`` blocking owners that wait for it: it waits for them (a cycle)."""
    identity = identity_of(dependent)
    if identity is None:
        return

    def unblock(obj: Object) -> None:
        for ref in references(obj):
            if ref.get("uid") in uids and blocks(ref):
                ref["blockOwnerDeletion"] = False

    log.info("garbage-collector: unblocking owners of %s, which waits for its own", identity)
    _update(registry, identity, uid_of(dependent), unblock)


def _remove_finalizer(registry: Registry, owner: Identity, uid: str, finalizer: str) -> None:
    def remove(obj: Object) -> None:
        meta = meta_of(obj)
        meta["finalizers"] = [f for f in meta.get("finalizers") or [] if f != finalizer]

    log.info("garbage-collector: removing finalizer %s from %s", finalizer, owner)
    _update(registry, owner, uid, remove)


def _delete(registry: Registry, dependent: Object, policy: str) -> None:
    identity = identity_of(dependent)
    if identity is None:
        return
    log.info("garbage-collector: deleting %s, propagation %s", identity, policy)
    options = DeleteOptions(
        propagation_policy=policy, preconditions=Preconditions(uid=uid_of(dependent))
    )
    with contextlib.suppress(NotFound):
        registry.delete(identity.resource, identity.namespace or None, identity.name, options)


def _own_policy(obj: Object) -> str:
    """How to delete an object no owner waits for: as its own finalizers ask, else Background."""
    finalizers = meta_of(obj).get("finalizers") or []
    if ORPHAN_FINALIZER in finalizers:
        return "Orphan"
    if FOREGROUND_FINALIZER in finalizers:
        return "Foreground"
    return "Background"


def _attempt_delete(work: _Pass, listed: Object) -> None:
    """Collect a dependent whose owners are gone or wait for it, as kube's attemptToDeleteItem."""
    identity = identity_of(listed)
    if identity is None:
        return
    latest = identity.get(work.registry)
    if latest is None or uid_of(latest) != uid_of(listed):
        return
    if meta_of(latest).get("deletionTimestamp"):
        return  # already going; its own finalizers, if any, are reconciled under its own key
    states = work.classify(latest)
    dangling, waiting = states[OwnerState.ABSENT], states[OwnerState.WAITING]
    if not dangling and not waiting:
        return
    if states[OwnerState.PRESENT] or states[OwnerState.ORPHANING]:
        _drop_references(work.registry, latest, dangling | waiting, "dangling or waiting")
        return
    own_dependents = work.dependents_of(uid_of(latest))
    if waiting and own_dependents:
        if any(is_deleting(d, FOREGROUND_FINALIZER) for d in own_dependents):
            _unblock(work.registry, latest, waiting)
        _delete(work.registry, latest, "Foreground")
        return
    _delete(work.registry, latest, _own_policy(latest))


def _still_blocks(registry: Registry, listed: Object, owner_uid: str) -> bool:
    identity = identity_of(listed)
    latest = identity.get(registry) if identity is not None else None
    if latest is None or uid_of(latest) != uid_of(listed):
        return False
    return any(r.get("uid") == owner_uid and blocks(r) for r in references(latest))


def _orphan(work: _Pass, owner: Identity, uid: str) -> None:
    for dependent in work.dependents_of(uid):
        _drop_references(work.registry, dependent, {uid}, "orphaned")
    _remove_finalizer(work.registry, owner, uid, ORPHAN_FINALIZER)


def _finish_foreground(work: _Pass, owner: Identity, uid: str) -> None:
    """Let the owner go once no dependent blocks it (one being deleted still does)."""
    blocking = sum(
        1
        for dependent, refs in work.referring_to(owner)
        if any(r.get("uid") == uid and blocks(r) for r in refs)
        and _still_blocks(work.registry, dependent, uid)
    )
    if blocking:
        log.info("garbage-collector: %s waits for %d dependents", owner, blocking)
        return
    _remove_finalizer(work.registry, owner, uid, FOREGROUND_FINALIZER)


class GarbageCollector:
    """Deletes dependents whose owners are gone and finishes foreground and orphan deletions."""

    name = "garbage-collector"
    kinds: tuple[str, ...] = tuple(r.kind for r in COLLECTED if r.kind != "Lease")

    def keys_for(self, change: Change, registry: Registry) -> Iterable[str]:
        obj = change.object
        keys: list[str] = []
        identity = identity_of(obj)
        if identity is not None and (change.type == "DELETED" or awaits_collector(obj)):
            keys.append(identity.key)
        refs = references(obj)
        unchanged = change.old is not None and refs == references(change.old)
        if change.type != "DELETED" and unchanged:
            return keys  # its owners were looked at when it got these references
        for ref in refs:
            owner = owner_identity(ref, obj)
            if owner is None:
                continue
            state = state_of(owner.get(registry), str(ref.get("uid") or ""))
            # A dependent that goes matters only to an owner waiting for it; a new or changed
            # one to any owner that is not simply there.
            if state is OwnerState.WAITING or (
                change.type != "DELETED" and state is not OwnerState.PRESENT
            ):
                keys.append(owner.key)
        return keys

    def resync_keys(self, registry: Registry) -> Iterable[str]:
        """Owners with work left: dangling references, and deletions held for the collector."""
        objects = [o for r in COLLECTED for o in registry.list(r, None).items]
        living: dict[Identity, str] = {}
        for obj in objects:
            identity = identity_of(obj)
            if identity is not None:
                living[identity] = uid_of(obj)
        keys: dict[str, None] = {}
        for obj in objects:
            identity = identity_of(obj)
            if identity is not None and awaits_collector(obj):
                keys[identity.key] = None
            for ref in references(obj):
                owner = owner_identity(ref, obj)
                if owner is not None and living.get(owner) != ref.get("uid"):
                    keys[owner.key] = None
        return list(keys)

    def reconcile(self, key: str, registry: Registry) -> Outcome:
        owner = parse_key(key)
        if owner is None:
            log.warning("garbage-collector: %r names no owner; dropping it", key)
            return DONE
        current = owner.get(registry)
        uid = uid_of(current) if current is not None else ""
        state = state_of(current, uid)
        work = _Pass(registry, owner, current)
        if state is OwnerState.ORPHANING:
            _orphan(work, owner, uid)
        for dependent, refs in work.referring_to(owner):
            dangling = any(r.get("uid") != uid for r in refs)
            if dangling or state is OwnerState.WAITING:
                _attempt_delete(work, dependent)
        if state is OwnerState.WAITING:
            _finish_foreground(work, owner, uid)
        return DONE
