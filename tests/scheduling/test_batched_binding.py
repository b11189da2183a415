"""Bindings in batches: one store transaction for many pods, each still bound at most once.

``bind_pods`` must give every pod exactly what ``bind_pod`` would: a pod bound meanwhile,
replaced, deleted or named by a malformed Binding fails alone, with the error ``bind_pod``
raises, while the rest of the batch is bound; and the scheduler records one Scheduled Event
for each pod it bound and none for the others.
"""

from __future__ import annotations

import pytest

from cluster.registry.bootstrap import ensure_system_namespaces
from cluster.registry.errors import BadRequest, Conflict, Invalid, NotFound
from cluster.registry.registry import DeleteOptions, Registry
from cluster.registry.subresources import PodBinding, bind_pods
from cluster.registry.vocabulary import Object
from cluster.scheduling.actions import DecisionWriter
from cluster.scheduling.queue import pending_pod
from tests.scheduling.schedulingkit import (
    NS,
    PODS,
    bind,
    create_node,
    create_pod,
    events,
    get_pod,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _namespaces(registry: Registry) -> None:
    ensure_system_namespaces(registry)
    create_node(registry, "n1")
    create_node(registry, "n2")


def to(node: str, pod: Object | None = None, **meta: str) -> Object:
    """A Binding to ``node``; with ``pod``, naming its uid as kube-scheduler's do."""
    if pod is not None:
        meta["uid"] = pod["metadata"]["uid"]
    return {"metadata": meta, "target": {"kind": "Node", "name": node}}


def test_each_binding_of_a_batch_succeeds_or_fails_on_its_own(registry: Registry) -> None:
    free = create_pod(registry, "free")
    taken = create_pod(registry, "taken")
    bind(registry, "taken", node="n2")
    gone = create_pod(registry, "gone")
    registry.delete(PODS, NS, "gone", DeleteOptions())
    replaced = create_pod(registry, "replaced")
    registry.delete(PODS, NS, "replaced", DeleteOptions())
    create_pod(registry, "replaced")
    create_pod(registry, "odd")
    also_free = create_pod(registry, "also-free")

    results = bind_pods(
        registry,
        [
            PodBinding(NS, "free", to("n1", free), free),
            PodBinding(NS, "taken", to("n1", taken), taken),
            PodBinding(NS, "gone", to("n1", gone), gone),
            PodBinding(NS, "replaced", to("n1", replaced), replaced),
            PodBinding(NS, "odd", to("n1", name="another")),
            PodBinding(NS, "odd-target", {"target": {"kind": "Service", "name": "n1"}}),
            PodBinding(NS, "also-free", to("n2", also_free), also_free),
        ],
    )

    assert [type(r) for r in results] == [
        dict,
        Conflict,
        NotFound,
        Conflict,
        BadRequest,
        Invalid,
        dict,
    ]
    assert str(results[2]) == 'pods "gone" not found'
    assert 'already assigned to node "n2"' in str(results[1])
    assert "Precondition failed: UID" in str(results[3])
    assert results[0] == get_pod(registry, "free")
    assert get_pod(registry, "free")["spec"]["nodeName"] == "n1"
    assert get_pod(registry, "also-free")["spec"]["nodeName"] == "n2"
    assert get_pod(registry, "taken")["spec"]["nodeName"] == "n2"
    assert "nodeName" not in get_pod(registry, "replaced")["spec"]
    assert "nodeName" not in get_pod(registry, "odd")["spec"]


def test_bound_pods_carry_the_scheduled_condition(registry: Registry) -> None:
    pods = [create_pod(registry, f"web-{i}") for i in range(3)]

    results = bind_pods(
        registry, [PodBinding(NS, p["metadata"]["name"], to("n1", p)) for p in pods]
    )

    for result in results:
        assert isinstance(result, dict)
        [scheduled] = [c for c in result["status"]["conditions"] if c["type"] == "PodScheduled"]
        assert scheduled["status"] == "True"


def test_a_pod_in_two_batches_at_once_is_bound_by_one_of_them(registry: Registry) -> None:
    seen = create_pod(registry, "web")
    first = bind_pods(registry, [PodBinding(NS, "web", to("n1", seen), seen)])

    second = bind_pods(registry, [PodBinding(NS, "web", to("n2", seen), seen)])

    assert isinstance(first[0], dict)
    assert isinstance(second[0], Conflict)
    assert get_pod(registry, "web")["spec"]["nodeName"] == "n1"


def test_the_scheduler_records_scheduled_events_only_for_the_pods_it_bound(
    registry: Registry,
) -> None:
    web = pending_pod(create_pod(registry, "web"))
    db = pending_pod(create_pod(registry, "db"))
    bind(registry, "db", node="n2")  # someone else won this one

    outcomes = DecisionWriter(registry).bind_all([(web, "n1"), (db, "n1")])

    assert outcomes == {"bound": 1, "lost": 1}
    [event] = events(registry, "Scheduled")
    assert event["message"] == "Successfully assigned default/web to n1"
    assert event["involvedObject"]["uid"] == web.uid
    assert event["count"] == 1
