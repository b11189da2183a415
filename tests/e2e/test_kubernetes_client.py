"""The official ``kubernetes`` Python client, configured only by the generated kubeconfig.

CRUD through its typed models, ``watch.Watch().stream``, optimistic concurrency (409),
history compaction (410) and paginated lists, as programs written against kube use them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from kubernetes import client, watch
from kubernetes.client.exceptions import ApiException

from tests.e2e.cluster import sibling

pytestmark = pytest.mark.e2e

WATCH_SECONDS = 10


def _pod(name: str, *, image: str = "nginx:1.25", **labels: str) -> client.V1Pod:
    return client.V1Pod(
        api_version="v1",
        kind="Pod",
        metadata=client.V1ObjectMeta(name=name, labels={"app": name, **labels}),
        spec=client.V1PodSpec(containers=[client.V1Container(name="web", image=image)]),
    )


def _wire(obj: object) -> Any:
    """A model as JSON with kube's field names, to assert on what the client decoded."""
    with client.ApiClient() as serializer:
        return serializer.sanitize_for_serialization(obj)


def _names(listed: object) -> list[str]:
    return [item["metadata"]["name"] for item in _wire(listed)["items"]]


def _list_revision(listed: object) -> str:
    revision: str = _wire(listed)["metadata"]["resourceVersion"]
    return revision


@dataclass(frozen=True)
class Refusal:
    status: int
    reason: str
    body: str


def _expect_api_error(call: Callable[[], object]) -> Refusal:
    """What the server's refusal of ``call`` said.

    Only plain values are kept: an ApiException still referenced (through its traceback)
    holds the client's connection checked out of its pool, and the server's TLS shutdown at
    the end of the session would then wait for that connection for half a minute.
    """
    try:
        call()
    except ApiException as exc:
        return Refusal(int(exc.status or 0), str(exc.reason), exc.body or "")
    raise AssertionError("the request was expected to fail")


def test_pods_can_be_created_read_listed_patched_replaced_and_deleted(
    core_v1: client.CoreV1Api, namespace: str
) -> None:
    created = _wire(core_v1.create_namespaced_pod(namespace, _pod("web")))
    assert created["metadata"]["uid"]
    assert created["status"]["phase"] == "Pending"
    assert created["spec"]["containers"][0]["imagePullPolicy"] == "IfNotPresent"

    read = _wire(core_v1.read_namespaced_pod("web", namespace))
    assert read == created

    listed = core_v1.list_namespaced_pod(namespace)
    assert _names(listed) == ["web"]
    assert int(_list_revision(listed)) > 0

    patched = core_v1.patch_namespaced_pod("web", namespace, {"metadata": {"labels": {"x": "1"}}})
    assert _wire(patched)["metadata"]["labels"] == {"app": "web", "x": "1"}

    assert patched.spec is not None
    patched.spec.containers[0].image = "nginx:1.26"
    replaced = _wire(core_v1.replace_namespaced_pod("web", namespace, patched))
    assert replaced["spec"]["containers"][0]["image"] == "nginx:1.26"
    before = _wire(patched)["metadata"]["resourceVersion"]
    assert int(replaced["metadata"]["resourceVersion"]) > int(before)

    core_v1.delete_namespaced_pod("web", namespace)
    missing = _expect_api_error(lambda: core_v1.read_namespaced_pod("web", namespace))
    assert (missing.status, missing.reason) == (404, "Not Found")


def test_services_get_a_cluster_ip_and_can_be_patched_and_deleted(
    core_v1: client.CoreV1Api, namespace: str
) -> None:
    body = client.V1Service(
        metadata=client.V1ObjectMeta(name="front"),
        spec=client.V1ServiceSpec(
            selector={"app": "front"},
            ports=[client.V1ServicePort(port=80, target_port=8080)],
        ),
    )

    created = _wire(core_v1.create_namespaced_service(namespace, body))["spec"]

    assert created["type"] == "ClusterIP"
    assert created["clusterIPs"] == [created["clusterIP"]]
    assert created["ports"] == [{"port": 80, "protocol": "TCP", "targetPort": 8080}]
    patched = _wire(
        core_v1.patch_namespaced_service(
            "front", namespace, {"spec": {"selector": {"app": "other"}}}
        )
    )["spec"]
    assert patched["selector"] == {"app": "other"}
    assert patched["clusterIP"] == created["clusterIP"]
    assert _names(core_v1.list_namespaced_service(namespace)) == ["front"]
    core_v1.delete_namespaced_service("front", namespace)
    assert _names(core_v1.list_namespaced_service(namespace)) == []


