"""Namespace deletion: everything in a terminating namespace goes, then the namespace does.

Each test runs the controller's reconcile by hand against the real registry, as a worker
would, after deleting the namespace through the registry (which marks it Terminating).
"""

from __future__ import annotations

from typing import Any

import pytest

from cluster.controllers.namespace import RECHECK_SECONDS, NamespaceController
from cluster.registry.catalog import RESOURCES
from cluster.registry.errors import NotFound
from cluster.registry.reconcile import DONE, Outcome
from cluster.registry.recorder import NORMAL, EventRecorder
from cluster.registry.registry import DeleteOptions, Registry
from cluster.registry.resources import Resource
from cluster.registry.subresources import bind_pod
from cluster.registry.vocabulary import Object

pytestmark = pytest.mark.django_db(transaction=True)

CONTROLLER = NamespaceController()
NS = "team-a"
POD_SPEC = {"containers": [{"name": "app", "image": "busybox"}]}


def resource(kind: str, group: str = "") -> Resource:
    found = RESOURCES.by_kind(group, kind)
    assert found is not None
    return found


NAMESPACES, PODS, SERVICES = resource("Namespace"), resource("Pod"), resource("Service")
RCS, ENDPOINTS, EVENTS = resource("ReplicationController"), resource("Endpoints"), resource("Event")
LEASES = resource("Lease", "coordination.k8s.io")


def create_namespace(registry: Registry, name: str = NS) -> None:
    registry.create(NAMESPACES, None, {"metadata": {"name": name}})


def create(registry: Registry, res: Resource, name: str, ns: str = NS, **body: Any) -> Object:
    return registry.create(res, ns, {"metadata": {"name": name, "namespace": ns}, **body}).object


def fill(registry: Registry, ns: str = NS) -> None:
    """One object of every kind a namespace holds."""
    pod = create(registry, PODS, "web", ns, spec=POD_SPEC)
    create(
        registry, SERVICES, "web", ns, spec={"selector": {"app": "web"}, "ports": [{"port": 80}]}
    )
    template = {"metadata": {"labels": {"app": "web"}}, "spec": POD_SPEC}
    create(
        registry,
        RCS,
        "web",
        ns,
        spec={"replicas": 1, "selector": {"app": "web"}, "template": template},
    )
    create(registry, ENDPOINTS, "web", ns, subsets=[])
    create(registry, LEASES, "lock", ns, spec={"holderIdentity": "me"})
    EventRecorder(registry, "test").event(pod, NORMAL, "Tested", "made for the test")


def content(registry: Registry, ns: str = NS) -> list[str]:
    found = []
    for res in RESOURCES.all:
        if res.namespaced:
            found += [f"{res.plural}/{o['metadata']['name']}" for o in registry.list(res, ns).items]
    return sorted(found)


def delete_namespace(registry: Registry, name: str = NS) -> None:
    registry.delete(NAMESPACES, None, name, DeleteOptions())


def get_namespace(registry: Registry, name: str = NS) -> Object:
    return registry.get(NAMESPACES, None, name)


def conditions(registry: Registry) -> dict[str, dict[str, Any]]:
    return {c["type"]: c for c in get_namespace(registry)["status"].get("conditions") or []}


def test_an_empty_terminating_namespace_is_finalized_away(registry: Registry) -> None:
    create_namespace(registry)
    delete_namespace(registry)
    assert get_namespace(registry)["status"]["phase"] == "Terminating"

    assert CONTROLLER.reconcile(NS, registry) == DONE

    with pytest.raises(NotFound):
        get_namespace(registry)


def test_every_kind_of_content_is_deleted_then_the_namespace_goes(registry: Registry) -> None:
    create_namespace(registry)
    fill(registry)
    assert len(content(registry)) == 6
    delete_namespace(registry)

    assert CONTROLLER.reconcile(NS, registry) == DONE

    assert content(registry) == []
    with pytest.raises(NotFound):
        get_namespace(registry)


def test_an_active_namespace_is_left_alone(registry: Registry) -> None:
    create_namespace(registry)
    fill(registry)

    assert CONTROLLER.reconcile(NS, registry) == DONE

    assert len(content(registry)) == 6
    assert get_namespace(registry)["status"] == {"phase": "Active"}


def test_other_namespaces_keep_their_content(registry: Registry) -> None:
    create_namespace(registry)
    create_namespace(registry, "team-b")
    fill(registry)
    fill(registry, "team-b")
    delete_namespace(registry)

    CONTROLLER.reconcile(NS, registry)

    assert len(content(registry, "team-b")) == 6


def test_a_pod_waiting_for_its_node_holds_the_namespace_until_it_is_gone(
    registry: Registry,
) -> None:
    create_namespace(registry)
    create(registry, PODS, "web", spec=POD_SPEC)
    bind_pod(registry, NS, "web", {"target": {"kind": "Node", "name": "node-a"}})
    delete_namespace(registry)

    assert CONTROLLER.reconcile(NS, registry) == Outcome(requeue_after=RECHECK_SECONDS)

    assert registry.get(PODS, NS, "web")["metadata"]["deletionTimestamp"]
    remaining = conditions(registry)["NamespaceContentRemaining"]
    assert (remaining["status"], remaining["reason"], remaining["message"]) == (
        "True",
        "SomeResourcesRemain",
        "Some resources are remaining: pods. has 1 resource instances",
    )
    assert conditions(registry)["NamespaceDeletionContentFailure"]["status"] == "False"
    assert conditions(registry)["NamespaceFinalizersRemaining"]["status"] == "False"

    # Its kubelet confirms: the pod goes for good.
    registry.delete(PODS, NS, "web", DeleteOptions(grace_period_seconds=0))
    assert CONTROLLER.reconcile(NS, registry) == DONE

    with pytest.raises(NotFound):
        get_namespace(registry)


def test_content_held_by_finalizers_is_reported_by_finalizer(registry: Registry) -> None:
    create_namespace(registry)
    held = {"name": "web", "namespace": NS, "finalizers": ["example.com/hold"]}
    registry.create(SERVICES, NS, {"metadata": held, "spec": {"ports": [{"port": 80}]}})
    delete_namespace(registry)

    assert CONTROLLER.reconcile(NS, registry) == Outcome(requeue_after=RECHECK_SECONDS)

    finalizers = conditions(registry)["NamespaceFinalizersRemaining"]
    assert (finalizers["status"], finalizers["reason"], finalizers["message"]) == (
        "True",
        "SomeFinalizersRemain",
        "Some content in the namespace has finalizers remaining: example.com/hold in 1 "
        "resource instances",
    )
    assert conditions(registry)["NamespaceContentRemaining"]["message"] == (
        "Some resources are remaining: services. has 1 resource instances"
    )


def test_a_second_look_while_content_remains_writes_nothing(registry: Registry) -> None:
    create_namespace(registry)
    create(registry, PODS, "web", spec=POD_SPEC)
    bind_pod(registry, NS, "web", {"target": {"kind": "Node", "name": "node-a"}})
    delete_namespace(registry)
    CONTROLLER.reconcile(NS, registry)
    namespace, pod = get_namespace(registry), registry.get(PODS, NS, "web")

    CONTROLLER.reconcile(NS, registry)

    assert get_namespace(registry) == namespace
    assert registry.get(PODS, NS, "web") == pod


def test_a_namespace_that_is_gone_is_done(registry: Registry) -> None:
    assert CONTROLLER.reconcile("nowhere", registry) == DONE
