"""Pod logs on the API side: which container instance, which options, which node endpoint, and
the refusals in kube's words. The proxying itself is tested end to end against a real agent
(tests/nodeagent/test_pods_logs.py) and against the log server (tests/nodeagent/test_logserver.py).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.http import QueryDict

from cluster.api.kubeletclient import KubeletEndpoint
from cluster.api.podlogs import (
    FINGERPRINT_ANNOTATION,
    ServiceUnavailable,
    choose_container,
    container_id,
    is_log,
    kubelet_endpoint,
    parse_log_options,
)
from cluster.registry.errors import BadRequest, Invalid


def _pod(*containers: str, init: tuple[str, ...] = (), **status: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": "p"},
        "spec": {
            "containers": [{"name": c} for c in containers],
            "initContainers": [{"name": c} for c in init],
        },
        "status": status,
    }


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("GET", "/api/v1/namespaces/ns/pods/p/log", True),
        ("GET", "/api/v1/namespaces/ns/pods/p/log/", True),
        ("POST", "/api/v1/namespaces/ns/pods/p/log", False),
        ("GET", "/api/v1/namespaces/ns/pods/p/status", False),
        ("GET", "/api/v1/namespaces/ns/pods/log", False),
    ],
)
def test_only_gets_of_a_pods_log_are_log_requests(method: str, path: str, expected: bool) -> None:
    assert is_log({"type": "http", "method": method, "path": path}) is expected


def test_options_are_read_as_kubectl_sends_them() -> None:
    query = QueryDict(
        "container=c&follow=true&previous=true&timestamps=true&tailLines=5&sinceSeconds=60"
        "&limitBytes=100"
    )

    options = parse_log_options(query, "p")

    assert (options.container, options.follow, options.previous, options.timestamps) == (
        "c",
        True,
        True,
        True,
    )
    assert (options.tail_lines, options.since_seconds, options.limit_bytes) == (5, 60, 100)


def test_invalid_options_are_a_422_in_kubes_words() -> None:
    with pytest.raises(Invalid) as refused:
        parse_log_options(QueryDict("tailLines=-1&limitBytes=0"), "p")

    assert refused.value.message == (
        'PodLogOptions "p" is invalid: [tailLines: Invalid value: -1: must be greater than or '
        "equal to 0, limitBytes: Invalid value: 0: must be greater than 0]"
    )


def test_since_seconds_and_since_time_exclude_each_other() -> None:
    with pytest.raises(Invalid, match="at most one of `sinceTime` or `sinceSeconds`"):
        parse_log_options(QueryDict("sinceSeconds=5&sinceTime=2024-01-01T00:00:00Z"), "p")


def test_a_number_that_is_not_one_is_a_400() -> None:
    with pytest.raises(BadRequest, match="tailLines"):
        parse_log_options(QueryDict("tailLines=ten"), "p")


def test_the_only_container_is_chosen_without_a_name() -> None:
    assert choose_container(_pod("app"), "") == "app"


def test_a_pod_with_several_containers_needs_a_name() -> None:
    with pytest.raises(BadRequest) as refused:
        choose_container(_pod("a", "b", init=("setup",)), "")

    assert refused.value.message == (
        "a container name must be specified for pod p, choose one of: [setup a b]"
    )


def test_an_unknown_container_is_not_valid() -> None:
    with pytest.raises(BadRequest, match="^container x is not valid for pod p$"):
        choose_container(_pod("a"), "x")


def test_an_init_container_can_be_named() -> None:
    assert choose_container(_pod("a", init=("setup",)), "setup") == "setup"


def _status(state: dict[str, Any], last: dict[str, Any] | None = None, **extra: Any) -> Any:
    return {
        "containerStatuses": [
            {"name": "app", "state": state, "lastState": last or {}, **extra},
        ]
    }


def test_a_running_container_is_read_by_its_id() -> None:
    pod = _pod("app", **_status({"running": {}}, containerID="docker://run"))

    assert container_id(pod, "app", previous=False) == "docker://run"


def test_previous_is_the_instance_of_last_state() -> None:
    last = {"terminated": {"containerID": "docker://old"}}
    pod = _pod("app", **_status({"running": {}}, last, containerID="docker://new"))

    assert container_id(pod, "app", previous=True) == "docker://old"


def test_a_crash_looping_container_shows_its_last_run() -> None:
    last = {"terminated": {"containerID": "docker://old"}}
    pod = _pod("app", **_status({"waiting": {"reason": "CrashLoopBackOff"}}, last))

    assert container_id(pod, "app", previous=False) == "docker://old"


@pytest.mark.parametrize(
    ("reason", "said"),
    [
        ("ContainerCreating", "ContainerCreating"),
        ("ErrImagePull", "image can't be pulled"),
        ("ImagePullBackOff", "trying and failing to pull image"),
    ],
)
def test_a_waiting_container_is_refused_in_kubelets_words(reason: str, said: str) -> None:
    pod = _pod("app", **_status({"waiting": {"reason": reason}}))

    with pytest.raises(BadRequest) as refused:
        container_id(pod, "app", previous=False)

    assert refused.value.message == f'container "app" in pod "p" is waiting to start: {said}'


def test_previous_without_a_terminated_instance_is_refused() -> None:
    pod = _pod("app", **_status({"running": {}}, containerID="docker://run"))

    with pytest.raises(BadRequest) as refused:
        container_id(pod, "app", previous=True)

    assert refused.value.message == 'previous terminated container "app" in pod "p" not found'


def test_a_container_without_status_is_not_available() -> None:
    with pytest.raises(BadRequest, match='^container "app" in pod "p" is not available$'):
        container_id(_pod("app"), "app", previous=False)


def _node(port: int, address: str, fingerprint: str) -> dict[str, Any]:
    return {
        "metadata": {"name": "n", "annotations": {FINGERPRINT_ANNOTATION: fingerprint}},
        "status": {
            "daemonEndpoints": {"kubeletEndpoint": {"Port": port}},
            "addresses": [
                {"type": "Hostname", "address": "host"},
                {"type": "InternalIP", "address": address},
            ],
        },
    }


def test_the_agent_is_reached_at_the_nodes_internal_ip_and_reported_port() -> None:
    assert kubelet_endpoint(_node(10250, "10.0.0.7", "ab")) == KubeletEndpoint(
        "10.0.0.7", 10250, "ab"
    )


@pytest.mark.parametrize(
    "node", [_node(0, "10.0.0.7", "ab"), _node(10250, "", "ab"), _node(10250, "10.0.0.7", "")]
)
def test_a_node_whose_agent_serves_no_logs_is_a_503(node: dict[str, Any]) -> None:
    with pytest.raises(ServiceUnavailable, match='^the node agent of node "n" serves no logs$'):
        kubelet_endpoint(node)
