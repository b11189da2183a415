"""The resource fit: pod count and requests against what the bound pods leave free."""

from __future__ import annotations

from cluster.scheduling.filters import TOO_MANY_PODS, fit_reasons, fits
from cluster.scheduling.resources import demand_of
from tests.scheduling.schedulingkit import info, node, pod


def test_a_pod_fits_exactly_into_what_is_left() -> None:
    half_full = info(node("n", cpu="1", memory="1Gi"), pod("a", cpu="500m", memory="512Mi"))
    candidate = demand_of(pod("b", cpu="500m", memory="512Mi"))

    assert fits(candidate, half_full)
    assert fit_reasons(candidate, half_full) == []


def test_every_short_resource_is_a_reason_of_its_own() -> None:
    half_full = info(node("n", cpu="1", memory="1Gi"), pod("a", cpu="500m", memory="512Mi"))
    candidate = demand_of(pod("b", cpu="600m", memory="600Mi"))

    assert not fits(candidate, half_full)
    assert fit_reasons(candidate, half_full) == ["Insufficient cpu", "Insufficient memory"]


def test_a_full_node_has_too_many_pods_even_for_a_pod_that_requests_nothing() -> None:
    full = info(node("n", pods=1), pod("a"))
    nothing = demand_of(pod("b", cpu=None, memory=None))

    assert fit_reasons(nothing, full) == [TOO_MANY_PODS]
    assert fits(nothing, info(node("n", pods=1)))


def test_a_resource_the_node_does_not_have_is_insufficient() -> None:
    gpu_pod = pod("g")
    gpu_pod["spec"]["containers"][0]["resources"]["requests"]["example.com/gpu"] = "1"

    assert fit_reasons(demand_of(gpu_pod), info(node("n"))) == ["Insufficient example.com/gpu"]
