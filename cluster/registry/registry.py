"""The generic registry: every write from every client, in kube-apiserver's order of steps.

This is ``genericregistry.Store`` for Pilothouse. Given a resource and a request it runs the
resource's strategy (defaulting, preparation, validation), admission (the namespace must
exist and not be terminating), and then the store, translating storage errors into the words
kubectl prints. The API, the controllers, the scheduler and the admin all call it, so a rule
enforced here holds for every client.
"""

from __future__ import annotations

import builtins
import copy
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from cluster.registry import meta
from cluster.registry.errors import (
    AlreadyExists,
    BadRequest,
    Cause,
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    invalid,
    required,
)
from cluster.registry.resources import Resource
from cluster.registry.strategy import Strategy
from cluster.store.errors import ParentNotFound, ParentTerminating
from cluster.store.locks import Locks
from cluster.store.protocol import Store, Watch
from cluster.store.selectors import FieldSelector, LabelSelector
from cluster.store.types import Key, ListResult, Object, Preconditions, ResourceVersionMatch
from cluster.store.writes import terminating

Transform = Callable[[Object], Object]

PROPAGATION_POLICIES = ("Orphan", "Background", "Foreground")
ORPHAN_FINALIZER = "orphan"
FOREGROUND_FINALIZER = "foregroundDeletion"


@dataclass
class WriteResult:
    """What a write did: the object as it now is, and how the API should answer."""

    object: Object
    created: bool = False
    deleted: bool = False
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _NewObject:
    """An object ready to create: its key, itself, its warnings, and its namespace's key."""

    key: Key
    obj: Object
    warnings: list[str]
    within: Key | None


def _namespace_missing(namespace: str) -> NotFound:
    err = NotFound(f'namespaces "{namespace}" not found')
    err.details = {"name": namespace, "kind": "namespaces"}
    return err


def _namespace_terminating(resource: Resource, namespace: str, name: str) -> Forbidden:
    refused = Forbidden(
        f'{resource.group_resource} "{name}" is forbidden: unable to create new content '
        f"in namespace {namespace} because it is being terminated"
    )
    refused.details = {"name": name, "group": resource.group, "kind": resource.plural}
    return refused


@dataclass(frozen=True)
class DeleteOptions:
    grace_period_seconds: int | None = None
    propagation_policy: str | None = None
    preconditions: Preconditions | None = None
    dry_run: bool = False


DELETE_ATTEMPTS = 10
"""Reads a DELETE makes of an object that keeps changing under it before it gives up (409)."""


def _private_copy(value: Any) -> Any:
    """A deep copy of a JSON-shaped object: dicts and lists copied, immutable leaves shared.

    About twice as fast as ``copy.deepcopy``, which keeps a memo for shared and cyclic
    references that JSON cannot have; every create and update copies its object. Anything
    that is not JSON-shaped is still copied by ``copy.deepcopy``.
    """
    if isinstance(value, dict):
        return {k: _private_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_private_copy(v) for v in value]
    if value is None or isinstance(value, str | int | float):
        return value
    return copy.deepcopy(value)


