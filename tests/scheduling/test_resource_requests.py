"""What a pod asks of a node: kube's PodRequests arithmetic, in millicores and bytes."""

from __future__ import annotations

from cluster.scheduling.resources import Demand, demand_of, pod_requests
from tests.scheduling.schedulingkit import container, pod

GI = 1024**3
MI = 1024**2


def test_the_requests_of_the_containers_add_up() -> None:
    spec = {"containers": [container("100m", "64Mi"), container("250m", "1Gi", name="side")]}

    assert pod_requests(spec) == {"cpu": 350, "memory": 64 * MI + GI}


def test_init_containers_need_only_the_largest_of_them_when_that_exceeds_the_containers() -> None:
    # Kube's own example: init containers 2 CPU/1G and 2 CPU/3G, containers 2/1G and 1/1G.
    spec = {
        "initContainers": [container("2", "1G", name="i1"), container("2", "3G", name="i2")],
        "containers": [container("2", "1G", name="c1"), container("1", "1G", name="c2")],
    }

    assert pod_requests(spec) == {"cpu": 3000, "memory": 3 * 10**9}


def test_a_sidecar_keeps_running_beside_the_containers_and_later_init_containers() -> None:
    spec = {
        "initContainers": [
            container("500m", name="sidecar", restartPolicy="Always"),
            container("1", name="setup"),
        ],
        "containers": [container("1")],
    }

    # setup runs beside the sidecar: 1.5 CPU; then the container beside it: 1.5 CPU too.
    assert pod_requests(spec)["cpu"] == 1500
    spec["initContainers"][1] = container("2", name="setup")
    assert pod_requests(spec)["cpu"] == 2500


def test_the_pod_overhead_comes_on_top() -> None:
    spec = {"containers": [container("100m", "100Mi")], "overhead": {"cpu": "250m"}}

    assert pod_requests(spec) == {"cpu": 350, "memory": 100 * MI}


def test_quantities_round_up_to_a_millicore_and_to_a_byte() -> None:
    assert pod_requests({"containers": [container("0.0001", "1.5")]}) == {"cpu": 1, "memory": 2}


def test_scoring_counts_a_missing_request_as_100m_and_200mi_but_an_explicit_zero_as_zero() -> None:
    missing = demand_of(pod("a", cpu=None, memory=None))
    zero = demand_of(pod("b", cpu="0", memory="0"))

    assert (missing.requests, missing.non_zero_cpu, missing.non_zero_memory) == ((), 100, 200 * MI)
    assert (zero.requests, zero.non_zero_cpu, zero.non_zero_memory) == ((), 0, 0)


def test_the_demand_names_the_controlling_owner_only() -> None:
    owned = pod("a", owner="web")
    owned["metadata"]["ownerReferences"].insert(
        0, {"apiVersion": "v1", "kind": "ConfigMap", "name": "x", "uid": "not-me"}
    )

    assert demand_of(owned) == Demand(
        (("cpu", 100), ("memory", 128 * MI)), 100, 128 * MI, "uid-web"
    )
    assert demand_of(pod("b")).controller == ""
