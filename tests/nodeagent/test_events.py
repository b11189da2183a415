"""The agent's events list in the order they happened, as kubelet's do: ``kubectl describe``
sorts events by ``lastTimestamp`` (whole seconds) and leaves those of one second in the order
the API lists them, which is by name."""

from __future__ import annotations

from nodeagent.client import ApiClient
from nodeagent.events import NORMAL, EventRecorder
from tests.e2e.cluster import Api


def test_events_recorded_in_one_second_list_in_the_order_they_happened(
    client: ApiClient, admin: Api, namespace: str
) -> None:
    recorder = EventRecorder(client, "node-events")
    pod = {"metadata": {"name": "web", "namespace": namespace, "uid": "uid-web"}}
    reasons = ["Scheduled", "Pulled", "Created", "Started", *(f"Step{i}" for i in range(16))]

    for reason in reasons:
        recorder.pod_event(pod, NORMAL, reason, f"{reason} web")

    listed = admin.get(f"/api/v1/namespaces/{namespace}/events").body["items"]
    assert [event["reason"] for event in listed] == reasons
    assert all(event["metadata"]["name"].startswith("web.") for event in listed)


def test_a_repeat_counts_on_the_first_event_instead_of_adding_one(
    client: ApiClient, admin: Api, namespace: str
) -> None:
    recorder = EventRecorder(client, "node-events")
    pod = {"metadata": {"name": "web", "namespace": namespace, "uid": "uid-web"}}

    for _ in range(3):
        recorder.pod_event(pod, NORMAL, "BackOff", "Back-off restarting failed container")

    listed = admin.get(f"/api/v1/namespaces/{namespace}/events").body["items"]
    assert [(event["reason"], event["count"]) for event in listed] == [("BackOff", 3)]
