"""The Celery tasks of the control plane.

``reconcile(name, key)`` is the work queue's single kind of item: it takes the key's lock
(so no two workers reconcile one key at once), runs the reconciler, and retries with
exponential back-off when the reconciler lost a compare-and-swap race (Conflict) or failed.
A message for a key whose lock is busy marks the key dirty and is done; the holder, which
may have read the state before the change that sent it, looks again once it has finished
(client-go's work queue has the same rule: one worker per key, re-queued if it changed).

Beat sends the periodic tasks: ``resync`` (every key of every reconciler, so a lost message
is repaired), store compaction and the expiry of old Events. Their messages expire after one
period, so a backlog never replays a pile of stale ticks.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from celery import Task, shared_task
from django.conf import settings

from cluster.controlplane.catalog import reconcilers
from cluster.registry.catalog import RESOURCES, default_registry
from cluster.registry.errors import Conflict, NotFound
from cluster.registry.reconcile import DONE
from cluster.registry.registry import DeleteOptions, Registry

log = logging.getLogger(__name__)

# How long a worker that died mid-reconcile keeps its key from the others: a live one renews
# its lock while it works (``Locks.kept``), however long that takes. kube-scheduler's leader
# lease lasts as long.
LOCK_TTL_SECONDS = 15.0
_HOLDER_PREFIX = f"{socket.gethostname()}:{os.getpid()}"
_MAX_RETRIES = 12
_TAKE_ATTEMPTS = 3


def backoff(retries: int, *, base: float = 0.05, cap: float = 5.0) -> float:
    """Seconds to wait before retry number ``retries + 1``: doubling from ``base`` up to ``cap``."""
    return float(min(cap, base * (2**retries)))


def send_reconcile(name: str, key: str, *, countdown: float = 0.0) -> None:
    reconcile.apply_async((name, key), countdown=countdown)


@dataclass(frozen=True)
class Next:
    """What the runtime does after one reconcile attempt."""

    retry_in: float | None = None  # the attempt failed: redeliver after so many seconds
    requeue_in: float | None = None  # look again after so many seconds (a fresh message)


def run_reconcile(name: str, key: str, *, retries: int, registry: Registry) -> Next:
    """One attempt at ``key``: under its lock, reconcile; decide what comes next."""
    reconciler = reconcilers().get(name)
    if reconciler is None:
        log.error("no reconciler named %s; dropping key %s", name, key)
        return Next()
    lock = f"{name}:{key}"
    holder = f"{_HOLDER_PREFIX}:{uuid.uuid4().hex[:8]}"
    if not _take(registry, lock, holder):
        # Another worker has the key. It may have read the state before the change that sent
        # this message, so it was marked dirty: the holder looks again when it is done.
        log.debug("%s %s is busy in another worker; left to it", name, key)
        return Next()
    started = time.monotonic()
    outcome = DONE
    try:
        with registry.locks.kept(lock, holder=holder, ttl=LOCK_TTL_SECONDS):
            outcome = reconciler.reconcile(key, registry)
    except Conflict as exc:
        log.info("%s %s: conflict (%s); retrying", name, key, exc.message)
        return Next(retry_in=backoff(retries))
    except Exception:
        log.exception("%s %s failed; retrying", name, key)
        return Next(retry_in=backoff(retries, base=0.5, cap=30.0))
    finally:
        dirty = registry.locks.release(lock, holder=holder)
    log.debug("%s %s reconciled in %.1f ms", name, key, (time.monotonic() - started) * 1000)
    if dirty:
        return Next(requeue_in=0.0)
    return Next(requeue_in=outcome.requeue_after)


def _take(registry: Registry, lock: str, holder: str) -> bool:
    """Take ``lock``, or mark it dirty for its holder; True only if taken."""
    for _ in range(_TAKE_ATTEMPTS):
        if registry.locks.acquire(lock, holder=holder, ttl=LOCK_TTL_SECONDS):
            return True
        if registry.locks.mark_dirty(lock):
            return False
        # Released (or expired) between the two statements: try to take it again.
    return False


@shared_task(name="controlplane.reconcile", bind=True, max_retries=_MAX_RETRIES)
def reconcile(self: Task[Any, Any], name: str, key: str) -> None:
    """Look at ``key`` for reconciler ``name`` (the one message the dispatcher sends)."""
    retries = self.request.retries
    step = run_reconcile(name, key, retries=retries, registry=default_registry())
    if step.retry_in is not None:
        if retries >= _MAX_RETRIES:
            log.error(
                "%s %s: giving up after %d retries; resync will look again", name, key, retries
            )
            return
        raise self.retry(countdown=step.retry_in)
    if step.requeue_in is not None:
        send_reconcile(name, key, countdown=step.requeue_in)


@shared_task(name="controlplane.resync")
def resync(name: str | None = None) -> int:
    """Send a reconcile for every key of one reconciler (or of all of them)."""
    registry = default_registry()
    chosen = reconcilers() if name is None else {name: reconcilers()[name]}
    sent = 0
    for reconciler_name, reconciler in chosen.items():
        for key in dict.fromkeys(reconciler.resync_keys(registry)):
            send_reconcile(reconciler_name, key)
            sent += 1
    log.info("resync: %d keys of %s", sent, ", ".join(chosen))
    return sent


@shared_task(name="controlplane.compact_store")
def compact_store() -> int:
    """Discard event-log history older than the compaction window, as etcd's compactor does."""
    store = default_registry().store
    revision = store.compact_older_than(settings.CLUSTER_STORE_COMPACTION_WINDOW_SECONDS)
    log.info("store compacted up to revision %d", revision)
    return revision


@shared_task(name="controlplane.expire_events")
def expire_events() -> int:
    """Delete Events older than ``CLUSTER_EVENT_TTL_SECONDS`` (kube-apiserver's --event-ttl)."""
    registry = default_registry()
    events = RESOURCES.of_kind("Event")
    cutoff = datetime.now(UTC) - timedelta(seconds=settings.CLUSTER_EVENT_TTL_SECONDS)
    removed = 0
    for event in registry.list(events, None).items:
        meta = event.get("metadata") or {}
        stamp = event.get("lastTimestamp") or meta.get("creationTimestamp")
        if not isinstance(stamp, str) or _parse_time(stamp) >= cutoff:
            continue
        try:
            registry.delete(events, meta.get("namespace"), str(meta.get("name")), DeleteOptions())
            removed += 1
        except NotFound:
            pass
    if removed:
        log.info("expired %d events", removed)
    return removed


def _parse_time(value: str) -> datetime:
    try:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        return datetime.now(UTC)
