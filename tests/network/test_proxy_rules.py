"""The iptables proxy's rules as text: what each Service and endpoint becomes."""

from __future__ import annotations

import ipaddress

from nodeagent.hostnet import conflicts
from nodeagent.proxy.iptables import Chains, forward_rules, nat_rules, removal
from nodeagent.proxy.model import Endpoint, ServicePort, service_ports

CHAINS = Chains("PH-TEST-")
CIDR = "10.244.0.0/16"


def _port(*ips: str, node_port: int | None = None, affinity: int | None = None) -> ServicePort:
    return ServicePort(
        namespace="ns",
        name="web",
        port_name="",
        protocol="TCP",
        cluster_ip="10.96.0.10",
        port=80,
        node_port=node_port,
        affinity_seconds=affinity,
        endpoints=tuple(Endpoint(ip, 8080) for ip in ips),
    )


def _lines(text: str, needle: str) -> list[str]:
    return [line for line in text.splitlines() if needle in line]


def test_it_balances_three_endpoints_with_falling_probabilities() -> None:
    port = _port("10.244.0.2", "10.244.0.3", "10.244.0.4")
    text = nat_rules([port], CHAINS, cluster_cidr=CIDR)
    jumps = _lines(text, f"-A {CHAINS.service(port)} ")
    assert "--probability 0.3333333333" in jumps[1]
    assert "--probability 0.5000000000" in jumps[2]
    assert "statistic" not in jumps[3]
    dnats = _lines(text, "DNAT")
    assert [d.rsplit(" ", 1)[1] for d in dnats] == [
        "10.244.0.2:8080",
        "10.244.0.3:8080",
        "10.244.0.4:8080",
    ]


def test_a_node_port_is_marked_for_masquerade_and_led_to_the_service() -> None:
    port = _port("10.244.0.2", node_port=30080)
    text = nat_rules([port], CHAINS, cluster_cidr=CIDR)
    rules = _lines(text, f"-A {CHAINS.nodeports} ")
    assert [r.rsplit(" ", 1)[1] for r in rules] == [CHAINS.mark_masq, CHAINS.service(port)]
    assert all("--dport 30080" in r for r in rules)
    # The node ports come last, for local destinations only.
    services = _lines(text, f"-A {CHAINS.services} ")
    assert "--dst-type LOCAL" in services[-1]


def test_client_ip_affinity_checks_and_sets_recent_lists() -> None:
    port = _port("10.244.0.2", "10.244.0.3", affinity=60)
    text = nat_rules([port], CHAINS, cluster_cidr=CIDR)
    assert len(_lines(text, "--rcheck --seconds 60 --reap --rsource")) == 2
    assert len(_lines(text, "--set --rsource -j DNAT")) == 2


def test_a_port_without_ready_endpoints_gets_no_rule() -> None:
    text = nat_rules([_port()], CHAINS, cluster_cidr=CIDR)
    assert "10.96.0.10" not in text


def test_chains_no_longer_wanted_are_flushed_and_deleted() -> None:
    stale = CHAINS.prefix + "SVC-OLD"
    text = nat_rules([], CHAINS, cluster_cidr=CIDR, existing=[stale, CHAINS.services])
    assert f":{stale} - [0:0]" in text
    assert text.splitlines()[-2] == f"-X {stale}"
    assert f"-X {CHAINS.services}" not in text


def test_every_chain_name_fits_iptables_and_belongs_to_the_node() -> None:
    chains = Chains.for_node("a-rather-long-node-name-for-the-test")
    port = _port("10.244.0.2")
    names = [chains.service(port), chains.endpoint(port, "10.244.0.2", 8080)]
    assert all(len(n) <= 28 and n.startswith(chains.prefix) for n in names)
    assert Chains.for_node("a") != Chains.for_node("b")


def test_forwarding_accepts_pod_to_pod_across_nodes() -> None:
    text = forward_rules(CHAINS, cluster_cidr=CIDR)
    assert f"-A {CHAINS.forward} -s {CIDR} -d {CIDR} -j ACCEPT" in text
    assert removal("filter", []) == ""


def test_service_ports_take_ready_addresses_of_the_named_port() -> None:
    service = {
        "metadata": {"namespace": "ns", "name": "web"},
        "spec": {
            "clusterIP": "10.96.0.10",
            "type": "NodePort",
            "sessionAffinity": "ClientIP",
            "ports": [{"name": "http", "port": 80, "protocol": "TCP", "nodePort": 30080}],
        },
    }
    endpoints = {
        "metadata": {"namespace": "ns", "name": "web"},
        "subsets": [
            {
                "addresses": [{"ip": "10.244.0.2"}],
                "notReadyAddresses": [{"ip": "10.244.0.9"}],
                "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
            }
        ],
    }
    headless = {"metadata": {"namespace": "ns", "name": "h"}, "spec": {"clusterIP": "None"}}
    [port] = service_ports([service, headless], [endpoints])
    assert (port.node_port, port.affinity_seconds) == (30080, 10800)
    assert port.endpoints == (Endpoint("10.244.0.2", 8080),)


def test_host_routes_inside_the_cidrs_are_conflicts_but_the_agents_own_are_not() -> None:
    cidrs = [ipaddress.ip_network(CIDR), ipaddress.ip_network("10.96.0.0/12")]
    ours = [
        {"dst": "10.244.0.0/16", "type": "blackhole"},
        {"dst": "10.244.3.0/24", "dev": "ph-0123abcd"},
        {"dst": "default", "dev": "eth0"},
    ]
    assert conflicts(ours, [], cidrs) == []
    real = [{"dst": "10.96.0.0/16", "dev": "eth1"}]
    addresses = [{"ifname": "eth2", "addr_info": [{"local": "10.244.9.9"}]}]
    assert conflicts(real, addresses, cidrs) == [
        "route 10.96.0.0/16 dev eth1",
        "address 10.244.9.9 on eth2",
    ]
