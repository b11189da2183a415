"""``kubectl get -w``: the table rows kubectl prints as the server streams watch events.

kubectl runs in the background; every read of its output is bounded in time, and it is
always stopped at the end. Rows are compared cell by cell (kubectl re-aligns the columns of
a watch as rows arrive), with ages matched loosely.
"""

from __future__ import annotations

import re

import pytest

from tests.e2e import manifests
from tests.e2e.cluster import Api, Kubectl
from tests.kubectl import KubectlStream

pytestmark = pytest.mark.e2e

READ_TIMEOUT = 10.0
AGE = re.compile(r"(\d+[smhd])+")


def _rows(stream: KubectlStream, count: int) -> list[list[str]]:
    lines = stream.read_lines(count, timeout=READ_TIMEOUT)
    assert len(lines) == count, f"expected {count} lines from kubectl, got {lines}"
    return [line.split() for line in lines]


def _pod_row(event: str, name: str) -> list[str]:
    return [event, name, "0/1", "Pending", "0"]


def _without_age(rows: list[list[str]]) -> list[list[str]]:
    for row in rows[1:]:
        assert AGE.fullmatch(row[-1]), row
    return [rows[0], *(row[:-1] for row in rows[1:])]


def test_watch_prints_added_modified_and_deleted_rows(
    kubectl: Kubectl, api: Api, namespace: str
) -> None:
    pods = f"/api/v1/namespaces/{namespace}/pods"
    api.create(pods, manifests.pod("alpha"))

    with kubectl.stream("get", "pods", "--watch", "--output-watch-events") as stream:
        initial = _rows(stream, 2)
        api.create(pods, manifests.pod("beta"))
        kubectl.ok("label", "pod", "alpha", "seen=yes")
        kubectl.ok("delete", "pod", "beta")
        changes = _rows(stream, 3)
        err = stream.stop()

    assert _without_age(initial + changes) == [
        ["EVENT", "NAME", "READY", "STATUS", "RESTARTS", "AGE"],
        _pod_row("ADDED", "alpha"),
        _pod_row("ADDED", "beta"),
        _pod_row("MODIFIED", "alpha"),
        _pod_row("DELETED", "beta"),
    ]
    assert err == ""


def test_watch_without_event_types_prints_plain_rows(
    kubectl: Kubectl, api: Api, namespace: str
) -> None:
    api.create(f"/api/v1/namespaces/{namespace}/pods", manifests.pod("alpha"))

    with kubectl.stream("get", "pods", "-w") as stream:
        initial = _rows(stream, 2)
        kubectl.ok("label", "pod", "alpha", "seen=yes")
        changes = _rows(stream, 1)

    assert _without_age(initial + changes) == [
        ["NAME", "READY", "STATUS", "RESTARTS", "AGE"],
        ["alpha", "0/1", "Pending", "0"],
        ["alpha", "0/1", "Pending", "0"],
    ]


def test_watch_only_skips_the_current_state(kubectl: Kubectl, api: Api, namespace: str) -> None:
    api.create(f"/api/v1/namespaces/{namespace}/pods", manifests.pod("alpha"))

    with kubectl.stream("get", "pods", "--watch-only", "--output-watch-events") as stream:
        # Nothing is printed until something changes; give kubectl time to start watching.
        assert stream.read_lines(1, timeout=1.5) == []
        kubectl.ok("label", "pod", "alpha", "seen=yes")
        rows = _rows(stream, 2)

    assert _without_age(rows) == [
        ["EVENT", "NAME", "READY", "STATUS", "RESTARTS", "AGE"],
        _pod_row("MODIFIED", "alpha"),
    ]


def test_watch_of_one_object_sees_only_that_object(
    kubectl: Kubectl, api: Api, namespace: str
) -> None:
    pods = f"/api/v1/namespaces/{namespace}/pods"
    api.create(pods, manifests.pod("alpha"))
    api.create(pods, manifests.pod("beta"))

    with kubectl.stream("get", "pod", "alpha", "-w", "--output-watch-events") as stream:
        initial = _rows(stream, 2)
        kubectl.ok("label", "pod", "beta", "seen=yes")
        kubectl.ok("label", "pod", "alpha", "seen=yes")
        changes = _rows(stream, 1)

    assert _without_age(initial + changes) == [
        ["EVENT", "NAME", "READY", "STATUS", "RESTARTS", "AGE"],
        _pod_row("ADDED", "alpha"),
        _pod_row("MODIFIED", "alpha"),
    ]


def test_watch_with_a_selector_sees_objects_enter_and_leave_it(
    kubectl: Kubectl, api: Api, namespace: str
) -> None:
    api.create(f"/api/v1/namespaces/{namespace}/pods", manifests.pod("alpha"))

    with kubectl.stream(
        "get", "pods", "-l", "tier=front", "--watch-only", "--output-watch-events"
    ) as stream:
        assert stream.read_lines(1, timeout=1.5) == []
        kubectl.ok("label", "pod", "alpha", "tier=front")
        kubectl.ok("label", "pod", "alpha", "tier-")
        rows = _rows(stream, 3)

    assert _without_age(rows) == [
        ["EVENT", "NAME", "READY", "STATUS", "RESTARTS", "AGE"],
        _pod_row("ADDED", "alpha"),
        _pod_row("DELETED", "alpha"),
    ]


def test_watch_of_services_prints_service_rows(kubectl: Kubectl, api: Api, namespace: str) -> None:
    with kubectl.stream("get", "services", "--watch-only", "--output-watch-events") as stream:
        assert stream.read_lines(1, timeout=1.5) == []
        svc = api.create(f"/api/v1/namespaces/{namespace}/services", manifests.service("front"))
        rows = _rows(stream, 2)

    assert _without_age(rows) == [
        ["EVENT", "NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"],
        ["ADDED", "front", "ClusterIP", svc["spec"]["clusterIP"], "<none>", "80/TCP"],
    ]
