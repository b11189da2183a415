"""coordination.k8s.io/v1 Leases: durations, micro-timestamps, strategies, renewals.

Most tests run the strategy's hooks directly, in the order the registry runs them; the last
group goes through the real registry over PostgreSQL.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from cluster.registry.errors import Invalid
from cluster.registry.kinds.leases import LeaseStrategy
from cluster.registry.kinds.namespaces import NamespaceStrategy
from cluster.registry.registry import Registry
from cluster.registry.resources import Resource
from cluster.store.types import Object

DB = pytest.mark.django_db(transaction=True)
STRATEGY = LeaseStrategy()
LEASES = Resource("coordination.k8s.io", "v1", "Lease", "leases", "lease", STRATEGY)
NAMESPACES = Resource(
    "", "v1", "Namespace", "namespaces", "namespace", NamespaceStrategy(), namespaced=False
)


def lease(**spec: Any) -> Object:
    body = {
        "holderIdentity": "node-1",
        "leaseDurationSeconds": 40,
        "renewTime": "2025-01-02T03:04:05.123456Z",
    }
    body.update(spec)
    return {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {"name": "node-1", "namespace": "kube-node-lease"},
        "spec": body,
    }


def defaulted(obj: Object) -> Object:
    new = copy.deepcopy(obj)
    STRATEGY.default(new)
    STRATEGY.prepare_for_create(new)
    return new


def problems(obj: Object) -> list[str]:
    return [f"{c.field}: {c.message}" for c in STRATEGY.validate(defaulted(obj))]


def test_a_node_heartbeat_lease_is_valid() -> None:
    assert problems(lease(acquireTime="2025-01-02T03:00:00.000000Z", leaseTransitions=0)) == []


def test_a_lease_lasts_a_positive_time_and_never_counts_negative_transitions() -> None:
    assert problems(lease(leaseDurationSeconds=0, leaseTransitions=-1)) == [
        "spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0",
        "spec.leaseTransitions: Invalid value: -1: must be greater than or equal to 0",
    ]


def test_times_are_micro_timestamps_stored_in_utc() -> None:
    renewed = defaulted(lease(renewTime="2025-01-02T05:04:05.000001+02:00"))
    assert renewed["spec"]["renewTime"] == "2025-01-02T03:04:05.000001Z"
    assert problems(lease(renewTime="2025-01-02T03:04:05Z", acquireTime="2025-01-02")) == [
        'spec.acquireTime: Invalid value: "2025-01-02": must be an RFC 3339 date-time with '
        'microseconds, e.g. "2006-01-02T15:04:05.000000Z"',
        'spec.renewTime: Invalid value: "2025-01-02T03:04:05Z": must be an RFC 3339 date-time '
        'with microseconds, e.g. "2006-01-02T15:04:05.000000Z"',
    ]


def test_a_preferred_holder_needs_a_known_or_qualified_strategy() -> None:
    assert problems(lease(preferredHolder="node-2")) == [
        "spec.preferredHolder: Forbidden: may only be specified if `strategy` is defined"
    ]
    assert problems(lease(strategy="Newest", preferredHolder="node-2")) == [
        'spec.strategy.strategy: Unsupported value: "Newest": supported values: '
        '"OldestEmulationVersion"'
    ]
    assert problems(lease(strategy="example.com/round-robin", preferredHolder="node-2")) == []


def test_mistyped_fields_are_refused() -> None:
    assert problems(lease(holderIdentity=7, leaseDurationSeconds="40")) == [
        "spec.holderIdentity: Invalid value: 7: must be a string",
        'spec.leaseDurationSeconds: Invalid value: "40": must be an integer',
    ]


# -- through the registry --


@DB
def test_a_node_agent_creates_and_renews_its_lease(registry: Registry) -> None:
    registry.create(NAMESPACES, None, {"metadata": {"name": "kube-node-lease"}})
    registry.create(LEASES, None, lease())

    def renew(obj: Object) -> Object:
        obj["spec"]["renewTime"] = "2025-01-02T03:04:45.000000Z"
        return obj

    renewed = registry.update(LEASES, "kube-node-lease", "node-1", renew).object
    assert renewed["spec"]["renewTime"] == "2025-01-02T03:04:45.000000Z"
    assert renewed["apiVersion"] == "coordination.k8s.io/v1"

    def expire(obj: Object) -> Object:
        obj["spec"]["leaseDurationSeconds"] = -1
        return obj

    with pytest.raises(Invalid) as raised:
        registry.update(LEASES, "kube-node-lease", "node-1", expire)
    assert str(raised.value) == (
        'Lease.coordination.k8s.io "node-1" is invalid: spec.leaseDurationSeconds: '
        "Invalid value: -1: must be greater than 0"
    )
