"""restartPolicy with back-off (CrashLoopBackOff) and imagePullPolicy failures, on Docker.

The agents here back off 1 s at first, doubling up to 4 s, so that the tests see several
restarts quickly; kubelet's 10 s and 5 minutes are the defaults of ``AgentConfig``.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.cluster import Api
from tests.nodeagent.conftest import Agents
from tests.nodeagent.pods import (
    container,
    container_state,
    events_for,
    phase,
    run_pod,
    shell,
    wait_for_pod,
    waiting_reason,
    watched_waiting_reasons,
)
from tests.serving import free_port

pytestmark = [pytest.mark.docker, pytest.mark.e2e]


def test_never_leaves_a_failed_container_failed(admin: Api, namespace: str, agents: Agents) -> None:
    agents.start()
    run_pod(
        admin, namespace, agents.node_name, "once", [shell("app", "exit 2")], restartPolicy="Never"
    )
    pod = wait_for_pod(admin, namespace, "once", phase("Failed"))
    app = container_state(pod, "app")
    assert app["state"]["terminated"]["exitCode"] == 2
    assert app["restartCount"] == 0


def test_on_failure_restarts_until_it_succeeds(admin: Api, namespace: str, agents: Agents) -> None:
    agents.start()
    mount = [{"name": "state", "mountPath": "/state"}]
    # Fails on its first run, succeeds on the second (the emptyDir outlives the container).
    app = shell("app", "[ -e /state/ran ] && exit 0; touch /state/ran; exit 1", volumeMounts=mount)
    run_pod(
        admin,
        namespace,
        agents.node_name,
        "retry",
        [app],
        restartPolicy="OnFailure",
        volumes=[{"name": "state", "emptyDir": {}}],
    )
    pod = wait_for_pod(admin, namespace, "retry", phase("Succeeded"))
    app_status = container_state(pod, "app")
    assert app_status["restartCount"] == 1
    assert app_status["lastState"]["terminated"]["exitCode"] == 1
    assert app_status["state"]["terminated"]["reason"] == "Completed"


def crash_looping(pod: dict[str, Any]) -> bool:
    status = container_state(pod, "app")
    waiting = status.get("state", {}).get("waiting") or {}
    return waiting.get("reason") == "CrashLoopBackOff" and status["restartCount"] >= 2


def test_always_restarts_with_growing_back_off(admin: Api, namespace: str, agents: Agents) -> None:
    agents.start()
    run_pod(admin, namespace, agents.node_name, "crasher", [shell("app", "echo bye; exit 1")])
    pod = wait_for_pod(admin, namespace, "crasher", crash_looping)
    status = container_state(pod, "app")
    assert pod["status"]["phase"] == "Running"
    assert status["ready"] is False
    assert status["lastState"]["terminated"]["exitCode"] == 1
    message = status["state"]["waiting"]["message"]
    assert message.startswith("back-off ")
    assert "restarting failed container=app" in message
    backoffs = [e for e in events_for(admin, namespace, "crasher") if e["reason"] == "BackOff"]
    assert backoffs
    assert backoffs[0]["type"] == "Warning"


def test_an_unpullable_image_waits_in_err_image_pull_then_back_off(
    admin: Api, namespace: str, agents: Agents
) -> None:
    agents.start()
    # A closed loopback port: the engine's pull fails at once, and nothing leaves the host.
    image = f"127.0.0.1:{free_port()}/missing:1"
    run_pod(admin, namespace, agents.node_name, "nopull", [container("app", image=image)])
    wanted = {"ErrImagePull", "ImagePullBackOff"}
    seen = watched_waiting_reasons(admin, namespace, "nopull", "app", wanted)
    assert seen[seen.index("ErrImagePull") + 1] == "ImagePullBackOff"
    pod = wait_for_pod(admin, namespace, "nopull", phase("Pending"))
    assert "waiting" in container_state(pod, "app")["state"]
    events = events_for(admin, namespace, "nopull")
    assert {"Pulling", "Failed", "BackOff"} <= {e["reason"] for e in events}
    failures = [e["message"] for e in events if e["reason"] == "Failed"]
    assert any(m.startswith(f'Failed to pull image "{image}": ') for m in failures)
    assert "Error: ErrImagePull" in failures


def test_a_missing_image_with_pull_policy_never_is_not_pulled(
    admin: Api, namespace: str, agents: Agents
) -> None:
    agents.start()
    app = container("app", image="pilothouse/absent:never", imagePullPolicy="Never")
    run_pod(admin, namespace, agents.node_name, "never", [app])
    pod = wait_for_pod(admin, namespace, "never", waiting_reason("app", "ErrImageNeverPull"))
    assert container_state(pod, "app")["state"]["waiting"]["message"] == (
        'Container image "pilothouse/absent:never" is not present with pull policy of Never'
    )
    assert "Pulling" not in {e["reason"] for e in events_for(admin, namespace, "never")}