def _rfc3339(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class Registry:
    """Strategy-driven create, read, update, delete and watch over a Store."""

    def __init__(self, store: Store, *, locks: Locks | None = None) -> None:
        self.store = store
        # Named expiring locks in the same database, for controllers that must not work on
        # one key in two processes at once.
        self.locks = locks if locks is not None else Locks(getattr(store, "using", "default"))

    # -- helpers --

    @staticmethod
    def key(resource: Resource, namespace: str | None, name: str) -> Key:
        return Key(resource.kind, namespace or "" if resource.namespaced else "", name)

    @contextmanager
    def _words(self, resource: Resource, name: str) -> Iterator[None]:
        """Re-raise storage errors the way kube-apiserver words them for this resource."""
        details = {"name": name, "group": resource.group, "kind": resource.plural}
        what = f'{resource.group_resource} "{name}"'
        try:
            yield
        except ParentNotFound as exc:
            raise _namespace_missing(exc.key.name) from None
        except ParentTerminating as exc:
            raise _namespace_terminating(resource, exc.key.name, name) from None
        except NotFound as exc:
            err = NotFound(f"{what} not found")
            err.details = details
            raise err from exc
        except AlreadyExists as exc:
            err2 = AlreadyExists(f"{what} already exists")
            err2.details = details
            raise err2 from exc
        except Conflict as exc:
            if exc.message.startswith("Operation cannot be fulfilled"):
                raise
            err3 = Conflict(f"Operation cannot be fulfilled on {what}: {exc.message}")
            err3.details = details
            raise err3 from exc

    def _conflict(self, resource: Resource, name: str) -> Conflict:
        err = Conflict(
            f'Operation cannot be fulfilled on {resource.group_resource} "{name}": the object '
            "has been modified; please apply your changes to the latest version and try again"
        )
        err.details = {"name": name, "group": resource.group, "kind": resource.plural}
        return err

    def check_namespace(self, resource: Resource, namespace: str, name: str) -> None:
        """Namespace lifecycle admission: no new objects in a missing or terminating one
        (NotFound or Forbidden). A create checks it in its own write (``Store.create``'s
        ``within``); this is for writes that do not, or that must not begin without it."""
        try:
            ns = self.store.get(Key("Namespace", "", namespace))
        except NotFound:
            raise _namespace_missing(namespace) from None
        if terminating(ns):
            raise _namespace_terminating(resource, namespace, name)

    def prepare_new(self, resource: Resource, new: Object) -> None:
        """Default, prepare and validate ``new`` in place, as ``create`` does (Invalid if
        refused): for writers that batch their creates (``EventRecorder.record_all``)."""
        strategy = resource.strategy
        strategy.default(new)
        meta.prepare_for_create(new, has_generation=bool(strategy.generation_fields))
        strategy.prepare_for_create(new)
        causes = meta.validate(new, name_rule=strategy.name_rule, namespaced=resource.namespaced)
        causes += strategy.validate(new)
        if causes:
            raise self._invalid(resource, new, causes)

    def _invalid(self, resource: Resource, obj: Object, causes: list[Cause]) -> Invalid:
        name = (obj.get("metadata") or {}).get("name") or ""
        return Invalid(resource.kind, str(name), causes, resource.group)

    @staticmethod
    def _stamp(resource: Resource, obj: Object) -> None:
        obj["apiVersion"] = resource.api_version
        obj["kind"] = resource.kind

    # -- create --

    def create(
        self, resource: Resource, namespace: str | None, obj: Object, *, dry_run: bool = False
    ) -> WriteResult:
        new = self._new_object(resource, namespace, obj)
        strategy = resource.strategy
        allocator = strategy.allocator
        if new.within is not None and (dry_run or allocator is not None):
            # No write to decide it, or an allocation that would come first: ask now.
            self.check_namespace(resource, new.key.namespace, new.key.name)
        if dry_run:
            with self._words(resource, new.key.name):
                self._refuse_if_exists(new.key)
            if allocator is not None:
                allocator.allocate(self.store, new.obj, None, dry_run=True)
            return WriteResult(new.obj, created=True, warnings=new.warnings)
        undo = allocator.allocate(self.store, new.obj, None, dry_run=False) if allocator else None
        try:
            with self._words(resource, new.key.name):
                stored = self.store.create(new.key, new.obj, within=new.within)
        except BaseException:
            if undo is not None:
                undo()
            raise
        return WriteResult(stored, created=True, warnings=new.warnings)

    @staticmethod
    def creates_on_loop(resource: Resource) -> bool:
        """Whether ``acreate`` takes ``resource``: one that allocates nothing on create."""
        return resource.strategy.allocator is None

    async def acreate(self, resource: Resource, namespace: str | None, obj: Object) -> WriteResult:
        """``create`` (not a dry run) for code on an event loop, where ``creates_on_loop``:
        the same admission, and the write awaited (``Store.acreate``) instead of blocking."""
        if not self.creates_on_loop(resource):
            raise ValueError(f"{resource.plural} allocate on create: use create()")
        new = self._new_object(resource, namespace, obj)
        with self._words(resource, new.key.name):
            stored = await self.store.acreate(new.key, new.obj, within=new.within)
        return WriteResult(stored, created=True, warnings=new.warnings)

    def _new_object(self, resource: Resource, namespace: str | None, obj: Object) -> _NewObject:
        """``obj`` made ready to store: named, defaulted, prepared and validated."""
        strategy = resource.strategy
        new: Object = _private_copy(obj)
        self._stamp(resource, new)
        obj_meta = new.get("metadata")
        if not isinstance(obj_meta, dict):
            raise self._invalid(resource, new, [required("metadata")])
        if resource.namespaced:
            given = obj_meta.get("namespace")
            if given and namespace and given != namespace:
                raise BadRequest(
                    "the namespace of the provided object does not match the namespace sent on "
                    "the request"
                )
            namespace = namespace or given
            if not namespace:
                raise self._invalid(resource, new, [required("metadata.namespace")])
            obj_meta["namespace"] = namespace
        else:
            obj_meta.pop("namespace", None)
        if not obj_meta.get("name") and obj_meta.get("generateName"):
            obj_meta["name"] = meta.generate_name(str(obj_meta["generateName"]))
        name = str(obj_meta.get("name") or "")
        self.prepare_new(resource, new)
        within = Key("Namespace", "", namespace) if resource.namespaced and namespace else None
        return _NewObject(self.key(resource, namespace, name), new, strategy.warnings(new), within)

    def _refuse_if_exists(self, key: Key) -> None:
        try:
            self.store.get(key)
        except NotFound:
            return
        raise AlreadyExists(f"{key} already exists")

    # -- reads --

    def get(
        self, resource: Resource, namespace: str | None, name: str, *, resource_version: str = ""
    ) -> Object:
        with self._words(resource, name):
            return self.store.get(
                self.key(resource, namespace, name), resource_version=resource_version
            )

    def list(
        self,
        resource: Resource,
        namespace: str | None,
        *,
        label_selector: LabelSelector | None = None,
        field_selector: FieldSelector | None = None,
        limit: int = 0,
        continue_token: str = "",
        resource_version: str = "",
        resource_version_match: ResourceVersionMatch = "",
    ) -> ListResult:
        return self.store.list(
            resource.kind,
            namespace if resource.namespaced else None,
            label_selector=label_selector,
            field_selector=field_selector,
            limit=limit,
            continue_token=continue_token,
            resource_version=resource_version,
            resource_version_match=resource_version_match,
        )

    def watch(
        self,
        resource: Resource,
        namespace: str | None,
        *,
        from_revision: int | None = None,
        label_selector: LabelSelector | None = None,
        field_selector: FieldSelector | None = None,
        send_initial_events: bool = False,
        bookmarks: bool = False,
    ) -> Watch:
        return self.store.watch(
            resource.kind,
            namespace if resource.namespaced else None,
            from_revision=from_revision,
            label_selector=label_selector,
            field_selector=field_selector,
            send_initial_events=send_initial_events,
            bookmarks=bookmarks,
        )

    # -- update --

    def update(
        self,
        resource: Resource,
        namespace: str | None,
        name: str,
        transform: Transform,
        *,
        subresource: str | None = None,
        dry_run: bool = False,
        create_if_missing: Object | None = None,
    ) -> WriteResult:
        """Apply ``transform`` to the current object and store the result, compare-and-swap.

        ``transform`` gets a private copy of the stored object and returns the desired object.
        If that carries a ``metadata.resourceVersion``, it must equal the stored one (409
        otherwise), which is how PUT and a patch that names a version are made conditional.
        """
        strategy = self._strategy(resource, subresource)
        key = self.key(resource, namespace, name)
        warnings: builtins.list[str] = []
        allocator = resource.strategy.allocator
        attempt: dict[str, object] = {}

        def allocate(new: Object, old: Object, dry: bool) -> None:
            previous = attempt.pop("undo", None)
            if callable(previous):
                previous()  # the last attempt lost a race; free what it took
            if allocator is not None:
                attempt["undo"] = allocator.allocate(self.store, new, old, dry_run=dry)
            attempt["old"] = old

        def try_update(old: Object) -> Object:
            new = transform(_private_copy(old))
            self._stamp(resource, new)
            new_meta = new.setdefault("metadata", {})
            wanted = new_meta.get("resourceVersion")
            current = (old.get("metadata") or {}).get("resourceVersion")
            if wanted and wanted != current:
                raise self._conflict(resource, name)
            if not wanted and not strategy.allow_unconditional_update:
                raise self._invalid(
                    resource,
                    new,
                    [required("metadata.resourceVersion", "must be specified for an update")],
                )
            self._prepare_update(resource, strategy, new, old, subresource)
            warnings[:] = strategy.warnings(new)
            new_meta["resourceVersion"] = current
            allocate(new, old, dry_run)
            return new

        try:
            with self._words(resource, name):
                if dry_run:
                    return WriteResult(try_update(self.store.get(key)), warnings=warnings)
                stored = self.store.guaranteed_update(key, try_update)
        except NotFound:
            if create_if_missing is None or not strategy.allow_create_on_update:
                raise
            return self.create(resource, namespace, create_if_missing, dry_run=dry_run)
        except BaseException:
            undo = attempt.get("undo")
            if callable(undo):
                undo()
            raise
        old = attempt.get("old")
        if allocator is not None and isinstance(old, dict):
            allocator.release(self.store, old, stored)
        self._finish_deletion_if_due(resource, key, stored)
        return WriteResult(stored, warnings=warnings)

    def _strategy(self, resource: Resource, subresource: str | None) -> Strategy:
        if subresource is None:
            return resource.strategy
        strategy = resource.subresources.get(subresource)
        if strategy is None:
            err = NotFound(f"the server could not find the requested resource ({subresource})")
            raise err
        return strategy

    def _prepare_update(
        self,
        resource: Resource,
        strategy: Strategy,
        new: Object,
        old: Object,
        subresource: str | None,
    ) -> None:
        if subresource is None:
            strategy.default(new)
        meta.prepare_for_update(new, old)
        strategy.prepare_for_update(new, old)
        meta.bump_generation(new, old, resource.strategy.generation_fields)
        causes = meta.validate(
            new, name_rule=resource.strategy.name_rule, namespaced=resource.namespaced
        )
        causes += meta.validate_update(new, old)
        causes += strategy.validate_update(new, old)
        if causes:
            raise self._invalid(resource, new, causes)

    def _finish_deletion_if_due(self, resource: Resource, key: Key, obj: Object) -> None:
        """An object marked for deletion goes once its last finalizer is removed."""
        obj_meta = obj.get("metadata") or {}
        if not obj_meta.get("deletionTimestamp") or resource.strategy.holds_deletion(obj):
            return
        if int(obj_meta.get("deletionGracePeriodSeconds") or 0) > 0:
            return  # a graceful deletion still waits for its node to confirm
        try:
            gone = self.store.delete(
                key,
                preconditions=Preconditions(
                    uid=obj_meta.get("uid"), resource_version=obj_meta.get("resourceVersion")
                ),
            )
        except (NotFound, Conflict):
            return  # someone else finished it, or changed it again; they will finish it
        self._released(resource, gone)

    # -- delete --

    def delete(
        self, resource: Resource, namespace: str | None, name: str, options: DeleteOptions
    ) -> WriteResult:
        if options.propagation_policy not in (None, *PROPAGATION_POLICIES):
            raise self._invalid(
                resource,
                {"metadata": {"name": name}},
                [
                    invalid(
                        "propagationPolicy",
                        options.propagation_policy,
                        "must be one of Orphan, Background, Foreground",
                    )
                ],
            )
        if options.grace_period_seconds is not None and options.grace_period_seconds < 0:
            raise self._invalid(
                resource,
                {"metadata": {"name": name}},
                [
                    invalid(
                        "gracePeriodSeconds",
                        options.grace_period_seconds,
                        "must be greater than or equal to 0",
                    )
                ],
            )
        key = self.key(resource, namespace, name)
        for attempt in range(1, DELETE_ATTEMPTS + 1):
            with self._words(resource, name):
                current = self.store.get(key)
                self._check_preconditions(resource, name, current, options.preconditions)
                grace = resource.strategy.grace_period(current, options.grace_period_seconds)
                finalizers = self._finalizers_for(resource, current, options.propagation_policy)
                if grace or finalizers or resource.strategy.holds_deletion(current):
                    return self._mark_deleted(resource, key, current, grace, finalizers, options)
                if options.dry_run:
                    return WriteResult(current, deleted=True)
                current_meta = current.get("metadata") or {}
                try:
                    gone = self.store.delete(
                        key,
                        preconditions=Preconditions(
                            uid=current_meta.get("uid"),
                            resource_version=current_meta.get("resourceVersion"),
                        ),
                    )
                except Conflict:
                    # Written since this read (a controller's status update): decide again on
                    # the new version, as kube-apiserver's delete does. Only the caller's own
                    # preconditions may make a DELETE fail with 409.
                    if attempt < DELETE_ATTEMPTS:
                        continue
                    raise
            self._released(resource, gone)
            return WriteResult(gone, deleted=True)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _released(self, resource: Resource, gone: Object) -> None:
        if resource.strategy.allocator is not None:
            resource.strategy.allocator.release(self.store, gone, None)

    def _check_preconditions(
        self, resource: Resource, name: str, obj: Object, pre: Preconditions | None
    ) -> None:
        if pre is None:
            return
        obj_meta = obj.get("metadata") or {}
        if pre.uid is not None and pre.uid != obj_meta.get("uid"):
            raise Conflict(
                f'Operation cannot be fulfilled on {resource.group_resource} "{name}": '
                f"Precondition failed: UID in precondition: {pre.uid}, UID in object meta: "
                f"{obj_meta.get('uid')}"
            )
        if pre.resource_version is not None and pre.resource_version != obj_meta.get(
            "resourceVersion"
        ):
            raise Conflict(
                f'Operation cannot be fulfilled on {resource.group_resource} "{name}": '
                "Precondition failed: ResourceVersion in precondition: "
                f"{pre.resource_version}, ResourceVersion in object meta: "
                f"{obj_meta.get('resourceVersion')}"
            )

    @staticmethod
    def _finalizers_for(resource: Resource, obj: Object, policy: str | None) -> builtins.list[str]:
        existing = list((obj.get("metadata") or {}).get("finalizers") or [])
        policy = policy or resource.strategy.default_propagation
        wanted = {"Orphan": ORPHAN_FINALIZER, "Foreground": FOREGROUND_FINALIZER}.get(policy)
        cleared = [f for f in existing if f not in (ORPHAN_FINALIZER, FOREGROUND_FINALIZER)]
        if wanted is not None:
            cleared.append(wanted)
        if existing and cleared == existing:
            return existing
        return cleared if (wanted is not None or existing) else []

    def _mark_deleted(
        self,
        resource: Resource,
        key: Key,
        current: Object,
        grace: int,
        finalizers: builtins.list[str],
        options: DeleteOptions,
    ) -> WriteResult:
        """Graceful deletion or finalizers: the object stays, marked, until its time comes."""

        def mark(old: Object) -> Object:
            self._check_preconditions(resource, key.name, old, options.preconditions)
            new: Object = _private_copy(old)
            new_meta = new.setdefault("metadata", {})
            now = datetime.now(UTC)
            if not new_meta.get("deletionTimestamp") or grace < int(
                new_meta.get("deletionGracePeriodSeconds") or 0
            ):
                new_meta["deletionTimestamp"] = _rfc3339(now + timedelta(seconds=grace))
                new_meta["deletionGracePeriodSeconds"] = grace
            if finalizers:
                new_meta["finalizers"] = finalizers
            else:
                new_meta.pop("finalizers", None)
            resource.strategy.mark_deleted(new)
            return new

        if options.dry_run:
            return WriteResult(mark(current))
        stored = self.store.guaranteed_update(key, mark)
        stored_meta = stored.get("metadata") or {}
        if (
            not resource.strategy.holds_deletion(stored)
            and int(stored_meta.get("deletionGracePeriodSeconds") or 0) == 0
        ):
            gone = self.store.delete(key, preconditions=Preconditions(uid=stored_meta.get("uid")))
            self._released(resource, gone)
            return WriteResult(gone, deleted=True)
        return WriteResult(stored)

    def delete_collection(
        self,
        resource: Resource,
        namespace: str | None,
        options: DeleteOptions,
        *,
        label_selector: LabelSelector | None = None,
        field_selector: FieldSelector | None = None,
    ) -> builtins.list[Object]:
        listed = self.list(
            resource, namespace, label_selector=label_selector, field_selector=field_selector
        )
        removed: builtins.list[Object] = []
        for item in listed.items:
            item_meta = item.get("metadata") or {}
            try:
                result = self.delete(
                    resource, item_meta.get("namespace"), item_meta["name"], options
                )
            except NotFound:
                continue
            removed.append(result.object)
        return removed
