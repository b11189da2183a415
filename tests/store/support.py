"""Builders and bounded waits shared by the store's conformance tests.

Objects are the smallest Kubernetes-shaped dictionaries the store needs. Every wait here has a
deadline, so a store that loses an event makes a test fail quickly instead of hanging.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from typing import TypeVar

from django.db import connections

from cluster.store.protocol import Watch
from cluster.store.types import Key, Object, WatchEvent

T = TypeVar("T")

EVENT_WAIT = 3.0
"""Seconds a test waits for an event that must come (the store delivers in milliseconds)."""

QUIET_WAIT = 0.4
"""Seconds a test listens to be sure an event does not come (two bookmark intervals)."""


def pod(
    name: str,
    namespace: str = "default",
    *,
    labels: dict[str, str] | None = None,
    node: str = "",
    phase: str = "",
    image: str = "busybox",
) -> Object:
    """A Pod; ``node`` and ``phase`` are left out entirely when empty, as for a new pod."""
    obj: Object = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"containers": [{"name": "main", "image": image}]},
    }
    if labels is not None:
        obj["metadata"]["labels"] = dict(labels)
    if node:
        obj["spec"]["nodeName"] = node
    if phase:
        obj["status"] = {"phase": phase}
    return obj


def pod_key(name: str, namespace: str = "default") -> Key:
    return Key("Pod", namespace, name)


def config_map(name: str, namespace: str = "default", **data: str) -> Object:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": namespace},
        "data": dict(data),
    }


def node(name: str, *, unschedulable: bool = False) -> Object:
    """A cluster-scoped Node (its key has the empty namespace)."""
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name},
        "spec": {"unschedulable": unschedulable},
    }


def rv(obj: Object) -> int:
    """The object's resourceVersion as the revision it names."""
    return int(obj["metadata"]["resourceVersion"])


def names(items: Iterable[Object]) -> list[str]:
    return [item["metadata"]["name"] for item in items]


def keys(items: Iterable[Object]) -> list[tuple[str, str]]:
    """(namespace, name) of each item, in the order given."""
    return [(item["metadata"].get("namespace", ""), item["metadata"]["name"]) for item in items]


def set_labels(labels: dict[str, str]) -> Callable[[Object], Object]:
    """An update function that replaces the object's labels."""

    def update(obj: Object) -> Object:
        obj["metadata"]["labels"] = dict(labels)
        return obj

    return update


def set_image(image: str) -> Callable[[Object], Object]:
    """An update function that changes a pod's container image (a spec change)."""

    def update(obj: Object) -> Object:
        obj["spec"]["containers"][0]["image"] = image
        return obj

    return update


def bind_to(node_name: str, phase: str = "") -> Callable[[Object], Object]:
    """An update function that sets a pod's node and (if given) its phase."""

    def update(obj: Object) -> Object:
        obj["spec"]["nodeName"] = node_name
        if phase:
            obj.setdefault("status", {})["phase"] = phase
        return obj

    return update


def take(watch: Watch, count: int, *, timeout: float = EVENT_WAIT) -> list[WatchEvent]:
    """The next ``count`` events, failing the test if they do not all come within ``timeout``."""
    events: list[WatchEvent] = []
    deadline = time.monotonic() + timeout
    while len(events) < count:
        remaining = deadline - time.monotonic()
        event = watch.next_event(timeout=max(remaining, 0.0)) if remaining > 0 else None
        if event is None:
            raise AssertionError(
                f"expected {count} events within {timeout}s, got {len(events)}: {summary(events)}"
            )
        events.append(event)
    return events


def take_changes(watch: Watch, count: int, *, timeout: float = EVENT_WAIT) -> list[WatchEvent]:
    """Like ``take`` but passing over periodic BOOKMARK events."""
    events: list[WatchEvent] = []
    deadline = time.monotonic() + timeout
    while len(events) < count:
        remaining = deadline - time.monotonic()
        event = watch.next_event(timeout=max(remaining, 0.0)) if remaining > 0 else None
        if event is None:
            raise AssertionError(
                f"expected {count} changes within {timeout}s, got {len(events)}: {summary(events)}"
            )
        if event["type"] != "BOOKMARK":
            events.append(event)
    return events


def assert_quiet(watch: Watch, *, seconds: float = QUIET_WAIT) -> None:
    """Fail if any event arrives within ``seconds``."""
    event = watch.next_event(timeout=seconds)
    assert event is None, f"unexpected event {summary([event])}"


def summary(events: Iterable[WatchEvent | None]) -> list[tuple[str, str, str]]:
    """(type, name, resourceVersion) of each event: short enough for an assertion message."""
    out: list[tuple[str, str, str]] = []
    for event in events:
        if event is None:
            out.append(("None", "", ""))
            continue
        meta = event["object"].get("metadata") or {}
        out.append((event["type"], str(meta.get("name", "")), str(meta.get("resourceVersion"))))
    return out


def typed(events: Iterable[WatchEvent]) -> list[tuple[str, str, int]]:
    """(type, name, revision) of each change event, for comparing whole streams at once."""
    return [(e["type"], e["object"]["metadata"]["name"], rv(e["object"])) for e in events]


def in_thread(function: Callable[[], T], *, timeout: float = EVENT_WAIT) -> T:
    """Run ``function`` on a new thread (so with its own database connections) and return its
    result; re-raise what it raised; fail if it does not finish within ``timeout``."""
    results: list[T] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            results.append(function())
        except BaseException as error:  # handed back to the calling thread below
            errors.append(error)
        finally:
            # Django opens one connection per thread; this thread's must not outlive it.
            connections.close_all()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout)
    assert not thread.is_alive(), f"{function!r} did not finish within {timeout}s"
    if errors:
        raise errors[0]
    return results[0]
