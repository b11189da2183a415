"""The namespace controller: a deleted namespace is emptied, then finalized away.

Kube's namespace controller and its namespaced-resources deleter, keyed by namespace name.
Deleting a namespace only marks it: the registry sets ``deletionTimestamp`` and phase
``Terminating`` and admission refuses new content, while the ``kubernetes`` finalizer in
``spec.finalizers`` holds the namespace. This controller deletes everything in it, every
namespaced resource in the catalog, with background propagation as kube does. What does not go
at once (a pod on a node waits for its kubelet; an object may carry finalizers) is counted in
the namespace's deletion conditions (``namespaceconditions.py``) and looked at again shortly.
When nothing is left, the ``kubernetes`` finalizer is removed through ``namespaces/finalize``
and the registry removes the namespace.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from cluster.controllers.namespaceconditions import Tally, updated_conditions
from cluster.registry.catalog import RESOURCES
from cluster.registry.errors import Conflict, NotFound, StoreError
from cluster.registry.kinds.namespaces import KUBERNETES_FINALIZER
from cluster.registry.reconcile import DONE, Change, Outcome
from cluster.registry.registry import DeleteOptions, Registry
from cluster.registry.resources import Resource
from cluster.registry.vocabulary import Object

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]

# How soon to look again at a namespace whose content is still going: content that lingers
# waits for others (a kubelet, a finalizer's owner), whose progress no message announces here.
RECHECK_SECONDS = 2.0
_BACKGROUND = DeleteOptions(propagation_policy="Background")


def _namespaces() -> Resource:
    resource = RESOURCES.by_kind("", "Namespace")
    if resource is None:
        raise LookupError("no Namespace resource")
    return resource


# Deleted after everything else: pods once their controllers are gone (so no controller
# wakes to replace them in a namespace that refuses new content), events at the very end.
_LAST = ("Pod", "Event")


def _deletable_in_namespaces() -> list[Resource]:
    found = [r for r in RESOURCES.all if r.namespaced and "delete" in r.verbs]
    return sorted(found, key=lambda r: _LAST.index(r.kind) + 1 if r.kind in _LAST else 0)


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _meta(obj: Object) -> dict[str, object]:
    meta = obj.get("metadata")
    return meta if isinstance(meta, dict) else {}


def _is_deleting(obj: Object) -> bool:
    return bool(_meta(obj).get("deletionTimestamp"))


def _spec_finalizers(namespace: Object) -> list[object]:
    found = (namespace.get("spec") or {}).get("finalizers")
    return list(found) if isinstance(found, list) else []


class NamespaceController:
    name = "namespace"
    kinds: tuple[str, ...] = ("Namespace",)

    def __init__(self, *, clock: Clock = _utcnow) -> None:
        self.clock = clock
        self.namespaces = _namespaces()

    def keys_for(self, change: Change, registry: Registry) -> Iterable[str]:
        if change.type == "DELETED" or not _is_deleting(change.object):
            return ()
        return (change.name,)

    def resync_keys(self, registry: Registry) -> Iterable[str]:
        """The namespaces being deleted: for any other, a reconcile does nothing."""
        for namespace in registry.list(self.namespaces, None).items:
            if _is_deleting(namespace):
                yield str(_meta(namespace).get("name"))

    def reconcile(self, key: str, registry: Registry) -> Outcome:
        try:
            namespace = registry.get(self.namespaces, None, key)
        except NotFound:
            return DONE
        if not _is_deleting(namespace) or KUBERNETES_FINALIZER not in _spec_finalizers(namespace):
            return DONE
        tally = self._delete_content(registry, key)
        try:
            self._record(registry, key, tally)
            if not tally.empty:
                return Outcome(requeue_after=RECHECK_SECONDS)
            self._finalize(registry, key)
        except NotFound:
            return DONE
        return DONE

    def _delete_content(self, registry: Registry, namespace: str) -> Tally:
        """Delete every object in ``namespace``; tally what is still there afterwards."""
        tally = Tally()
        deleted = 0
        for resource in _deletable_in_namespaces():
            for item in registry.list(resource, namespace).items:
                name = str(_meta(item).get("name"))
                if not _is_deleting(item):
                    try:
                        result = registry.delete(resource, namespace, name, _BACKGROUND)
                    except NotFound:
                        continue
                    except Conflict:
                        raise
                    except StoreError as exc:
                        tally.failures.append(exc.message)
                        continue
                    if result.deleted:
                        deleted += 1
                        continue
                    item = result.object
                tally.remaining[f"{resource.plural}.{resource.group}"] += 1
                finalizers = _meta(item).get("finalizers")
                tally.finalizers.update(finalizers if isinstance(finalizers, list) else [])
        log.info(
            "namespace %s: deleted %d objects; %d remain",
            namespace,
            deleted,
            sum(tally.remaining.values()),
        )
        return tally

    def _record(self, registry: Registry, namespace: str, tally: Tally) -> None:
        """Write the deletion conditions this pass calls for (no write if they hold already)."""
        now = self.clock().strftime("%Y-%m-%dT%H:%M:%SZ")

        def conditions(current: Object) -> Object:
            status = current.get("status")
            if not isinstance(status, dict):
                status = current["status"] = {}
            status["phase"] = "Terminating"
            found = status.get("conditions")
            existing = [c for c in found if isinstance(c, dict)] if isinstance(found, list) else []
            status["conditions"] = updated_conditions(existing, tally, now=now)
            return current

        registry.update(self.namespaces, None, namespace, conditions, subresource="status")

    def _finalize(self, registry: Registry, namespace: str) -> None:
        """Remove the ``kubernetes`` finalizer; the registry then removes the namespace."""

        def release(current: Object) -> Object:
            spec = current.get("spec")
            if not isinstance(spec, dict):
                spec = current["spec"] = {}
            spec["finalizers"] = [f for f in _spec_finalizers(current) if f != KUBERNETES_FINALIZER]
            return current

        registry.update(self.namespaces, None, namespace, release, subresource="finalize")
        log.info("namespace %s: empty; finalized", namespace)
