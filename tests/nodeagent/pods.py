"""Helpers of the pod tests: create and bind pods as the admin, wait for what the agent reports."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from tests.e2e.cluster import Api
from tests.nodeagent.conftest import BUSYBOX_IMAGE

WAIT_SECONDS = 60.0


def container(name: str, *command: str, **extra: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {"name": name, "image": BUSYBOX_IMAGE}
    if command:
        spec["command"] = list(command)
    spec.update(extra)
    return spec


def shell(name: str, script: str, **extra: Any) -> dict[str, Any]:
    return container(name, "sh", "-c", script, **extra)


def pod_path(namespace: str, name: str = "") -> str:
    base = f"/api/v1/namespaces/{namespace}/pods"
    return f"{base}/{name}" if name else base


def run_pod(
    admin: Api, namespace: str, node: str, name: str, containers: list[dict[str, Any]], **spec: Any
) -> dict[str, Any]:
    """Create the pod, then bind it to ``node`` as a scheduler would."""
    spec.setdefault("terminationGracePeriodSeconds", 2)
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {"containers": containers, **spec},
    }
    created = admin.create(pod_path(namespace), pod)
    binding = {
        "apiVersion": "v1",
        "kind": "Binding",
        "metadata": {"name": name},
        "target": {"kind": "Node", "name": node},
    }
    response = admin.request("POST", f"{pod_path(namespace, name)}/binding", binding)
    assert response.status == 201, response.text
    return created


def get_pod(admin: Api, namespace: str, name: str) -> dict[str, Any] | None:
    response = admin.get(pod_path(namespace, name))
    if response.status == 404:
        return None
    assert response.status == 200, response.text
    pod: dict[str, Any] = response.body
    return pod


def wait_for_pod(
    admin: Api,
    namespace: str,
    name: str,
    until: Callable[[dict[str, Any]], bool],
    *,
    timeout: float = WAIT_SECONDS,
) -> dict[str, Any]:
    """Poll the pod (bounded) until ``until`` holds; the pod then."""
    deadline = time.monotonic() + timeout
    pod = get_pod(admin, namespace, name)
    while time.monotonic() < deadline:
        if pod is not None and until(pod):
            return pod
        time.sleep(0.25)
        pod = get_pod(admin, namespace, name)
    raise AssertionError(f"pod {namespace}/{name} never got there; last seen:\n{pod}")


def wait_until_gone(
    admin: Api, namespace: str, name: str, *, timeout: float = WAIT_SECONDS
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if get_pod(admin, namespace, name) is None:
            return
        time.sleep(0.2)
    raise AssertionError(f"pod {namespace}/{name} still exists after {timeout} s")


def phase(value: str) -> Callable[[dict[str, Any]], bool]:
    return lambda pod: (pod.get("status") or {}).get("phase") == value


def container_state(pod: dict[str, Any], name: str, *, init: bool = False) -> dict[str, Any]:
    field = "initContainerStatuses" if init else "containerStatuses"
    for status in (pod.get("status") or {}).get(field) or []:
        if status["name"] == name:
            found: dict[str, Any] = status
            return found
    return {}


def waiting_reason(name: str, reason: str) -> Callable[[dict[str, Any]], bool]:
    def check(pod: dict[str, Any]) -> bool:
        waiting = container_state(pod, name).get("state", {}).get("waiting") or {}
        return bool(waiting.get("reason") == reason)

    return check


def conditions(pod: dict[str, Any]) -> dict[str, str]:
    return {c["type"]: c["status"] for c in (pod.get("status") or {}).get("conditions") or []}


def events_for(admin: Api, namespace: str, name: str) -> list[dict[str, Any]]:
    items = admin.get(f"/api/v1/namespaces/{namespace}/events").body["items"]
    return [e for e in items if e["involvedObject"].get("name") == name]


def watched_waiting_reasons(
    admin: Api, namespace: str, name: str, container_name: str, wanted: set[str]
) -> list[str]:
    """The waiting reasons of a container in every version of the pod, in order, watched from
    the pod's creation until all of ``wanted`` were seen (or the watch times out)."""

    def reasons(events: list[dict[str, Any]]) -> list[str]:
        seen: list[str] = []
        for event in events:
            state = container_state(event["object"], container_name).get("state") or {}
            reason = (state.get("waiting") or {}).get("reason")
            if reason and (not seen or seen[-1] != reason):
                seen.append(reason)
        return seen

    path = f"{pod_path(namespace)}?watch=1&fieldSelector=metadata.name%3D{name}"
    events = admin.watch(path, until=lambda e: wanted <= set(reasons(e)), timeout=WAIT_SECONDS)
    return reasons(events)
