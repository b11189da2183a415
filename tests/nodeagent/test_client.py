"""The agent's API client against a real API server: requests, errors, watches, retries."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from nodeagent.client import ApiClient, RetryPolicy
from nodeagent.errors import AlreadyExists, Conflict, NotFound, Unreachable
from nodeagent.kubeconfig import Credentials
from tests.serving import free_port


def lease(name: str, holder: str = "a") -> dict[str, Any]:
    return {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {"name": name},
        "spec": {"holderIdentity": holder},
    }


def leases(namespace: str) -> str:
    return f"/apis/coordination.k8s.io/v1/namespaces/{namespace}/leases"


def test_it_reads_the_api_over_https_with_the_kubeconfig(client: ApiClient) -> None:
    namespace = client.get("/api/v1/namespaces/default")
    assert namespace["metadata"]["name"] == "default"


def test_api_errors_become_exceptions(client: ApiClient, namespace: str) -> None:
    path = leases(namespace)
    with pytest.raises(NotFound):
        client.get(f"{path}/missing")
    created = client.create(path, lease("one"))
    with pytest.raises(AlreadyExists):
        client.create(path, lease("one"))
    client.replace(f"{path}/one", lease("one", "b") | {"metadata": created["metadata"]})
    with pytest.raises(Conflict):
        client.replace(f"{path}/one", lease("one", "c") | {"metadata": created["metadata"]})


def test_merge_patch_and_delete(client: ApiClient, namespace: str) -> None:
    path = leases(namespace)
    client.create(path, lease("one"))
    patched = client.merge_patch(f"{path}/one", {"spec": {"holderIdentity": "b"}})
    assert patched["spec"] == {"holderIdentity": "b"}
    client.delete(f"{path}/one", {"gracePeriodSeconds": 0})
    with pytest.raises(NotFound):
        client.get(f"{path}/one")


def test_a_watch_streams_changes_after_the_listed_version(
    client: ApiClient, namespace: str
) -> None:
    path = leases(namespace)
    version = client.get(path)["metadata"]["resourceVersion"]
    client.create(path, lease("seen"))
    query = {"resourceVersion": version, "allowWatchBookmarks": "true"}
    with client.watch(path, query, timeout_seconds=5) as events:
        first = next(iter(events))
    assert (first["type"], first["object"]["metadata"]["name"]) == ("ADDED", "seen")


def test_a_watch_ends_when_its_timeout_passes(client: ApiClient, namespace: str) -> None:
    path = leases(namespace)
    version = client.get(path)["metadata"]["resourceVersion"]
    started = time.monotonic()
    with client.watch(path, {"resourceVersion": version}, timeout_seconds=1) as events:
        assert [e for e in events if e["type"] != "BOOKMARK"] == []
    assert time.monotonic() - started < 5


def test_retry_delays_double_up_to_the_cap() -> None:
    policy = RetryPolicy(attempts=6, initial_delay=1, max_delay=5)
    assert list(policy.delays()) == [1, 2, 4, 5, 5]


def test_an_unreachable_api_is_retried_then_reported() -> None:
    credentials = Credentials(f"https://127.0.0.1:{free_port()}", None, "t")
    client = ApiClient(credentials, retry=RetryPolicy(attempts=3, initial_delay=0.1))
    started = time.monotonic()
    with pytest.raises(Unreachable):
        client.get("/api/v1/nodes")
    # Two waits between three attempts: 0.1 s and 0.2 s.
    assert 0.3 <= time.monotonic() - started < 5


def test_stopping_ends_the_retries_at_once() -> None:
    stop = threading.Event()
    stop.set()
    credentials = Credentials(f"https://127.0.0.1:{free_port()}", None, "t")
    client = ApiClient(credentials, retry=RetryPolicy(attempts=10, initial_delay=5), stop=stop)
    started = time.monotonic()
    with pytest.raises(Unreachable):
        client.get("/api/v1/nodes")
    assert time.monotonic() - started < 2


def test_only_https_servers_are_accepted() -> None:
    with pytest.raises(ValueError, match="https://"):
        ApiClient(Credentials("http://127.0.0.1:1", None, None))


def test_an_aborted_watch_ends_at_once(client: ApiClient, namespace: str) -> None:
    path = leases(namespace)
    version = client.get(path)["metadata"]["resourceVersion"]
    started = time.monotonic()
    with client.watch(path, {"resourceVersion": version}, timeout_seconds=60) as stream:
        threading.Timer(0.5, stream.abort).start()
        assert list(stream) == []
    assert time.monotonic() - started < 5
