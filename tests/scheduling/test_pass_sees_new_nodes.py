"""A pass that is already running sees a node added while it runs.

The pass keeps its in-memory view across the pending pods it lists again, but a node that
changed since the view was built must count for the pods that arrive after: kube-scheduler
refreshes its snapshot every cycle. Otherwise a pod created just after a node is added is
told that only the older nodes exist.
"""

from __future__ import annotations

import pytest

from cluster.registry.bootstrap import ensure_system_namespaces
from cluster.registry.registry import Registry
from cluster.scheduling.schedule import SchedulingPass
from tests.scheduling.schedulingkit import create_node, create_pod, get_pod

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_node_added_during_a_pass_is_used_for_the_pods_listed_after_it(
    registry: Registry,
) -> None:
    ensure_system_namespaces(registry)
    create_node(registry, "small", cpu="1")
    create_pod(registry, "first", cpu="500m")
    scheduling = SchedulingPass(registry, seconds=10, writers=1, chunk=10)
    batch = scheduling._unseen()
    assert scheduling._schedule(batch)
    assert get_pod(registry, "first")["spec"]["nodeName"] == "small"

    create_node(registry, "big", cpu="8")
    create_pod(registry, "second", cpu="2")
    assert scheduling._schedule(scheduling._unseen())
    assert get_pod(registry, "second")["spec"]["nodeName"] == "big"
