"""core/v1 Events: kube's legacy validation, timestamps, and create-on-update.

Most tests run the strategy's hooks directly, in the order the registry runs them; the last
group goes through the real registry over PostgreSQL.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from cluster.registry.errors import Invalid
from cluster.registry.kinds.events import EventStrategy
from cluster.registry.kinds.namespaces import NamespaceStrategy
from cluster.registry.registry import Registry
from cluster.registry.resources import Resource
from cluster.store.types import Object

DB = pytest.mark.django_db(transaction=True)
STRATEGY = EventStrategy()
EVENTS = Resource("", "v1", "Event", "events", "event", STRATEGY)
NAMESPACES = Resource(
    "", "v1", "Namespace", "namespaces", "namespace", NamespaceStrategy(), namespaced=False
)
NAME = "web.17a8b3c9d2e1f0a4"


def event(namespace: str = "default", **fields: Any) -> Object:
    body: Object = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": NAME, "namespace": namespace},
        "involvedObject": {"kind": "Pod", "name": "web", "namespace": namespace},
        "reason": "Scheduled",
        "message": "Successfully assigned default/web to node-1",
        "type": "Normal",
        "source": {"component": "default-scheduler"},
        "count": 1,
        "firstTimestamp": "2025-01-02T03:04:05Z",
        "lastTimestamp": "2025-01-02T03:04:05Z",
    }
    body.update(fields)
    return body


def defaulted(obj: Object) -> Object:
    new = copy.deepcopy(obj)
    STRATEGY.default(new)
    STRATEGY.prepare_for_create(new)
    return new


def problems(obj: Object) -> list[str]:
    return [f"{c.field}: {c.message}" for c in STRATEGY.validate(defaulted(obj))]


def test_a_valid_old_style_event_has_no_causes() -> None:
    assert problems(event()) == []


def test_the_involved_object_needs_a_kind_and_a_name() -> None:
    assert problems(event(involvedObject={"namespace": "default"})) == [
        "involvedObject.kind: Required value",
        "involvedObject.name: Required value",
    ]
    assert problems(event(involvedObject=None)) == ["involvedObject: Required value"]


def test_the_involved_objects_namespace_must_be_the_events() -> None:
    elsewhere = event(involvedObject={"kind": "Pod", "name": "web", "namespace": "team-a"})
    assert problems(elsewhere) == [
        'involvedObject.namespace: Invalid value: "team-a": does not match event.namespace'
    ]


def test_events_about_cluster_scoped_objects_live_in_default() -> None:
    about_node = {"kind": "Node", "name": "node-1"}
    assert problems(event(involvedObject=about_node)) == []
    assert problems(event("team-a", involvedObject=about_node)) == [
        'involvedObject.namespace: Invalid value: "": does not match event.namespace'
    ]


def test_the_type_is_normal_or_warning() -> None:
    assert problems(event(type="Error")) == [
        'type: Unsupported value: "Error": supported values: "Normal", "Warning"'
    ]


def test_a_new_style_event_names_its_reporter_action_and_reason() -> None:
    new_style = event(
        eventTime="2025-01-02T03:04:05.123456Z",
        reportingComponent="",
        reason="",
        action="x" * 129,
        message="m" * 1025,
    )
    assert problems(new_style) == [
        "reportingController: Required value",
        'reportingController: Invalid value: "": name part must be non-empty',
        "reportingInstance: Required value",
        'action: Invalid value: "": can have at most 128 characters',
        "reason: Required value",
        'message: Invalid value: "": can have at most 1024 characters',
    ]
    complete = event(
        eventTime="2025-01-02T03:04:05.123456Z",
        reportingComponent="pilothouse.io/scheduler",
        reportingInstance="scheduler-0",
        action="Binding",
    )
    assert problems(complete) == []


def test_timestamps_are_stored_in_utc_as_kube_prints_them() -> None:
    new = defaulted(
        event(
            firstTimestamp="2025-01-02T05:04:05.9+02:00",
            eventTime="2025-01-02T05:04:05.123456+02:00",
            series={"count": 2, "lastObservedTime": "2025-01-02T03:04:06.000001Z"},
        )
    )
    assert new["firstTimestamp"] == "2025-01-02T03:04:05Z"
    assert new["eventTime"] == "2025-01-02T03:04:05.123456Z"
    assert new["series"]["lastObservedTime"] == "2025-01-02T03:04:06.000001Z"


def test_malformed_timestamps_and_mistyped_fields_are_refused() -> None:
    broken = event(
        lastTimestamp="yesterday",
        eventTime="2025-01-02T03:04:05Z",
        count="one",
        source={"component": 7},
        reportingComponent="pilothouse.io/scheduler",
        reportingInstance="scheduler-0",
        action="Binding",
    )
    assert problems(broken) == [
        'count: Invalid value: "one": must be an integer',
        "source.component: Invalid value: 7: must be a string",
        'lastTimestamp: Invalid value: "yesterday": must be an RFC 3339 date-time, e.g. '
        '"2006-01-02T15:04:05Z"',
        'eventTime: Invalid value: "2025-01-02T03:04:05Z": must be an RFC 3339 date-time with '
        'microseconds, e.g. "2006-01-02T15:04:05.000000Z"',
    ]


# -- through the registry --


@pytest.fixture
def events(registry: Registry) -> Registry:
    registry.create(NAMESPACES, None, {"metadata": {"name": "default"}})
    return registry


@DB
def test_an_event_name_need_only_be_one_path_segment(events: Registry) -> None:
    events.create(EVENTS, "default", event())
    assert events.get(EVENTS, "default", NAME)["reason"] == "Scheduled"
    slashed = event()
    slashed["metadata"]["name"] = "web/1"
    with pytest.raises(Invalid) as raised:
        events.create(EVENTS, "default", slashed)
    assert [f"{c.field}: {c.message}" for c in raised.value.causes] == [
        "metadata.name: Invalid value: \"web/1\": may not contain '/'"
    ]


@DB
def test_an_update_of_a_missing_event_creates_it_and_the_next_one_bumps_it(
    events: Registry,
) -> None:
    def bump(obj: Object) -> Object:
        obj["count"] += 1
        return obj

    first = events.update(EVENTS, "default", NAME, bump, create_if_missing=event())
    assert first.created is True
    assert first.object["count"] == 1
    again = events.update(EVENTS, "default", NAME, bump, create_if_missing=event())
    assert again.created is False
    assert events.get(EVENTS, "default", NAME)["count"] == 2
