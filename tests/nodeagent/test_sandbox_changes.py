"""The rules the agent follows when a pod's sandbox died (kubelet's ``computePodActions``),
and how it retries while the engine is away: pure logic, checked on plain data.

``test_pods_engine_restart.py`` shows them end to end against a restarted Docker engine.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from nodeagent import labels
from nodeagent.pods.status import pod_status, ran_in
from nodeagent.pods.sync import containers_to_start
from nodeagent.pods.workers import retry_delay
from nodeagent.runtime.base import Container, ContainerState
from nodeagent.runtime.docker import _sandbox_id

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def app(
    name: str,
    state: ContainerState,
    *,
    exit_code: int | None = None,
    sandbox_id: str | None = "box-1",
    init: bool = False,
    restarts: int = 0,
) -> Container:
    return Container(
        id=f"{name}-{restarts}",
        name=name,
        labels={
            labels.CONTAINER_KIND: labels.APP,
            labels.CONTAINER_NAME: name,
            labels.RESTART_COUNT: str(restarts),
            labels.INIT: "true" if init else "false",
        },
        state=state,
        image="busybox",
        image_id="sha256:1",
        created_at=NOW,
        exit_code=exit_code,
        sandbox_id=sandbox_id,
    )


def sandbox(box_id: str, state: ContainerState) -> Container:
    return Container(
        id=box_id,
        name="POD",
        labels={labels.CONTAINER_KIND: labels.SANDBOX, labels.CONTAINER_NAME: "POD"},
        state=state,
        image="pause",
        image_id="sha256:2",
        created_at=NOW,
    )


def pod(policy: str, *names: str, init: tuple[str, ...] = ()) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "restartPolicy": policy,
        "containers": [{"name": n, "image": "busybox"} for n in names],
    }
    if init:
        spec["initContainers"] = [{"name": n, "image": "busybox"} for n in init]
    return {"metadata": {"name": "p", "namespace": "ns", "uid": "u"}, "spec": spec}


@pytest.mark.parametrize(
    ("policy", "expected"),
    [("Always", ["failed", "succeeded"]), ("OnFailure", ["failed"]), ("Never", [])],
)
def test_a_new_sandbox_starts_the_containers_the_policy_restarts(
    policy: str, expected: list[str]
) -> None:
    containers = [
        app("failed", "exited", exit_code=137),
        app("succeeded", "exited", exit_code=0),
    ]
    assert containers_to_start(pod(policy, "failed", "succeeded"), containers) == expected


def test_on_failure_starts_every_container_that_never_ran() -> None:
    assert containers_to_start(pod("OnFailure", "a", "b"), []) == ["a", "b"]


def test_a_container_ran_in_the_sandbox_whose_namespace_it_joined() -> None:
    assert ran_in(app("a", "exited", sandbox_id="box-1"), "box-1")
    assert not ran_in(app("a", "exited", sandbox_id="box-1"), "box-2")
    # A runtime that does not tell: the current sandbox is assumed.
    assert ran_in(app("a", "exited", sandbox_id=None), "box-2")


@pytest.mark.parametrize(
    ("mode", "expected"),
    [("container:abc123", "abc123"), ("none", None), ("bridge", None), ("", None)],
)
def test_the_sandbox_of_a_docker_container_is_the_one_whose_network_it_joined(
    mode: str, expected: str | None
) -> None:
    assert _sandbox_id({"NetworkMode": mode}) == expected


def test_a_pod_whose_init_containers_run_again_in_a_new_sandbox_stays_initialized() -> None:
    containers = [
        sandbox("box-1", "exited"),
        sandbox("box-2", "running"),
        app("setup", "exited", exit_code=0, init=True),
        app("setup", "running", sandbox_id="box-2", init=True, restarts=1),
        app("app", "exited", exit_code=137),
    ]
    status = pod_status(
        pod("Always", "app", init=("setup",)), containers, waiting={}, host_ip="10.0.0.1", now=NOW
    )
    assert status["phase"] == "Running"
    conditions = {c["type"]: c["status"] for c in status["conditions"]}
    assert (conditions["Initialized"], conditions["Ready"]) == ("True", "False")
    assert "running" in status["initContainerStatuses"][0]["state"]


def test_a_pod_initializing_for_the_first_time_is_pending() -> None:
    containers = [sandbox("box-1", "running"), app("setup", "running", init=True)]
    status = pod_status(
        pod("Always", "app", init=("setup",)), containers, waiting={}, host_ip="10.0.0.1", now=NOW
    )
    assert status["phase"] == "Pending"
    conditions = {c["type"]: c["status"] for c in status["conditions"]}
    assert conditions["Initialized"] == "False"


def test_failed_syncs_are_retried_after_a_doubling_delay_up_to_the_resync_period() -> None:
    assert [retry_delay(n, 10.0) for n in range(6)] == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]
    assert retry_delay(1000, 10.0) == 10.0
