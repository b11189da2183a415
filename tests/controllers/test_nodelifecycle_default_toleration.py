"""New pods tolerate unreachable and not-ready nodes for ``CLUSTER_DEFAULT_TOLERATION_SECONDS``.

kube-apiserver's DefaultTolerationSeconds admission: the node lifecycle controller evicts a
pod from a lost node once this toleration runs out, so the setting is read at each creation.
"""

from __future__ import annotations

import pytest
from pytest_django.fixtures import Settings

from cluster.registry.bootstrap import ensure_system_namespaces
from cluster.registry.registry import Registry
from tests.controllers.nodelifecyclekit import NOT_READY, UNREACHABLE, create_pod

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_new_pod_tolerates_lost_nodes_for_the_configured_seconds(
    registry: Registry, settings: Settings
) -> None:
    ensure_system_namespaces(registry)
    settings.CLUSTER_DEFAULT_TOLERATION_SECONDS = 42

    pod = create_pod(registry, "web")

    assert pod["spec"]["tolerations"] == [
        {"key": key, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 42}
        for key in (NOT_READY, UNREACHABLE)
    ]
