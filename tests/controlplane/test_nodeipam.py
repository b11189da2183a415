"""Node IPAM with real workers: each new node gets a podCIDR of its own."""

from __future__ import annotations

import ipaddress

import pytest

from tests.controlplane.cluster import ControlPlane, NodeKeeper, eventually

pytestmark = pytest.mark.e2e


def test_new_nodes_get_distinct_pod_cidrs_from_the_cluster_cidr(
    control_plane: ControlPlane, nodes: NodeKeeper
) -> None:
    names = [nodes.add(), nodes.add()]

    def cidrs() -> list[str]:
        found = []
        for name in names:
            spec = control_plane.api.get(f"/api/v1/nodes/{name}").body["spec"]
            assert spec.get("podCIDR"), f"{name} has no podCIDR yet"
            assert spec["podCIDRs"] == [spec["podCIDR"]]
            found.append(spec["podCIDR"])
        return found

    given = eventually(cidrs)
    assert len(set(given)) == 2
    for cidr in given:
        network = ipaddress.IPv4Network(cidr)
        assert network.prefixlen == 24
        assert network.subnet_of(ipaddress.IPv4Network("10.244.0.0/16"))
    shown = control_plane.admin.ok("get", "node", names[0], "-o", "jsonpath={.spec.podCIDR}")
    assert shown == given[0]