def test_replication_controllers_can_be_created_scaled_and_deleted(
    core_v1: client.CoreV1Api, namespace: str
) -> None:
    labels = {"app": "front"}
    body = client.V1ReplicationController(
        metadata=client.V1ObjectMeta(name="front"),
        spec=client.V1ReplicationControllerSpec(
            replicas=2,
            selector=labels,
            template=client.V1PodTemplateSpec(
                metadata=client.V1ObjectMeta(labels=labels),
                spec=client.V1PodSpec(
                    containers=[client.V1Container(name="web", image="nginx:1.25")]
                ),
            ),
        ),
    )

    created = _wire(core_v1.create_namespaced_replication_controller(namespace, body))
    assert created["spec"]["replicas"] == 2

    scale = _wire(core_v1.read_namespaced_replication_controller_scale("front", namespace))
    assert (scale["spec"], scale["status"]) == (
        {"replicas": 2},
        {"replicas": 0, "selector": "app=front"},
    )
    core_v1.patch_namespaced_replication_controller_scale(
        "front", namespace, {"spec": {"replicas": 4}}
    )
    read = _wire(core_v1.read_namespaced_replication_controller("front", namespace))
    assert (read["spec"]["replicas"], read["metadata"]["generation"]) == (4, 2)

    core_v1.delete_namespaced_replication_controller(
        "front", namespace, propagation_policy="Background"
    )
    assert _names(core_v1.list_namespaced_replication_controller(namespace)) == []


def test_namespaces_can_be_created_listed_labelled_and_deleted(
    core_v1: client.CoreV1Api, namespace: str
) -> None:
    name = sibling(namespace, "ns")

    created = _wire(
        core_v1.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    )

    assert created["status"] == {"phase": "Active"}
    assert name in _names(core_v1.list_namespace())
    labelled = _wire(core_v1.patch_namespace(name, {"metadata": {"labels": {"team": "a"}}}))
    assert labelled["metadata"]["labels"] == {"kubernetes.io/metadata.name": name, "team": "a"}
    core_v1.delete_namespace(name)
    terminating = _wire(core_v1.read_namespace(name))
    assert terminating["status"]["phase"] == "Terminating"
    assert terminating["metadata"]["deletionTimestamp"]


def _watch_in_background(
    core_v1: client.CoreV1Api, namespace: str, resource_version: str, wanted: int
) -> tuple[list[tuple[str, str]], threading.Thread]:
    """Collect (type, name) of pod events from ``resource_version`` until ``wanted`` came."""
    seen: list[tuple[str, str]] = []
    stream = watch.Watch()  # type: ignore[no-untyped-call]

    def run() -> None:
        events: Iterator[dict[str, Any]] = stream.stream(  # type: ignore[no-untyped-call]
            core_v1.list_namespaced_pod,
            namespace,
            resource_version=resource_version,
            timeout_seconds=WATCH_SECONDS,
        )
        for event in events:
            seen.append((event["type"], event["object"].metadata.name))
            if len(seen) >= wanted:
                stream.stop()  # type: ignore[no-untyped-call]

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return seen, thread


def test_watch_streams_added_modified_and_deleted(
    core_v1: client.CoreV1Api, namespace: str
) -> None:
    start = _list_revision(core_v1.list_namespaced_pod(namespace))
    seen, thread = _watch_in_background(core_v1, namespace, start, wanted=3)

    core_v1.create_namespaced_pod(namespace, _pod("web"))
    core_v1.patch_namespaced_pod("web", namespace, {"metadata": {"labels": {"x": "1"}}})
    core_v1.delete_namespaced_pod("web", namespace)
    thread.join(WATCH_SECONDS + 5)

    assert seen == [("ADDED", "web"), ("MODIFIED", "web"), ("DELETED", "web")]


def test_watch_without_a_resource_version_starts_with_the_current_state(
    core_v1: client.CoreV1Api, namespace: str
) -> None:
    core_v1.create_namespaced_pod(namespace, _pod("a"))
    core_v1.create_namespaced_pod(namespace, _pod("b"))
    stream = watch.Watch()  # type: ignore[no-untyped-call]
    seen: list[tuple[str, str]] = []

    events: Iterator[dict[str, Any]] = stream.stream(  # type: ignore[no-untyped-call]
        core_v1.list_namespaced_pod, namespace, timeout_seconds=1
    )
    for event in events:
        seen.append((event["type"], event["object"].metadata.name))

    assert seen == [("ADDED", "a"), ("ADDED", "b")]


def test_a_stale_replace_is_a_409_conflict(
    core_v1: client.CoreV1Api, kube_client: client.ApiClient, namespace: str
) -> None:
    stale = core_v1.create_namespaced_pod(namespace, _pod("web"))
    core_v1.patch_namespaced_pod("web", namespace, {"metadata": {"labels": {"moved": "on"}}})

    assert stale.spec is not None
    stale.spec.containers[0].image = "nginx:1.26"
    error = _expect_api_error(lambda: core_v1.replace_namespaced_pod("web", namespace, stale))

    assert (error.status, error.reason) == (409, "Conflict")
    status = _wire(kube_client.deserialize(error.body, "V1Status", "application/json"))
    assert status == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": 'Operation cannot be fulfilled on pods "web": the object has been modified; '
        "please apply your changes to the latest version and try again",
        "reason": "Conflict",
        "details": {"name": "web", "kind": "pods"},
        "code": 409,
    }
    current = _wire(core_v1.read_namespaced_pod("web", namespace))
    assert current["spec"]["containers"][0]["image"] == "nginx:1.25"


