"""How the EndpointSlice controller packs endpoints: bounded slices, low churn, no leftovers."""

from __future__ import annotations

import pytest

from cluster.registry.bootstrap import ensure_system_namespaces
from cluster.registry.registry import DeleteOptions, Registry
from tests.controllers.endpointskit import NS, PODS, SERVICES, create_pod, create_service
from tests.controllers.endpointsliceskit import SLICES, addresses, slices, sync

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _namespaces(registry: Registry) -> None:
    ensure_system_namespaces(registry)


def test_no_slice_holds_more_than_the_limit(registry: Registry) -> None:
    create_service(registry)
    for i in range(5):
        create_pod(registry, f"p{i}", ip=f"10.244.0.{i + 1}")

    sync(registry, limit=2)

    assert sorted(len(s["endpoints"]) for s in slices(registry)) == [1, 2, 2]
    assert sorted(a for s in slices(registry) for a in addresses(s)) == [
        f"10.244.0.{i}" for i in range(1, 6)
    ]


def test_a_new_pod_fills_a_slice_with_room_and_leaves_the_others_untouched(
    registry: Registry,
) -> None:
    create_service(registry)
    for i in range(3):
        create_pod(registry, f"p{i}", ip=f"10.244.0.{i + 1}")
    sync(registry, limit=2)
    before = {s["metadata"]["name"]: s["metadata"]["resourceVersion"] for s in slices(registry)}

    create_pod(registry, "new", ip="10.244.0.0")
    sync(registry, limit=2)

    after = {s["metadata"]["name"]: s for s in slices(registry)}
    assert set(after) == set(before)
    full = [n for n, s in after.items() if s["metadata"]["resourceVersion"] == before[n]]
    assert len(full) == 1
    assert all(len(s["endpoints"]) == 2 for s in after.values())


def test_an_emptied_slice_is_deleted(registry: Registry) -> None:
    create_service(registry)
    for i in range(3):
        create_pod(registry, f"p{i}", ip=f"10.244.0.{i + 1}")
    sync(registry, limit=2)
    lone = next(s for s in slices(registry) if len(s["endpoints"]) == 1)
    pod = lone["endpoints"][0]["targetRef"]["name"]
    registry.delete(PODS, NS, pod, DeleteOptions(grace_period_seconds=0))

    sync(registry, limit=2)

    assert [len(s["endpoints"]) for s in slices(registry)] == [2]


def test_slices_of_a_recreated_service_are_replaced(registry: Registry) -> None:
    create_service(registry)
    create_pod(registry, "a", ip="10.244.0.5")
    sync(registry)
    old = slices(registry)[0]["metadata"]["name"]
    registry.delete(SERVICES, NS, "web", DeleteOptions())
    create_service(registry)

    sync(registry)

    (current,) = slices(registry)
    assert current["metadata"]["name"] != old
    assert addresses(current) == ["10.244.0.5"]


def test_a_slice_edited_by_hand_is_put_back(registry: Registry) -> None:
    create_service(registry)
    create_pod(registry, "a", ip="10.244.0.5")
    sync(registry)
    (edited,) = slices(registry)

    def tamper(obj: dict) -> dict:  # type: ignore[type-arg]
        obj["endpoints"][0]["addresses"] = ["10.244.7.7"]
        return obj

    registry.update(SLICES, NS, edited["metadata"]["name"], tamper)
    sync(registry)

    assert addresses(slices(registry)[0]) == ["10.244.0.5"]
