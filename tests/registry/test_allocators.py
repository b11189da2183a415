"""ClusterIPs and NodePorts: taken through the store, never twice, given back, refused clearly.

Every test runs the real registry over the real PostgreSQL store, with ranges small enough
that collisions are certain: a /29 service CIDR has six addresses, a 30000-30009 node port
range ten ports.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connections
from django.test import override_settings

from cluster.registry.errors import Cause, Invalid
from cluster.registry.kinds.allocators import (
    IP_KIND,
    PORT_KIND,
    ClusterIPAllocator,
    NodePortAllocator,
    RangeFull,
    ServiceAllocator,
    parse_port_range,
)
from cluster.registry.kinds.services import ServiceStatusStrategy, ServiceStrategy
from cluster.registry.registry import DeleteOptions, Registry
from cluster.registry.resources import Resource
from cluster.store.types import Key, Object

DB = pytest.mark.django_db(transaction=True)
TINY_CIDR = "10.96.0.0/29"
TINY_PORTS = "30000-30009"


def services(cidr: str = TINY_CIDR, ports: str = TINY_PORTS) -> Resource:
    strategy = ServiceStrategy(ServiceAllocator(ClusterIPAllocator(cidr), NodePortAllocator(ports)))
    return Resource(
        group="",
        version="v1",
        kind="Service",
        plural="services",
        singular="service",
        strategy=strategy,
        short_names=("svc",),
        categories=("all",),
        subresources={"status": ServiceStatusStrategy(strategy)},
    )


def service(name: str, **spec: Any) -> Object:
    body: dict[str, Any] = {"selector": {"app": name}, "ports": [{"port": 80}]}
    body.update(spec)
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name}, "spec": body}


def node_port_service(name: str, *node_ports: int) -> Object:
    ports = [{"name": f"p{i}", "port": 80 + i} for i in range(max(len(node_ports), 1))]
    for port, node_port in zip(ports, node_ports, strict=False):
        port["nodePort"] = node_port
    return service(name, type="NodePort", ports=ports)


def records(registry: Registry, kind: str) -> dict[str, Object]:
    return {item["metadata"]["name"]: item for item in registry.store.list(kind).items}


def holders(registry: Registry, kind: str) -> dict[str, str]:
    """Allocated value -> name of the Service its record names."""
    return {
        name: record["spec"]["parentRef"]["name"]
        for name, record in records(registry, kind).items()
    }


def stored_services(registry: Registry) -> dict[str, Object]:
    return {i["metadata"]["name"]: i for i in registry.store.list("Service", "default").items}


@pytest.fixture
def default_namespace(registry: Registry) -> None:
    registry.store.create(
        Key("Namespace", "", "default"),
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "default"}},
    )


@pytest.fixture
def svcs() -> Resource:
    return services()


# -- pure: ranges and settings --


def test_the_default_service_cidr_keeps_its_first_256_addresses_for_requested_ips() -> None:
    allocator = ClusterIPAllocator("10.96.0.0/12")
    pool = allocator.pool
    assert (allocator.family, pool.first, pool.last, pool.offset) == (
        "IPv4",
        int(allocator.network.network_address) + 1,
        int(allocator.network.broadcast_address) - 1,
        256,
    )


def test_a_range_of_sixteen_addresses_or_fewer_keeps_none_back() -> None:
    assert ClusterIPAllocator("10.96.0.0/28").pool.offset == 0
    assert ClusterIPAllocator("10.96.0.0/27").pool.offset == 16


def test_the_default_node_port_range_keeps_its_first_86_ports_for_requested_ports() -> None:
    allocator = NodePortAllocator("30000-32767")
    assert (allocator.pool.first, allocator.pool.last, allocator.pool.offset) == (
        30000,
        32767,
        86,
    )
    assert NodePortAllocator(TINY_PORTS).pool.offset == 0


def test_an_ipv6_service_cidr_shorter_than_a_64_is_refused() -> None:
    with pytest.raises(ValueError, match="shortest allowed prefix length for service CIDR is 64"):
        ClusterIPAllocator("fd00::/48")
    assert ClusterIPAllocator("fd00::/108").family == "IPv6"


def test_port_ranges_read_as_kube_reads_them() -> None:
    assert parse_port_range("30000-32767") == (30000, 32767)
    assert parse_port_range("30000+9") == (30000, 30009)
    assert parse_port_range("30080") == (30080, 30080)
    for bad in ("", "x-y", "32767-30000", "0-10", "30000-70000"):
        with pytest.raises(ValueError, match="invalid port range"):
            parse_port_range(bad)


def test_the_allocators_read_their_ranges_from_settings_with_kubes_defaults() -> None:
    with override_settings(
        CLUSTER_SERVICE_CIDR="10.100.0.0/16", CLUSTER_NODE_PORT_RANGE="31000-31099"
    ):
        assert str(ClusterIPAllocator().network) == "10.100.0.0/16"
        assert NodePortAllocator().range_text == "31000-31099"
    with override_settings(CLUSTER_SERVICE_CIDR=None, CLUSTER_NODE_PORT_RANGE=None):
        assert str(ClusterIPAllocator().network) == "10.96.0.0/12"
        assert NodePortAllocator().range_text == "30000-32767"


# -- ClusterIPs --


@DB
def test_a_service_gets_a_cluster_ip_and_a_record_that_names_the_service(
    registry: Registry, default_namespace: None, svcs: Resource
) -> None:
    stored = registry.create(svcs, "default", service("web")).object
    ip = stored["spec"]["clusterIP"]
    assert stored["spec"]["clusterIPs"] == [ip]
    assert ip in {f"10.96.0.{i}" for i in range(1, 7)}
    assert records(registry, IP_KIND)[ip]["spec"]["parentRef"] == {
        "group": "",
        "resource": "services",
        "namespace": "default",
        "name": "web",
    }


@DB
def test_dynamic_cluster_ips_come_from_above_the_kept_back_addresses_until_those_run_out(
    registry: Registry, default_namespace: None
) -> None:
    svcs = services(cidr="10.96.0.0/27")  # 30 addresses, the first 16 kept back
    given = [registry.create(svcs, "default", service(f"s{i}")).object for i in range(15)]
    ips = [int(s["spec"]["clusterIP"].rsplit(".", 1)[1]) for s in given]
    assert sorted(ips[:14]) == list(range(17, 31))
    assert 1 <= ips[14] <= 16


@DB
def test_a_requested_cluster_ip_is_honoured(
    registry: Registry, default_namespace: None, svcs: Resource
) -> None:
    stored = registry.create(svcs, "default", service("web", clusterIP="10.96.0.1")).object
    assert (stored["spec"]["clusterIP"], stored["spec"]["clusterIPs"]) == (
        "10.96.0.1",
        ["10.96.0.1"],
    )
    assert holders(registry, IP_KIND) == {"10.96.0.1": "web"}


@DB
def test_a_requested_cluster_ip_that_is_taken_is_refused_and_nothing_is_written(
    registry: Registry, default_namespace: None, svcs: Resource
) -> None:
    registry.create(svcs, "default", service("first", clusterIP="10.96.0.3"))
    with pytest.raises(Invalid) as caught:
        registry.create(svcs, "default", service("second", clusterIP="10.96.0.3"))
    assert caught.value.message == (
        'Service "second" is invalid: spec.clusterIPs: Invalid value: ["10.96.0.3"]: '
        "failed to allocate IP 10.96.0.3: provided IP is already allocated"
    )
    assert caught.value.causes == [
        Cause(
            "spec.clusterIPs",
            'Invalid value: ["10.96.0.3"]: failed to allocate IP 10.96.0.3: '
            "provided IP is already allocated",
        )
    ]
    assert list(stored_services(registry)) == ["first"]
    assert holders(registry, IP_KIND) == {"10.96.0.3": "first"}


@DB
def test_a_requested_cluster_ip_outside_the_range_is_refused(
    registry: Registry, default_namespace: None, svcs: Resource
) -> None:
    for outside in ("10.96.0.0", "10.96.0.7", "10.97.0.1"):
        with pytest.raises(Invalid) as caught:
            registry.create(svcs, "default", service("web", clusterIP=outside))
        assert caught.value.causes == [
            Cause(
                "spec.clusterIPs",
                f'Invalid value: ["{outside}"]: failed to allocate IP {outside}: the provided IP '
                f"({outside}) is not in the valid range. The range of valid IPs is 10.96.0.0/29",
            )
        ]
    assert records(registry, IP_KIND) == {}


@DB
def test_headless_and_external_name_services_take_no_cluster_ip(
    registry: Registry, default_namespace: None, svcs: Resource
) -> None:
    headless = registry.create(svcs, "default", service("headless", clusterIP="None")).object
    external = registry.create(
        svcs, "default", service("ext", type="ExternalName", externalName="db.example.com")
    ).object
    assert (headless["spec"]["clusterIP"], headless["spec"]["clusterIPs"]) == ("None", ["None"])
    assert "clusterIP" not in external["spec"]
    assert records(registry, IP_KIND) == {}


@DB
def test_a_full_cluster_ip_range_gives_kubes_internal_error_and_writes_nothing(
    registry: Registry, default_namespace: None, svcs: Resource
) -> None:
    for i in range(6):
        registry.create(svcs, "default", service(f"s{i}"))
    with pytest.raises(RangeFull) as caught:
        registry.create(svcs, "default", service("one-too-many"))
    assert (caught.value.code, caught.value.reason, caught.value.message) == (
        500,
        "InternalError",
        "Internal error occurred: failed to allocate a serviceIP: range is full",
    )
    assert "one-too-many" not in stored_services(registry)
    assert sorted(holders(registry, IP_KIND).values()) == [f"s{i}" for i in range(6)]


@DB
def test_deleting_a_service_gives_its_cluster_ip_back_for_the_next_service(
    registry: Registry, default_namespace: None, svcs: Resource
) -> None:
    for i in range(6):
        registry.create(svcs, "default", service(f"s{i}"))
    freed = stored_services(registry)["s2"]["spec"]["clusterIP"]
    registry.delete(svcs, "default", "s2", DeleteOptions())
    assert freed not in records(registry, IP_KIND)
    reused = registry.create(svcs, "default", service("next")).object
    assert reused["spec"]["clusterIP"] == freed
    assert holders(registry, IP_KIND)[freed] == "next"


@DB
def test_releasing_leaves_a_record_alone_once_another_service_holds_it(
    registry: Registry, default_namespace: None, svcs: Resource
) -> None:
    first = registry.create(svcs, "default", service("first", clusterIP="10.96.0.4")).object
    registry.store.delete(Key(IP_KIND, "", "10.96.0.4"))  # as if freed already
    registry.create(svcs, "default", service("second", clusterIP="10.96.0.4"))
    allocator = svcs.strategy.allocator
    assert allocator is not None
    allocator.release(registry.store, first, None)
    assert holders(registry, IP_KIND) == {"10.96.0.4": "second"}


@DB
def test_switching_to_external_name_gives_the_cluster_ip_back_and_switching_back_takes_one(
    registry: Registry, default_namespace: None, svcs: Resource
) -> None:
    registry.create(svcs, "default", service("web", clusterIP="10.96.0.2"))

    def to_external(obj: Object) -> Object:
        obj["spec"]["type"] = "ExternalName"
        obj["spec"]["externalName"] = "db.example.com"
        return obj

    external = registry.update(svcs, "default", "web", to_external).object
    assert [
        k
        for k in ("clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy")
        if k in external["spec"]
    ] == []
    assert records(registry, IP_KIND) == {}

    def to_cluster_ip(obj: Object) -> Object:
        obj["spec"]["type"] = "ClusterIP"
        del obj["spec"]["externalName"]
        return obj

    back = registry.update(svcs, "default", "web", to_cluster_ip).object
    assert holders(registry, IP_KIND) == {back["spec"]["clusterIP"]: "web"}
    assert (back["spec"]["ipFamilies"], back["spec"]["ipFamilyPolicy"]) == (["IPv4"], "SingleStack")


# -- NodePorts --


@DB
def test_a_node_port_service_gets_a_node_port_for_each_port(
    registry: Registry, default_namespace: None, svcs: Resource
) -> None:
    stored = registry.create(svcs, "default", node_port_service("web", 0, 0)).object
    given = [p["nodePort"] for p in stored["spec"]["ports"]]
    assert len(set(given)) == 2
    assert all(30000 <= p <= 30009 for p in given)
    assert holders(registry, PORT_KIND) == {str(p): "web" for p in given}


@DB
def test_ports_that_share_a_number_share_a_node_port_when_the_service_is_created(
    registry: Registry, default_namespace: None, svcs: Resource
) -> None:
    dns = service(
        "dns",
        type="NodePort",
        ports=[
            {"name": "dns-tcp", "port": 53, "protocol": "TCP"},
            {"name": "dns-udp", "port": 53, "protocol": "UDP", "nodePort": 30005},
        ],
    )
    stored = registry.create(svcs, "default", dns).object
    assert [p["nodePort"] for p in stored["spec"]["ports"]] == [30005, 30005]
    assert holders(registry, PORT_KIND) == {"30005": "dns"}


@DB
def test_a_requested_node_port_is_honoured_and_a_taken_one_refused(
    registry: Registry, default_namespace: None, svcs: Resource
) -> None:
    first = registry.create(svcs, "default", node_port_service("first", 30007)).object
    assert first["spec"]["ports"][0]["nodePort"] == 30007
    with pytest.raises(Invalid) as caught:
        registry.create(svcs, "default", node_port_service("second", 30001, 30007))
    assert caught.value.message == (
        'Service "second" is invalid: spec.ports[1].nodePort: Invalid value: 30007: '
        "provided port is already allocated"
    )
    assert list(stored_services(registry)) == ["first"]
    assert holders(registry, PORT_KIND) == {"30007": "first"}
    assert list(holders(registry, IP_KIND).values()) == ["first"]  # second's IP given back


@DB
def test_one_node_port_named_for_two_port_numbers_is_refused_on_create_as_kube_does(
    registry: Registry, default_namespace: None, svcs: Resource
) -> None:
    ports = [
        {"name": "a", "port": 80, "protocol": "TCP", "nodePort": 30001},
        {"name": "b", "port": 81, "protocol": "UDP", "nodePort": 30001},
    ]
    with pytest.raises(Invalid) as caught:
        registry.create(svcs, "default", service("web", type="NodePort", ports=ports))
    assert caught.value.causes == [
        Cause("spec.ports[1].nodePort", "Invalid value: 30001: provided port is already allocated")
    ]
    assert records(registry, PORT_KIND) == {}
    assert records(registry, IP_KIND) == {}


@DB
def test_a_requested_node_port_outside_the_range_is_refused(
    registry: Registry, default_namespace: None, svcs: Resource
) -> None:
    with pytest.raises(Invalid) as caught:
        registry.create(svcs, "default", node_port_service("web", 32000))
    assert caught.value.causes == [
        Cause(
            "spec.ports[0].nodePort",
            "Invalid value: 32000: provided port is not in the valid range. "
            "The range of valid ports is 30000-30009",
        )
    ]
    assert records(registry, PORT_KIND) == {}
    assert records(registry, IP_KIND) == {}


@DB
def test_a_full_node_port_range_fails_the_create_and_gives_its_cluster_ip_back(
    registry: Registry, default_namespace: None
) -> None:
    svcs = services(cidr="10.96.0.0/27", ports="30000-30002")
    for i in range(3):
        registry.create(svcs, "default", node_port_service(f"s{i}"))
    with pytest.raises(RangeFull) as caught:
        registry.create(svcs, "default", node_port_service("one-too-many"))
    assert caught.value.message == (
        "Internal error occurred: failed to allocate a nodePort: range is full"
    )
    assert sorted(stored_services(registry)) == ["s0", "s1", "s2"]
    assert sorted(holders(registry, IP_KIND).values()) == ["s0", "s1", "s2"]
    assert sorted(holders(registry, PORT_KIND)) == ["30000", "30001", "30002"]


@DB
def test_changing_node_port_to_cluster_ip_gives_the_node_ports_back(
    registry: Registry, default_namespace: None, svcs: Resource
) -> None:
    registry.create(svcs, "default", node_port_service("web", 30003, 0))

    def to_cluster_ip(obj: Object) -> Object:
        obj["spec"]["type"] = "ClusterIP"
        return obj

    updated = registry.update(svcs, "default", "web", to_cluster_ip).object
    assert [p.get("nodePort") for p in updated["spec"]["ports"]] == [None, None]
    assert "externalTrafficPolicy" not in updated["spec"]
    assert records(registry, PORT_KIND) == {}
    assert list(holders(registry, IP_KIND).values()) == ["web"]


@DB
def test_changing_cluster_ip_to_node_port_takes_node_ports(
    registry: Registry, default_namespace: None, svcs: Resource
) -> None:
    registry.create(svcs, "default", service("web"))

    def to_node_port(obj: Object) -> Object:
        obj["spec"]["type"] = "NodePort"
        return obj

    updated = registry.update(svcs, "default", "web", to_node_port).object
    node_port = updated["spec"]["ports"][0]["nodePort"]
    assert holders(registry, PORT_KIND) == {str(node_port): "web"}
    assert updated["spec"]["externalTrafficPolicy"] == "Cluster"


@DB
def test_an_update_that_drops_a_port_gives_its_node_port_back(
    registry: Registry, default_namespace: None, svcs: Resource
) -> None:
    registry.create(svcs, "default", node_port_service("web", 30001, 30002))

    def drop_second(obj: Object) -> Object:
        obj["spec"]["ports"] = obj["spec"]["ports"][:1]
        return obj

    registry.update(svcs, "default", "web", drop_second)
    assert holders(registry, PORT_KIND) == {"30001": "web"}


@DB
def test_deleting_a_node_port_service_gives_back_its_ports_for_reuse(
    registry: Registry, default_namespace: None, svcs: Resource
) -> None:
    registry.create(svcs, "default", node_port_service("web", 30004))
    registry.delete(svcs, "default", "web", DeleteOptions())
    assert records(registry, PORT_KIND) == {}
    assert records(registry, IP_KIND) == {}
    again = registry.create(svcs, "default", node_port_service("again", 30004)).object
    assert again["spec"]["ports"][0]["nodePort"] == 30004


@DB
def test_a_local_load_balancer_also_holds_a_health_check_node_port(
    registry: Registry, default_namespace: None, svcs: Resource
) -> None:
    lb = service("lb", type="LoadBalancer", externalTrafficPolicy="Local")
    stored = registry.create(svcs, "default", lb).object
    held = {stored["spec"]["ports"][0]["nodePort"], stored["spec"]["healthCheckNodePort"]}
    assert sorted(holders(registry, PORT_KIND)) == sorted(str(p) for p in held)
    assert len(held) == 2
    registry.delete(svcs, "default", "lb", DeleteOptions())
    assert records(registry, PORT_KIND) == {}


@DB
def test_a_load_balancer_without_node_port_allocation_takes_only_requested_ports(
    registry: Registry, default_namespace: None, svcs: Resource
) -> None:
    lb = service(
        "lb",
        type="LoadBalancer",
        allocateLoadBalancerNodePorts=False,
        ports=[{"name": "a", "port": 80}, {"name": "b", "port": 81, "nodePort": 30006}],
    )
    stored = registry.create(svcs, "default", lb).object
    assert [p.get("nodePort") for p in stored["spec"]["ports"]] == [None, 30006]
    assert holders(registry, PORT_KIND) == {"30006": "lb"}


# -- dry run --


@DB
def test_a_dry_run_takes_nothing_and_shows_kubes_placeholders(
    registry: Registry, default_namespace: None, svcs: Resource
) -> None:
    shown = registry.create(svcs, "default", node_port_service("web", 0, 0), dry_run=True).object
    assert shown["spec"]["clusterIP"] == "10.96.0.0"
    assert [p["nodePort"] for p in shown["spec"]["ports"]] == [32769, 32770]
    assert records(registry, IP_KIND) == {}
    assert records(registry, PORT_KIND) == {}
    assert stored_services(registry) == {}


@DB
def test_a_dry_run_still_refuses_values_that_are_taken(
    registry: Registry, default_namespace: None, svcs: Resource
) -> None:
    registry.create(svcs, "default", node_port_service("first", 30002))
    with pytest.raises(Invalid) as caught:
        registry.create(svcs, "default", node_port_service("second", 30002), dry_run=True)
    assert caught.value.causes[0].message == (
        "Invalid value: 30002: provided port is already allocated"
    )
    ip = stored_services(registry)["first"]["spec"]["clusterIP"]
    with pytest.raises(Invalid, match="provided IP is already allocated"):
        registry.create(svcs, "default", service("third", clusterIP=ip), dry_run=True)
    assert sorted(records(registry, PORT_KIND)) == ["30002"]


# -- concurrency --


def race(count: int, job: Callable[[int], Object]) -> tuple[list[Object], list[BaseException]]:
    """Run ``job(i)`` on ``count`` threads, each with its own database connection, at once."""
    start = threading.Barrier(count)
    done: list[Object] = []
    failed: list[BaseException] = []
    lock = threading.Lock()

    def run(i: int) -> None:
        try:
            start.wait(timeout=30)
            result = job(i)
            with lock:
                done.append(result)
        except BaseException as exc:  # noqa: BLE001 - every failure is the test's evidence
            with lock:
                failed.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return done, failed


@DB
def test_concurrent_creates_never_share_a_cluster_ip_and_the_losers_see_range_full(
    registry: Registry, default_namespace: None, svcs: Resource
) -> None:
    done, failed = race(12, lambda i: registry.create(svcs, "default", service(f"s{i}")).object)
    ips = [s["spec"]["clusterIP"] for s in done]
    assert len(done) == 6
    assert len(set(ips)) == 6
    assert sorted(ips) == [f"10.96.0.{i}" for i in range(1, 7)]
    assert [type(e) for e in failed] == [RangeFull] * 6
    assert holders(registry, IP_KIND) == {
        s["spec"]["clusterIP"]: s["metadata"]["name"] for s in done
    }
    assert sorted(stored_services(registry)) == sorted(s["metadata"]["name"] for s in done)


@DB
def test_concurrent_creates_never_share_a_node_port_and_losers_give_their_cluster_ip_back(
    registry: Registry, default_namespace: None
) -> None:
    svcs = services(cidr="10.96.0.0/27")  # room for every IP; the ten node ports run out
    done, failed = race(
        14, lambda i: registry.create(svcs, "default", node_port_service(f"s{i}")).object
    )
    node_ports = [s["spec"]["ports"][0]["nodePort"] for s in done]
    assert len(done) == 10
    assert sorted(node_ports) == list(range(30000, 30010))
    assert [type(e) for e in failed] == [RangeFull] * 4
    names = {s["metadata"]["name"] for s in done}
    assert set(holders(registry, IP_KIND).values()) == names
    assert len(records(registry, IP_KIND)) == 10
    assert holders(registry, PORT_KIND) == {
        str(s["spec"]["ports"][0]["nodePort"]): s["metadata"]["name"] for s in done
    }


@DB
def test_concurrent_requests_for_one_cluster_ip_let_exactly_one_service_have_it(
    registry: Registry, default_namespace: None, svcs: Resource
) -> None:
    done, failed = race(
        8,
        lambda i: registry.create(svcs, "default", service(f"s{i}", clusterIP="10.96.0.5")).object,
    )
    assert len(done) == 1
    assert all(
        isinstance(e, Invalid) and "provided IP is already allocated" in e.message for e in failed
    )
    assert len(failed) == 7
    assert holders(registry, IP_KIND) == {"10.96.0.5": done[0]["metadata"]["name"]}
