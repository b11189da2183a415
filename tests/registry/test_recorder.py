"""The event recorder: Events about objects, repeats folded into one with a count."""

from __future__ import annotations

import logging

import pytest

from cluster.registry.bootstrap import ensure_system_namespaces
from cluster.registry.catalog import RESOURCES
from cluster.registry.recorder import NORMAL, WARNING, EventRecorder
from cluster.registry.registry import DeleteOptions, Registry
from cluster.registry.vocabulary import Object

pytestmark = pytest.mark.django_db(transaction=True)

EVENTS = RESOURCES.by_kind("", "Event")
PODS = RESOURCES.by_kind("", "Pod")
NAMESPACES = RESOURCES.by_kind("", "Namespace")


def make_pod(registry: Registry, namespace: str = "default") -> Object:
    assert PODS is not None
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "web"},
        "spec": {"containers": [{"name": "c", "image": "busybox"}]},
    }
    return registry.create(PODS, namespace, pod).object


@pytest.fixture
def recorder(registry: Registry) -> EventRecorder:
    ensure_system_namespaces(registry)
    assert EVENTS is not None
    return EventRecorder(registry, "default-scheduler")


def events(registry: Registry, namespace: str = "default") -> list[Object]:
    assert EVENTS is not None
    return registry.list(EVENTS, namespace).items


def test_it_records_an_event_about_the_object(
    registry: Registry, recorder: EventRecorder, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="cluster.registry.recorder")
    pod = make_pod(registry)
    recorder.event(pod, NORMAL, "Scheduled", "Successfully assigned default/web to node-1")
    [event] = events(registry)
    assert event["involvedObject"]["uid"] == pod["metadata"]["uid"]
    assert event["involvedObject"]["kind"] == "Pod"
    assert (event["type"], event["reason"], event["count"]) == ("Normal", "Scheduled", 1)
    assert event["source"] == {"component": "default-scheduler"}
    assert event["metadata"]["name"].startswith("web.")
    assert "Scheduled Pod default/web: Successfully assigned" in caplog.text


def test_a_repeated_event_is_counted_not_duplicated(
    registry: Registry, recorder: EventRecorder
) -> None:
    pod = make_pod(registry)
    for _ in range(3):
        recorder.event(pod, WARNING, "FailedScheduling", "0/1 nodes are available")
    recorder.event(pod, WARNING, "FailedScheduling", "0/2 nodes are available")
    counts = sorted((e["message"], e["count"]) for e in events(registry))
    assert counts == [("0/1 nodes are available", 3), ("0/2 nodes are available", 1)]


def test_an_event_that_cannot_be_written_does_not_fail_the_caller(
    registry: Registry, recorder: EventRecorder
) -> None:
    assert NAMESPACES is not None
    registry.create(NAMESPACES, None, {"metadata": {"name": "leaving"}})
    pod = make_pod(registry, "leaving")
    registry.delete(NAMESPACES, None, "leaving", DeleteOptions())
    recorder.event(pod, NORMAL, "Killing", "Stopping container c")
    assert events(registry, "leaving") == []


def test_events_recorded_together_are_each_recorded_as_alone(
    registry: Registry, recorder: EventRecorder
) -> None:
    pod = make_pod(registry)
    recorder.event(pod, WARNING, "FailedScheduling", "0/1 nodes are available")

    recorder.record_all(
        [
            (pod, NORMAL, "Scheduled", "Successfully assigned default/web to node-1"),
            (pod, WARNING, "FailedScheduling", "0/1 nodes are available"),  # a repeat
            (pod, NORMAL, "Pulled", "Pulled image"),
            (pod, NORMAL, "Pulled", "Pulled image"),  # a repeat within the batch
        ]
    )

    counts = sorted((e["reason"], e["count"]) for e in events(registry))
    assert counts == [("FailedScheduling", 2), ("Pulled", 2), ("Scheduled", 1)]
    [scheduled] = [e for e in events(registry) if e["reason"] == "Scheduled"]
    assert scheduled["involvedObject"]["uid"] == pod["metadata"]["uid"]
    assert scheduled["source"] == {"component": "default-scheduler"}


def test_events_recorded_together_skip_a_namespace_being_deleted_and_keep_the_others(
    registry: Registry, recorder: EventRecorder
) -> None:
    assert NAMESPACES is not None
    registry.create(NAMESPACES, None, {"metadata": {"name": "leaving"}})
    leaving = make_pod(registry, "leaving")
    staying = make_pod(registry)
    registry.delete(NAMESPACES, None, "leaving", DeleteOptions())

    recorder.record_all(
        [
            (leaving, NORMAL, "Killing", "Stopping container c"),
            (staying, NORMAL, "Scheduled", "Successfully assigned default/web to node-1"),
        ]
    )

    assert events(registry, "leaving") == []
    assert [e["reason"] for e in events(registry)] == ["Scheduled"]


def test_an_invalid_event_recorded_together_is_logged_not_written(
    registry: Registry, recorder: EventRecorder, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="cluster.registry.recorder")
    pod = make_pod(registry)

    recorder.record_all(
        [
            (pod, "Odd", "Scheduled", "a type that is neither Normal nor Warning"),
            (pod, NORMAL, "Ok", "fine"),
        ]
    )

    assert [e["reason"] for e in events(registry)] == ["Ok"]
    assert "not recorded" in caplog.text
