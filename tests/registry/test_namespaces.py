"""Namespaces: birth as Active with the kubernetes finalizer, and deletion through finalize.

Most tests run the strategy's hooks directly, in the order the registry runs them; the last
group goes through the real registry over PostgreSQL.
"""

from __future__ import annotations

import copy

import pytest

from cluster.registry.errors import Forbidden, Invalid, NotFound
from cluster.registry.kinds.namespaces import (
    NamespaceFinalizeStrategy,
    NamespaceStatusStrategy,
    NamespaceStrategy,
)
from cluster.registry.kinds.pods import PodStrategy
from cluster.registry.registry import DeleteOptions, Registry
from cluster.registry.resources import Resource
from cluster.store.types import Object

DB = pytest.mark.django_db(transaction=True)
STRATEGY = NamespaceStrategy()
STATUS = NamespaceStatusStrategy(STRATEGY)
FINALIZE = NamespaceFinalizeStrategy(STRATEGY)
NAMESPACES = Resource(
    "",
    "v1",
    "Namespace",
    "namespaces",
    "namespace",
    STRATEGY,
    namespaced=False,
    subresources={"status": STATUS, "finalize": FINALIZE},
)
PODS = Resource("", "v1", "Pod", "pods", "pod", PodStrategy())
POD: Object = {
    "metadata": {"name": "web"},
    "spec": {"containers": [{"name": "web", "image": "nginx"}]},
}


def namespace(name: str = "team-a", **spec: object) -> Object:
    obj: Object = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
    if spec:
        obj["spec"] = dict(spec)
    return obj


def created(obj: Object) -> Object:
    new = copy.deepcopy(obj)
    STRATEGY.default(new)
    STRATEGY.prepare_for_create(new)
    return new


def test_a_new_namespace_is_active_with_the_kubernetes_finalizer_and_its_name_label() -> None:
    sent = namespace()
    sent["status"] = {"phase": "Terminating"}
    new = created(sent)
    assert new["metadata"]["labels"] == {"kubernetes.io/metadata.name": "team-a"}
    assert new["spec"] == {"finalizers": ["kubernetes"]}
    assert new["status"] == {"phase": "Active"}


def test_given_finalizers_are_kept_and_the_kubernetes_one_added() -> None:
    assert created(namespace(finalizers=["example.com/backup"]))["spec"] == {
        "finalizers": ["example.com/backup", "kubernetes"]
    }


def test_spec_finalizers_are_qualified_names_or_standard_ones() -> None:
    new = created(namespace(finalizers=["backup", "example.com/bad name"]))
    assert [f"{c.field}: {c.message}" for c in STRATEGY.validate(new)] == [
        'spec.finalizers: Invalid value: "backup": name is neither a standard finalizer name nor '
        "is it fully qualified",
        'spec.finalizers: Invalid value: "example.com/bad name": name part must consist of '
        "alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric "
        "character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
        "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
    ]


def test_a_plain_update_keeps_status_spec_finalizers_and_the_name_label() -> None:
    old = created(namespace())
    new = copy.deepcopy(old)
    new["metadata"]["labels"] = {"team": "a"}
    new["spec"] = {"finalizers": []}
    new["status"] = {"phase": "Terminating"}
    STRATEGY.default(new)
    STRATEGY.prepare_for_update(new, old)
    assert new["metadata"]["labels"] == {"team": "a", "kubernetes.io/metadata.name": "team-a"}
    assert new["spec"] == {"finalizers": ["kubernetes"]}
    assert new["status"] == {"phase": "Active"}


def test_a_namespace_holds_its_deletion_while_any_finalizer_remains() -> None:
    assert STRATEGY.holds_deletion(created(namespace())) is True
    emptied = created(namespace())
    emptied["spec"]["finalizers"] = []
    assert STRATEGY.holds_deletion(emptied) is False
    emptied["metadata"]["finalizers"] = ["example.com/audit"]
    assert STRATEGY.holds_deletion(emptied) is True


def test_the_status_phase_must_follow_the_deletion_mark() -> None:
    old = created(namespace())
    new = copy.deepcopy(old)
    new["status"] = {"phase": "Terminating"}
    STATUS.prepare_for_update(new, old)
    assert [f"{c.field}: {c.message}" for c in STATUS.validate_update(new, old)] == [
        "status.Phase: Invalid value: \"Terminating\": may only be 'Active' if "
        "`deletionTimestamp` is empty"
    ]


def test_finalize_changes_only_spec_finalizers_and_checks_each_one() -> None:
    old = created(namespace())
    new = copy.deepcopy(old)
    new["metadata"]["labels"] = {"changed": "yes"}
    new["spec"]["finalizers"] = ["example.com/backup", "bad"]
    new["status"] = {"phase": "Gone"}
    FINALIZE.prepare_for_update(new, old)
    assert new["metadata"] == old["metadata"]
    assert new["status"] == old["status"]
    assert new["spec"] == {"finalizers": ["example.com/backup", "bad"]}
    assert [f"{c.field}: {c.message}" for c in FINALIZE.validate_update(new, old)] == [
        'spec.finalizers[1]: Invalid value: "bad": name is neither a standard finalizer name nor '
        "is it fully qualified"
    ]


# -- through the registry --


def finalized(obj: Object) -> Object:
    obj["spec"]["finalizers"] = []
    return obj


@DB
def test_a_namespace_name_must_be_a_dns_label(registry: Registry) -> None:
    with pytest.raises(Invalid) as raised:
        registry.create(NAMESPACES, None, namespace("team.a"))
    assert [c.field for c in raised.value.causes] == ["metadata.name"]
    with pytest.raises(NotFound):
        registry.get(NAMESPACES, None, "team.a")


@DB
def test_a_deleted_namespace_is_terminating_until_its_finalizers_are_emptied(
    registry: Registry,
) -> None:
    registry.create(NAMESPACES, None, namespace())

    marked = registry.delete(NAMESPACES, None, "team-a", DeleteOptions())
    stored = registry.get(NAMESPACES, None, "team-a")
    assert marked.deleted is False
    assert stored["status"] == {"phase": "Terminating"}
    assert stored["metadata"]["deletionTimestamp"]
    with pytest.raises(Forbidden):
        registry.create(PODS, "team-a", POD)

    registry.update(NAMESPACES, None, "team-a", finalized, subresource="finalize")
    with pytest.raises(NotFound):
        registry.get(NAMESPACES, None, "team-a")


@DB
def test_a_plain_update_cannot_empty_spec_finalizers(registry: Registry) -> None:
    registry.create(NAMESPACES, None, namespace())
    registry.delete(NAMESPACES, None, "team-a", DeleteOptions())

    registry.update(NAMESPACES, None, "team-a", finalized)

    assert registry.get(NAMESPACES, None, "team-a")["spec"] == {"finalizers": ["kubernetes"]}


@DB
def test_a_finalized_namespace_waits_for_its_metadata_finalizers_too(registry: Registry) -> None:
    with_audit = namespace()
    with_audit["metadata"]["finalizers"] = ["example.com/audit"]
    registry.create(NAMESPACES, None, with_audit)
    registry.delete(NAMESPACES, None, "team-a", DeleteOptions())
    registry.update(NAMESPACES, None, "team-a", finalized, subresource="finalize")
    assert registry.get(NAMESPACES, None, "team-a")["status"] == {"phase": "Terminating"}

    def audited(obj: Object) -> Object:
        obj["metadata"]["finalizers"] = []
        return obj

    registry.update(NAMESPACES, None, "team-a", audited)
    with pytest.raises(NotFound):
        registry.get(NAMESPACES, None, "team-a")
