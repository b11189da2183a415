"""The ReplicationController manager: kube's ``replica_set.go`` (ReplicationManager), reconciling.

For one RC a reconcile lists the pods of its namespace, keeps the active ones (not being
deleted, not terminated), claims them as kube's ControllerRefManager does (adopts matching
orphans, releases its pods that stopped matching), creates or deletes pods until the count is
``spec.replicas`` (surplus pods in kube's order, ``activepods.py``), and writes what it saw to
``status`` (``replicationstatus.py``). An RC that is being deleted only gets its status
written: the garbage collector deals with its pods.

Never over-creating. Kube's manager keeps "expectations" in memory (the creations and
deletions it has sent but not yet seen) and skips syncing an RC until they are met, because its
informer cache lags behind its own writes. Here nothing lags: a reconcile lists the pods from
the store, which returns every committed write, its own included (read-your-writes), and the
runtime holds a per-(reconciler, key) lock while ``reconcile`` runs, so two reconciles of one
RC never run at once, in any worker, and each starts after the previous one's writes are
committed. Those two together do the job of expectations, so none are kept. The lock expires
after the runtime's TTL (two minutes), so a reconcile still running by then could overlap the
next one; one reconcile makes at most ``BURST_REPLICAS`` creations or deletions, a matter of
seconds. Pods being deleted gracefully are not counted (as in kube), so their replacements are
created while they terminate.

Pods are created in kube's slow-start batches of 1, 2, 4, ... (``slowstart.py``) and the first
batch with a failure ends the creating, so a template the API rejects costs one call, not
hundreds. The failure becomes a ``FailedCreate`` event and a ``ReplicaFailure`` condition, and
is raised, so the runtime retries with back-off. A namespace being deleted refuses new pods;
that ends the creating too, but is no failure (as in kube).

Status counts the pods as they stand after this reconcile's own writes; kube counts them before
and catches up on its next sync. Either way the numbers are what the next look would find.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

from cluster.controllers.activepods import in_deletion_order, is_active, seconds_until_available
from cluster.controllers.replicationstatus import Failure, replica_status
from cluster.controllers.slowstart import in_parallel, slow_start
from cluster.registry.catalog import RESOURCES
from cluster.registry.errors import Conflict, Forbidden, NotFound, StoreError
from cluster.registry.reconcile import DONE, Change, Outcome, object_key, split_key
from cluster.registry.recorder import NORMAL, WARNING, EventRecorder
from cluster.registry.registry import DeleteOptions, Registry
from cluster.registry.vocabulary import Object, Preconditions

log = logging.getLogger(__name__)

KIND = "ReplicationController"
COMPONENT = "replication-controller"
BURST_REPLICAS = 500
"""At most this many creations or deletions per reconcile (kube's ``burstReplicas``)."""
# Look again a moment after a pod's time to become available: it must have strictly passed.
_CLOCK_MARGIN = 0.1


RCS = RESOURCES.of_kind(KIND)
PODS = RESOURCES.of_kind("Pod")


# -- object helpers --


def _meta(obj: Object) -> dict[str, Any]:
    meta = obj.get("metadata")
    return meta if isinstance(meta, dict) else {}


def _spec(obj: Object) -> dict[str, Any]:
    spec = obj.get("spec")
    return spec if isinstance(spec, dict) else {}


def _labels(obj: Object | None) -> dict[str, Any]:
    labels = _meta(obj).get("labels") if obj is not None else None
    return labels if isinstance(labels, dict) else {}


def _deleting(obj: Object) -> bool:
    return bool(_meta(obj).get("deletionTimestamp"))


def controller_of(obj: Object | None) -> dict[str, Any] | None:
    """The ownerReference with ``controller: true``, if there is one."""
    if obj is None:
        return None
    for ref in _meta(obj).get("ownerReferences") or []:
        if isinstance(ref, dict) and ref.get("controller"):
            return ref
    return None


def selects(selector: dict[str, Any], labels: dict[str, Any]) -> bool:
    """Whether an RC's map selector matches ``labels``; an empty selector matches nothing."""
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def _selector(rc: Object) -> dict[str, Any]:
    selector = _spec(rc).get("selector")
    return selector if isinstance(selector, dict) else {}


def _template(rc: Object) -> dict[str, Any]:
    template = _spec(rc).get("template")
    return template if isinstance(template, dict) else {}


def controller_reference(rc: Object) -> dict[str, Any]:
    meta = _meta(rc)
    return {
        "apiVersion": "v1",
        "kind": KIND,
        "name": meta.get("name"),
        "uid": meta.get("uid"),
        "controller": True,
        "blockOwnerDeletion": True,
    }


def pod_from_template(rc: Object) -> Object:
    """A new pod of ``rc``: the template's labels, annotations, finalizers and spec, a
    generated name and the RC as its controller (kube's GetPodFromTemplate)."""
    template_meta = _meta(_template(rc))
    meta: dict[str, Any] = {
        "generateName": f"{_meta(rc).get('name')}-",
        "namespace": _meta(rc).get("namespace"),
        "ownerReferences": [controller_reference(rc)],
    }
    for field in ("labels", "annotations", "finalizers"):
        if template_meta.get(field):
            meta[field] = template_meta[field]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": _template(rc).get("spec")}


def _namespace_terminating(error: StoreError) -> bool:
    # Kube looks for the NamespaceTerminating cause; the registry's Forbidden carries none, but
    # words the refusal as kube-apiserver does.
    return isinstance(error, Forbidden) and "because it is being terminated" in error.message


@dataclass(frozen=True)
class Managed:
    """The RC's active pods after this reconcile's writes, and how those writes went."""

    pods: list[Object]
    failure: Failure | None = None
    more_to_do: bool = False


# -- one reconcile --


class ReplicaSync:
    """One reconcile of one RC, as read at its start."""

    def __init__(self, registry: Registry, rc: Object) -> None:
        self.registry = registry
        self.rc = rc
        self.namespace = str(_meta(rc).get("namespace") or "")
        self.name = str(_meta(rc).get("name") or "")
        self.uid = _meta(rc).get("uid")
        self.recorder = EventRecorder(registry, COMPONENT)
        self._rechecked = False

    # -- claiming (kube's ControllerRefManager.ClaimPods) --

    def claim(self, pods: Iterable[Object]) -> list[Object]:
        """The active pods this RC controls, after adopting and releasing."""
        owned = []
        selector = _selector(self.rc)
        for pod in pods:
            ref = controller_of(pod)
            matches = selects(selector, _labels(pod))
            if ref is not None:
                if ref.get("uid") != self.uid:
                    continue  # another controller's
                if matches:
                    owned.append(pod)
                elif not _deleting(self.rc):
                    self.release(pod)
            elif matches and not _deleting(self.rc):
                adopted = self.adopt(pod)
                if adopted is not None:
                    owned.append(adopted)
        return owned

    def _recheck(self) -> None:
        """Before the first adoption, make sure the RC read at the start is still there and
        not being deleted (kube's RecheckDeletionTimestamp); if not, start over."""
        if self._rechecked:
            return
        try:
            fresh = self.registry.get(RCS, self.namespace, self.name)
        except NotFound as exc:
            raise Conflict(f"{KIND} {self.namespace}/{self.name} is gone") from exc
        fresh_uid = _meta(fresh).get("uid")
        if fresh_uid != self.uid:
            raise Conflict(
                f"original {KIND} {self.namespace}/{self.name} is gone: got uid {fresh_uid}, "
                f"wanted {self.uid}"
            )
        if _deleting(fresh):
            raise Conflict(
                f"{self.namespace}/{self.name} has just been deleted at "
                f"{_meta(fresh).get('deletionTimestamp')}"
            )
        self._rechecked = True

    def adopt(self, pod: Object) -> Object | None:
        """Make this RC the controller of an orphan, if it still is one and still matches."""
        self._recheck()
        pod_uid = _meta(pod).get("uid")
        selector = _selector(self.rc)

        def take(current: Object) -> Object:
            if (
                _meta(current).get("uid") != pod_uid
                or controller_of(current) is not None
                or _deleting(current)
                or not selects(selector, _labels(current))
            ):
                return current
            meta = current.setdefault("metadata", {})
            others = [r for r in meta.get("ownerReferences") or [] if r.get("uid") != self.uid]
            meta["ownerReferences"] = [*others, controller_reference(self.rc)]
            return current

        pod_name = str(_meta(pod).get("name"))
        try:
            stored = self.registry.update(PODS, self.namespace, pod_name, take).object
        except NotFound:
            return None
        if (controller_of(stored) or {}).get("uid") != self.uid:
            return None
        log.info("%s %s/%s adopted pod %s", KIND, self.namespace, self.name, pod_name)
        return stored

    def release(self, pod: Object) -> None:
        """Remove this RC's ownerReference from a pod that no longer matches its selector."""
        pod_uid = _meta(pod).get("uid")

        def let_go(current: Object) -> Object:
            if _meta(current).get("uid") != pod_uid:
                return current
            meta = current.setdefault("metadata", {})
            kept = [r for r in meta.get("ownerReferences") or [] if r.get("uid") != self.uid]
            if kept:
                meta["ownerReferences"] = kept
            else:
                meta.pop("ownerReferences", None)
            return current

        pod_name = str(_meta(pod).get("name"))
        try:
            self.registry.update(PODS, self.namespace, pod_name, let_go)
        except NotFound:
            return
        log.info("%s %s/%s released pod %s", KIND, self.namespace, self.name, pod_name)

    # -- creating and deleting (kube's manageReplicas) --

    def manage(self, owned: list[Object]) -> Managed:
        replicas = int(_spec(self.rc).get("replicas") or 0)
        diff = len(owned) - replicas
        if diff < 0:
            count = min(-diff, BURST_REPLICAS)
            created, error = self.create_pods(count)
            failure = Failure("FailedCreate", error) if error is not None else None
            return Managed(owned + created, failure, more_to_do=count < -diff)
        if diff > 0:
            count = min(diff, BURST_REPLICAS)
            victims = in_deletion_order(owned)[:count]
            gone, error = self.delete_pods(victims)
            left = [p for p in owned if _meta(p).get("uid") not in gone]
            failure = Failure("FailedDelete", error) if error is not None else None
            return Managed(left, failure, more_to_do=count < diff)
        return Managed(owned)

    def create_pods(self, count: int) -> tuple[list[Object], StoreError | None]:
        created, error = slow_start(count, self.create_pod)
        if error is not None and _namespace_terminating(error):
            return created, None  # nothing can be created in it, and nothing is wrong
        return created, error

    def create_pod(self) -> Object | StoreError:
        try:
            pod = self.registry.create(PODS, self.namespace, pod_from_template(self.rc)).object
        except StoreError as exc:
            self.recorder.event(self.rc, WARNING, "FailedCreate", f"Error creating: {exc}")
            return exc
        self.recorder.event(
            self.rc, NORMAL, "SuccessfulCreate", f"Created pod: {_meta(pod)['name']}"
        )
        return pod

    def delete_pods(self, victims: list[Object]) -> tuple[set[Any], StoreError | None]:
        """Delete ``victims`` together; the uids of those now gone, and the first failure."""
        results = in_parallel([partial(self.delete_pod, pod) for pod in victims])
        gone = {_meta(pod).get("uid") for pod, r in zip(victims, results, strict=True) if r is None}
        errors = [r for r in results if r is not None]
        return gone, errors[0] if errors else None

    def delete_pod(self, pod: Object) -> StoreError | None:
        name = str(_meta(pod).get("name"))
        options = DeleteOptions(preconditions=Preconditions(uid=_meta(pod).get("uid")))
        try:
            self.registry.delete(PODS, self.namespace, name, options)
        except NotFound:
            return None  # already gone: what we wanted
        except StoreError as exc:
            self.recorder.event(self.rc, WARNING, "FailedDelete", f"Error deleting: {exc}")
            return exc
        self.recorder.event(self.rc, NORMAL, "SuccessfulDelete", f"Deleted pod: {name}")
        return None

    # -- status (kube's calculateStatus and updateReplicaSetStatus) --

    def write_status(self, status: dict[str, Any]) -> None:
        if status == self.rc.get("status"):
            return

        def report(current: Object) -> Object:
            current["status"] = status
            return current

        try:
            self.registry.update(RCS, self.namespace, self.name, report, subresource="status")
        except NotFound:
            return


def _next_look(rc: Object, managed: Managed, now: datetime) -> Outcome:
    """Again at once if the burst cut this reconcile short; else when a pod becomes available."""
    if managed.more_to_do:
        return Outcome(requeue_after=0.0)
    min_ready = int(_spec(rc).get("minReadySeconds") or 0)
    waits = [seconds_until_available(p, min_ready, now) for p in managed.pods]
    known = [w for w in waits if w is not None]
    return Outcome(requeue_after=min(known) + _CLOCK_MARGIN) if known else DONE


# -- the reconciler --


def _pod_controller_keys(change: Change) -> dict[str, None]:
    """The RCs that controlled the pod before or after the change."""
    keys: dict[str, None] = {}
    for pod in (change.old, change.object):
        ref = controller_of(pod)
        if ref is not None and ref.get("kind") == KIND and ref.get("name"):
            keys[f"{change.namespace}/{ref['name']}"] = None
    return keys


def _orphan_may_be_adopted(change: Change) -> bool:
    """Whether an orphan is new to the dispatcher or its labels or controller changed
    (a mere status change of an orphan concerns no RC)."""
    pod, old = change.object, change.old
    if change.type == "DELETED" or controller_of(pod) is not None:
        return False
    return old is None or _labels(old) != _labels(pod) or controller_of(old) is not None


class ReplicationManager:
    """kube-controller-manager's replicationcontroller controller."""

    name = "replication"
    kinds: tuple[str, ...] = (KIND, "Pod")

    def keys_for(self, change: Change, registry: Registry) -> Iterable[str]:
        if change.kind == KIND:
            return [object_key(change.object)]
        keys = _pod_controller_keys(change)
        if _orphan_may_be_adopted(change):
            label_sets = [_labels(change.object), _labels(change.old)]
            for rc in registry.list(RCS, change.namespace).items:
                if any(selects(_selector(rc), labels) for labels in label_sets):
                    keys[object_key(rc)] = None
        return list(keys)

    def resync_keys(self, registry: Registry) -> Iterable[str]:
        return [object_key(rc) for rc in registry.list(RCS, None).items]

    def reconcile(self, key: str, registry: Registry) -> Outcome:
        namespace, name = split_key(key)
        try:
            rc = registry.get(RCS, namespace, name)
        except NotFound:
            return DONE
        sync = ReplicaSync(registry, rc)
        pods = [p for p in registry.list(PODS, namespace).items if is_active(p)]
        owned = sync.claim(pods)
        managed = Managed(owned) if _deleting(rc) else sync.manage(owned)
        now = datetime.now(UTC)
        sync.write_status(replica_status(rc, managed.pods, managed.failure, now))
        if managed.failure is not None:
            raise managed.failure.error
        return _next_look(rc, managed, now)
