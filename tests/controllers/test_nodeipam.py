"""Node IPAM: every node gets a podCIDR of its own from the cluster CIDR, never one twice."""

from __future__ import annotations

import pytest
from pytest_django.fixtures import Settings

from cluster.controllers.nodeipam import RECORD_KIND, PodCIDRRange
from cluster.registry import records
from cluster.registry.bootstrap import ensure_system_namespaces
from cluster.registry.registry import DeleteOptions, Registry
from tests.controllers.nodeipamkit import (
    NODES,
    TINY_CIDR,
    create_node,
    events,
    holders,
    pod_cidr,
    sync,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _namespaces(registry: Registry) -> None:
    ensure_system_namespaces(registry)  # events about nodes go to "default"


def test_each_new_node_gets_the_next_range_of_the_cluster_cidr(registry: Registry) -> None:
    for name in ("a", "b", "c"):
        create_node(registry, name)
        sync(registry, name)
    assert [pod_cidr(registry, n) for n in ("a", "b", "c")] == [
        "10.244.0.0/24",
        "10.244.1.0/24",
        "10.244.2.0/24",
    ]
    assert holders(registry) == {
        "10.244.0.0/24": "a",
        "10.244.1.0/24": "b",
        "10.244.2.0/24": "c",
    }


def test_the_cluster_cidr_and_mask_size_come_from_the_settings(
    registry: Registry, settings: Settings
) -> None:
    settings.CLUSTER_CIDR = "10.100.0.0/16"
    settings.CLUSTER_NODE_CIDR_MASK_SIZE = 26
    for name in ("a", "b"):
        create_node(registry, name)
        sync(registry, name)
    assert [pod_cidr(registry, "a"), pod_cidr(registry, "b")] == [
        "10.100.0.0/26",
        "10.100.0.64/26",
    ]


def test_a_node_with_a_range_keeps_it_and_the_range_is_taken(registry: Registry) -> None:
    create_node(registry, "given", podCIDR="10.244.0.0/24")
    sync(registry, "given")
    create_node(registry, "new")
    sync(registry, "new")
    assert pod_cidr(registry, "given") == "10.244.0.0/24"
    assert pod_cidr(registry, "new") == "10.244.1.0/24"
    assert holders(registry) == {"10.244.0.0/24": "given", "10.244.1.0/24": "new"}


def test_a_range_outside_the_cluster_cidr_is_kept_but_not_recorded(registry: Registry) -> None:
    create_node(registry, "elsewhere", podCIDR="192.168.7.0/24")
    sync(registry, "elsewhere")
    assert pod_cidr(registry, "elsewhere") == "192.168.7.0/24"
    assert holders(registry) == {}


def test_a_deleted_nodes_range_is_released(registry: Registry) -> None:
    for name in ("a", "b"):
        create_node(registry, name)
        sync(registry, name)
    registry.delete(NODES, None, "a", DeleteOptions())
    sync(registry, "a")
    assert holders(registry) == {"10.244.1.0/24": "b"}
    sync(registry, "a")  # a second look at a gone node does nothing
    assert holders(registry) == {"10.244.1.0/24": "b"}


def test_a_freed_range_is_not_reused_before_the_ranges_after_the_last_taken(
    registry: Registry,
) -> None:
    for name in ("a", "b"):
        create_node(registry, name)
        sync(registry, name)
    registry.delete(NODES, None, "a", DeleteOptions())
    sync(registry, "a")
    create_node(registry, "c")
    sync(registry, "c")
    assert pod_cidr(registry, "c") == "10.244.2.0/24"


def test_an_exhausted_range_leaves_the_node_without_and_says_so(
    registry: Registry, settings: Settings
) -> None:
    settings.CLUSTER_CIDR = TINY_CIDR
    for name in ("a", "b", "c"):
        create_node(registry, name)
        sync(registry, name)
    assert [pod_cidr(registry, n) for n in ("a", "b", "c")] == [
        "10.9.0.0/24",
        "10.9.1.0/24",
        None,
    ]
    assert events(registry, "c") == [
        ("Normal", "CIDRNotAvailable", "Node c status is now: CIDRNotAvailable")
    ]

    registry.delete(NODES, None, "a", DeleteOptions())
    sync(registry, "a")
    sync(registry, "c")
    assert pod_cidr(registry, "c") == "10.9.0.0/24"


def test_a_range_recorded_for_the_node_by_an_interrupted_attempt_is_used(
    registry: Registry,
) -> None:
    node = create_node(registry, "a")
    spec = {"cidr": "10.244.7.0/24", "nodeRef": {"name": "a", "uid": node["metadata"]["uid"]}}
    records.claim(registry, RECORD_KIND, "10.244.7.0-24", spec)
    sync(registry, "a")
    assert pod_cidr(registry, "a") == "10.244.7.0/24"
    assert holders(registry) == {"10.244.7.0/24": "a"}


def test_a_range_held_by_an_earlier_node_of_the_same_name_is_freed(registry: Registry) -> None:
    create_node(registry, "a")
    sync(registry, "a")
    registry.delete(NODES, None, "a", DeleteOptions())  # its deletion is never reconciled
    uid = create_node(registry, "a")["metadata"]["uid"]
    sync(registry, "a")
    assert pod_cidr(registry, "a") == "10.244.0.0/24"
    [record] = records.all_of(registry, RECORD_KIND)
    assert record["spec"] == {"cidr": "10.244.0.0/24", "nodeRef": {"name": "a", "uid": uid}}


def test_a_record_of_a_replaced_node_gives_way_to_the_node_that_has_the_range(
    registry: Registry,
) -> None:
    create_node(registry, "a")
    sync(registry, "a")
    registry.delete(NODES, None, "a", DeleteOptions())
    create_node(registry, "a", podCIDR="10.244.0.0/24")  # re-registered with its old range
    sync(registry, "a")
    uid = registry.get(NODES, None, "a")["metadata"]["uid"]
    [record] = records.all_of(registry, RECORD_KIND)
    assert record["spec"]["nodeRef"] == {"name": "a", "uid": uid}


def test_ranges_are_numbered_from_the_start_and_wrap_after_the_highest_taken() -> None:
    span = PodCIDRRange.from_settings()
    assert span.size == 256
    assert (span.cidr(0), span.cidr(255)) == ("10.244.0.0/24", "10.244.255.0/24")
    assert [span.index_of(c) for c in ("10.244.3.0/24", "10.244.3.0/25", "10.245.0.0/24")] == [
        3,
        None,
        None,
    ]
    assert list(span.candidates({1, 254}))[:3] == [255, 0, 2]


def test_a_range_being_handed_to_a_node_is_not_taken_over_by_another(
    registry: Registry,
) -> None:
    node = create_node(registry, "a")  # a worker has recorded a range for it, not yet written
    spec = {"cidr": "10.244.0.0/24", "nodeRef": {"name": "a", "uid": node["metadata"]["uid"]}}
    records.claim(registry, RECORD_KIND, "10.244.0.0-24", spec)
    create_node(registry, "b", podCIDR="10.244.0.0/24")
    sync(registry, "b")
    assert holders(registry) == {"10.244.0.0/24": "a"}
