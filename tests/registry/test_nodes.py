"""Nodes: registration with status, the spec/status split, podCIDR and taint rules.

Most tests run the strategy's hooks directly, in the order the registry runs them; the last
group goes through the real registry over PostgreSQL.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from cluster.registry.errors import Invalid
from cluster.registry.kinds.nodes import NodeStatusStrategy, NodeStrategy
from cluster.registry.registry import Registry
from cluster.registry.resources import Resource
from cluster.store.types import Object

DB = pytest.mark.django_db(transaction=True)
STRATEGY = NodeStrategy()
STATUS = NodeStatusStrategy(STRATEGY)
NODES = Resource(
    "", "v1", "Node", "nodes", "node", STRATEGY, namespaced=False, subresources={"status": STATUS}
)
CIDR_CHANGE = (
    'spec.podCIDRs: Forbidden: node updates may not change podCIDR except from "" to valid'
)


def node(spec: dict[str, Any] | None = None, status: dict[str, Any] | None = None) -> Object:
    obj: Object = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node-1"}}
    if spec is not None:
        obj["spec"] = spec
    if status is not None:
        obj["status"] = status
    return obj


def created(obj: Object) -> Object:
    new = copy.deepcopy(obj)
    STRATEGY.default(new)
    STRATEGY.prepare_for_create(new)
    return new


def problems(obj: Object) -> list[str]:
    return [f"{c.field}: {c.message}" for c in STRATEGY.validate(created(obj))]


def update_problems(new: Object, old: Object) -> list[str]:
    result = copy.deepcopy(new)
    STRATEGY.default(result)
    STRATEGY.prepare_for_update(result, old)
    return [f"{c.field}: {c.message}" for c in STRATEGY.validate_update(result, old)]


REGISTRATION = {
    "capacity": {"cpu": "4", "memory": "8388608Ki", "pods": "110"},
    "addresses": [{"type": "InternalIP", "address": "192.168.1.10"}],
    "conditions": [{"type": "Ready", "status": "True"}],
}


def test_a_node_registers_with_its_status_and_allocatable_defaults_to_capacity() -> None:
    assert created(node(status=REGISTRATION))["status"] == {
        "capacity": {"cpu": "4", "memory": "8Gi", "pods": "110"},
        "allocatable": {"cpu": "4", "memory": "8Gi", "pods": "110"},
        "addresses": [{"type": "InternalIP", "address": "192.168.1.10"}],
        "conditions": [{"type": "Ready", "status": "True"}],
    }
    assert problems(node(status=REGISTRATION)) == []


def test_a_plain_update_keeps_the_stored_status() -> None:
    old = created(node(status=REGISTRATION))
    new = copy.deepcopy(old)
    new["status"] = {"capacity": {"cpu": "64"}}
    STRATEGY.prepare_for_update(new, old)
    assert new["status"] == old["status"]


def test_pod_cidr_and_pod_cidrs_mirror_each_other_with_the_list_winning() -> None:
    assert created(node({"podCIDR": "10.244.1.0/24"}))["spec"] == {
        "podCIDR": "10.244.1.0/24",
        "podCIDRs": ["10.244.1.0/24"],
    }
    both = created(node({"podCIDR": "10.244.9.0/24", "podCIDRs": ["10.244.1.0/24"]}))
    assert both["spec"]["podCIDR"] == "10.244.1.0/24"


def test_pod_cidrs_are_cidrs_at_most_one_per_family_without_duplicates() -> None:
    assert problems(node({"podCIDRs": ["10.244.1.0/33"]})) == [
        'spec.podCIDRs[0]: Invalid value: "10.244.1.0/33": must be a valid CIDR value, '
        "(e.g. 10.9.8.0/24 or 2001:db8::/64)"
    ]
    assert problems(node({"podCIDRs": ["10.244.1.0/24", "10.244.1.0/24"]})) == [
        'spec.podCIDRs: Invalid value: ["10.244.1.0/24","10.244.1.0/24"]: may specify no more '
        "than one CIDR for each IP family",
        'spec.podCIDRs[1]: Duplicate value: "10.244.1.0/24"',
    ]
    assert problems(node({"podCIDRs": ["10.244.1.0/24", "fd00:10:244:1::/64"]})) == []


def test_pod_cidrs_may_be_set_once_and_then_never_change() -> None:
    unset = created(node({}))
    assigned = node({"podCIDRs": ["10.244.1.0/24"]})
    assert update_problems(assigned, unset) == []
    moved = node({"podCIDRs": ["10.244.2.0/24"]})
    assert update_problems(moved, created(assigned)) == [CIDR_CHANGE]
    assert update_problems(node({}), created(assigned)) == [CIDR_CHANGE]


def test_the_provider_id_may_be_set_once() -> None:
    old = created(node({"providerID": "pilothouse://node-1"}))
    assert update_problems(node({"providerID": "pilothouse://node-2"}), old) == [
        'spec.providerID: Forbidden: node updates may not change providerID except from "" to valid'
    ]


def test_taints_have_qualified_keys_known_effects_and_unique_key_effect_pairs() -> None:
    taints = [
        {"key": "dedicated", "value": "gpu", "effect": "NoSchedule"},
        {"key": "dedicated", "value": "other", "effect": "NoSchedule"},
        {"key": "dedicated", "effect": "NoExecute"},
        {"key": "bad key", "effect": "Sometimes"},
        {"key": "spot"},
    ]
    assert problems(node({"taints": taints, "unschedulable": "yes"})) == [
        'spec.unschedulable: Invalid value: "yes": must be a boolean',
        'metadata.taints[1]: Duplicate value: {"effect":"NoSchedule","key":"dedicated",'
        '"value":"other"}: taints must be unique by key and effect pair',
        'metadata.taints[3].key: Invalid value: "bad key": name part must consist of '
        "alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric "
        "character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
        "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
        'metadata.taints[3].effect: Unsupported value: "Sometimes": supported values: '
        '"NoSchedule", "PreferNoSchedule", "NoExecute"',
        "metadata.taints[4].effect: Required value",
    ]


def test_capacity_and_allocatable_are_non_negative_quantities() -> None:
    status = {"capacity": {"cpu": "four"}, "allocatable": {"memory": "-1Gi"}}
    assert problems(node(status=status)) == [
        'status.capacity.cpu: Invalid value: "four": quantities must match the regular '
        "expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
        'status.allocatable.memory: Invalid value: "-1Gi": must be greater than or equal to 0',
    ]


def test_a_status_update_changes_only_status_which_must_be_well_formed() -> None:
    old = created(node({"unschedulable": True}, REGISTRATION))
    new = copy.deepcopy(old)
    new["spec"] = {}
    new["status"] = {
        "capacity": {"cpu": "8"},
        "addresses": [
            {"type": "InternalIP", "address": "192.168.1.10"},
            {"type": "InternalIP", "address": "192.168.1.10"},
            {"type": "Public", "address": ""},
        ],
        "conditions": [{"type": "Ready", "status": "Maybe"}],
    }
    STATUS.prepare_for_update(new, old)
    assert new["spec"] == {"unschedulable": True}
    assert new["status"]["allocatable"] == {"cpu": "8"}
    assert [f"{c.field}: {c.message}" for c in STATUS.validate_update(new, old)] == [
        'status.addresses[1]: Duplicate value: {"address":"192.168.1.10","type":"InternalIP"}',
        'status.addresses[2].type: Unsupported value: "Public": supported values: "Hostname", '
        '"InternalIP", "ExternalIP", "InternalDNS", "ExternalDNS"',
        "status.addresses[2].address: Required value",
        'status.conditions[0].status: Unsupported value: "Maybe": supported values: "True", '
        '"False", "Unknown"',
    ]


# -- through the registry --


@DB
def test_a_node_registers_with_status_and_reports_through_the_status_subresource(
    registry: Registry,
) -> None:
    registry.create(NODES, None, node({"podCIDRs": ["10.244.1.0/24"]}, REGISTRATION))
    assert registry.get(NODES, None, "node-1")["status"]["allocatable"]["memory"] == "8Gi"

    def cordon_and_report(obj: Object) -> Object:
        obj["spec"]["unschedulable"] = True
        obj["status"]["conditions"] = [{"type": "Ready", "status": "False"}]
        return obj

    cordoned = registry.update(NODES, None, "node-1", cordon_and_report).object
    assert cordoned["spec"]["unschedulable"] is True
    assert cordoned["status"]["conditions"] == [{"type": "Ready", "status": "True"}]
    reported = registry.update(NODES, None, "node-1", cordon_and_report, subresource="status")
    assert reported.object["status"]["conditions"] == [{"type": "Ready", "status": "False"}]


@DB
def test_moving_a_nodes_pod_cidr_through_the_registry_is_invalid(registry: Registry) -> None:
    registry.create(NODES, None, node({"podCIDRs": ["10.244.1.0/24"]}))

    def move(obj: Object) -> Object:
        obj["spec"]["podCIDRs"] = ["10.244.2.0/24"]
        return obj

    with pytest.raises(Invalid) as raised:
        registry.update(NODES, None, "node-1", move)
    assert [f"{c.field}: {c.message}" for c in raised.value.causes] == [CIDR_CHANGE]
    assert registry.get(NODES, None, "node-1")["spec"]["podCIDR"] == "10.244.1.0/24"