def test_creating_twice_is_a_409_already_exists(core_v1: client.CoreV1Api, namespace: str) -> None:
    core_v1.create_namespaced_pod(namespace, _pod("web"))

    error = _expect_api_error(lambda: core_v1.create_namespaced_pod(namespace, _pod("web")))

    assert (error.status, error.reason) == (409, "Conflict")
    assert '"reason":"AlreadyExists"' in error.body.replace(" ", "")


def test_a_watch_from_a_compacted_revision_is_a_410(
    core_v1: client.CoreV1Api, namespace: str, compact: Callable[[int], None]
) -> None:
    old = _list_revision(core_v1.list_namespaced_pod(namespace))
    core_v1.create_namespaced_pod(namespace, _pod("web"))
    compact(int(_list_revision(core_v1.list_namespaced_pod(namespace))))

    stream = watch.Watch()  # type: ignore[no-untyped-call]

    def follow() -> None:
        events: Iterator[dict[str, Any]] = stream.stream(  # type: ignore[no-untyped-call]
            core_v1.list_namespaced_pod, namespace, resource_version=old, timeout_seconds=5
        )
        for _ in events:
            pass

    error = _expect_api_error(follow)

    assert error.status == 410
    assert error.reason.startswith("Expired: too old resource version: ")


def test_a_continue_token_from_before_compaction_is_a_410(
    core_v1: client.CoreV1Api,
    kube_client: client.ApiClient,
    namespace: str,
    compact: Callable[[int], None],
) -> None:
    for name in ("a", "b", "c"):
        core_v1.create_namespaced_pod(namespace, _pod(name))
    token = _wire(core_v1.list_namespaced_pod(namespace, limit=1))["metadata"]["continue"]
    core_v1.patch_namespaced_pod("a", namespace, {"metadata": {"labels": {"x": "1"}}})
    compact(int(_list_revision(core_v1.list_namespaced_pod(namespace))))

    error = _expect_api_error(
        lambda: core_v1.list_namespaced_pod(namespace, limit=1, _continue=token)
    )

    assert error.status == 410
    status = _wire(kube_client.deserialize(error.body, "V1Status", "application/json"))
    assert (status["reason"], status["code"]) == ("Expired", 410)
    assert status["message"].startswith(
        "The provided continue parameter is too old to display a consistent list result."
    )


def test_pagination_returns_every_object_exactly_once(
    core_v1: client.CoreV1Api, namespace: str
) -> None:
    names = [f"pod-{i:02d}" for i in range(7)]
    for name in names:
        core_v1.create_namespaced_pod(namespace, _pod(name))

    pages: list[list[str]] = []
    token: str | None = None
    while True:
        page = core_v1.list_namespaced_pod(namespace, limit=3, _continue=token)
        pages.append(_names(page))
        token = _wire(page)["metadata"].get("continue")
        if not token:
            break
        # A write between pages does not leak into the snapshot being paged through.
        if len(pages) == 1:
            core_v1.create_namespaced_pod(namespace, _pod("pod-late"))
        assert len(pages) < 10, "pagination does not end"

    assert pages == [names[0:3], names[3:6], names[6:7]]
    assert "pod-late" in _names(core_v1.list_namespaced_pod(namespace))


def test_pagination_with_a_label_selector_pages_only_matches(
    core_v1: client.CoreV1Api, namespace: str
) -> None:
    for i in range(6):
        core_v1.create_namespaced_pod(namespace, _pod(f"pod-{i}", tier="odd" if i % 2 else "even"))

    seen: list[str] = []
    token: str | None = None
    for _ in range(10):
        page = core_v1.list_namespaced_pod(
            namespace, label_selector="tier=odd", limit=2, _continue=token
        )
        seen += _names(page)
        token = _wire(page)["metadata"].get("continue")
        if not token:
            break

    assert seen == ["pod-1", "pod-3", "pod-5"]


def test_a_deleted_pod_on_a_node_stays_until_its_grace_period_is_confirmed(
    core_v1: client.CoreV1Api, namespace: str
) -> None:
    body = _pod("web")
    assert body.spec is not None
    body.spec.node_name = "worker-1"
    core_v1.create_namespaced_pod(namespace, body)

    core_v1.delete_namespaced_pod("web", namespace, grace_period_seconds=30)

    marked = _wire(core_v1.read_namespaced_pod("web", namespace))["metadata"]
    assert marked["deletionGracePeriodSeconds"] == 30
    assert marked["deletionTimestamp"]
    # What the node agent does once the containers stopped: delete with no grace left.
    core_v1.delete_namespaced_pod("web", namespace, grace_period_seconds=0)
    assert _names(core_v1.list_namespaced_pod(namespace)) == []
