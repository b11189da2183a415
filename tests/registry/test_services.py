"""Services: kube's defaults, validation (paths and messages), update rules and status.

Most tests run the strategy's hooks directly, in the order the registry runs them; the last
group goes through the real registry over PostgreSQL.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from cluster.registry.errors import Cause, Invalid
from cluster.registry.kinds.allocators import (
    ClusterIPAllocator,
    NodePortAllocator,
    ServiceAllocator,
)
from cluster.registry.kinds.services import ServiceStatusStrategy, ServiceStrategy
from cluster.registry.registry import Registry
from cluster.registry.resources import Resource
from cluster.store.types import Key, Object

DB = pytest.mark.django_db(transaction=True)
STRATEGY = ServiceStrategy(
    ServiceAllocator(ClusterIPAllocator("10.96.0.0/24"), NodePortAllocator("30000-30099"))
)
STATUS = ServiceStatusStrategy(STRATEGY)


def service(**spec: Any) -> Object:
    body: dict[str, Any] = {"selector": {"app": "web"}, "ports": [{"port": 80}]}
    body.update(spec)
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": body,
    }


def created(obj: Object) -> Object:
    """``obj`` after the create hooks the registry runs before validation."""
    new = copy.deepcopy(obj)
    STRATEGY.default(new)
    STRATEGY.prepare_for_create(new)
    return new


def updated(new: Object, old: Object) -> Object:
    result = copy.deepcopy(new)
    STRATEGY.default(result)
    STRATEGY.prepare_for_update(result, old)
    return result


def causes_of(obj: Object) -> list[Cause]:
    return STRATEGY.validate(created(obj))


def stored(**spec: Any) -> Object:
    """A Service as the store would hold it after a create that got 10.96.0.10."""
    obj = created(service(**spec))
    if obj["spec"]["type"] != "ExternalName" and not obj["spec"].get("clusterIP"):
        obj["spec"]["clusterIP"] = "10.96.0.10"
        obj["spec"]["clusterIPs"] = ["10.96.0.10"]
    return obj


# -- defaults --


def test_a_bare_service_gets_kubes_defaults() -> None:
    spec = created(service())["spec"]
    assert spec == {
        "selector": {"app": "web"},
        "ports": [{"port": 80, "protocol": "TCP", "targetPort": 80}],
        "type": "ClusterIP",
        "sessionAffinity": "None",
        "internalTrafficPolicy": "Cluster",
        "ipFamilies": ["IPv4"],
        "ipFamilyPolicy": "SingleStack",
    }


def test_a_given_target_port_and_protocol_are_kept() -> None:
    ports = created(service(ports=[{"port": 53, "protocol": "UDP", "targetPort": "dns"}]))["spec"][
        "ports"
    ]
    assert ports == [{"port": 53, "protocol": "UDP", "targetPort": "dns"}]


def test_node_port_and_load_balancer_services_default_their_traffic_policies() -> None:
    node_port = created(service(type="NodePort"))["spec"]
    assert (node_port["externalTrafficPolicy"], node_port["internalTrafficPolicy"]) == (
        "Cluster",
        "Cluster",
    )
    balancer = created(service(type="LoadBalancer"))["spec"]
    assert (balancer["externalTrafficPolicy"], balancer["allocateLoadBalancerNodePorts"]) == (
        "Cluster",
        True,
    )
    assert "externalTrafficPolicy" not in created(service())["spec"]


def test_client_ip_affinity_gets_a_three_hour_timeout() -> None:
    spec = created(service(sessionAffinity="ClientIP"))["spec"]
    assert spec["sessionAffinityConfig"] == {"clientIP": {"timeoutSeconds": 10800}}


def test_no_affinity_drops_an_affinity_config() -> None:
    spec = created(service(sessionAffinityConfig={"clientIP": {"timeoutSeconds": 5}}))["spec"]
    assert "sessionAffinityConfig" not in spec


def test_cluster_ips_mirror_a_cluster_ip_set_alone() -> None:
    spec = created(service(clusterIP="10.96.0.7"))["spec"]
    assert spec["clusterIPs"] == ["10.96.0.7"]


def test_a_headless_service_without_selector_is_required_dual_stack_with_both_families() -> None:
    spec = created(service(clusterIP="None", selector=None))["spec"]
    assert (spec["ipFamilyPolicy"], spec["ipFamilies"], spec["clusterIPs"]) == (
        "RequireDualStack",
        ["IPv4", "IPv6"],
        ["None"],
    )
    assert STRATEGY.validate(created(service(clusterIP="None", selector=None))) == []


def test_an_external_name_service_gets_no_ip_families() -> None:
    spec = created(service(type="ExternalName", externalName="db.example.com"))["spec"]
    assert [
        k
        for k in ("ipFamilies", "ipFamilyPolicy", "clusterIPs", "internalTrafficPolicy")
        if k in spec
    ] == []


def test_a_new_service_starts_with_an_empty_load_balancer_status() -> None:
    assert created({**service(), "status": {"loadBalancer": {"ingress": [{"ip": "1.2.3.4"}]}}})[
        "status"
    ] == {"loadBalancer": {}}


# -- validation, one rule at a time --


def test_a_valid_service_has_no_causes() -> None:
    assert causes_of(service()) == []


def test_ports_are_required_unless_headless_or_external_name() -> None:
    assert causes_of(service(ports=[])) == [
        Cause("spec.ports", "Required value", "FieldValueRequired")
    ]
    assert causes_of(service(ports=[], clusterIP="None")) == []
    assert causes_of(service(ports=[], type="ExternalName", externalName="db.example.com")) == []


def test_a_port_number_must_be_between_1_and_65535() -> None:
    assert causes_of(service(ports=[{"port": 70000}])) == [
        Cause("spec.ports[0].port", "Invalid value: 70000: must be between 1 and 65535, inclusive"),
        Cause(
            "spec.ports[0].targetPort",
            "Invalid value: 70000: must be between 1 and 65535, inclusive",
        ),
    ]


def test_port_names_are_required_and_unique_when_there_are_several_ports() -> None:
    ports = [{"port": 80}, {"name": "web", "port": 81}, {"name": "web", "port": 82}]
    assert causes_of(service(ports=ports)) == [
        Cause("spec.ports[0].name", "Required value", "FieldValueRequired"),
        Cause("spec.ports[2].name", 'Duplicate value: "web"', "FieldValueDuplicate"),
    ]


def test_a_port_name_must_be_a_dns_label() -> None:
    causes = causes_of(service(ports=[{"name": "Web", "port": 80}]))
    assert [(c.field, c.message.split(": ")[1]) for c in causes] == [
        ("spec.ports[0].name", '"Web"')
    ]
    assert causes[0].message.startswith(
        'Invalid value: "Web": a lowercase RFC 1123 label must consist'
    )


def test_an_unknown_protocol_is_unsupported() -> None:
    assert causes_of(service(ports=[{"port": 80, "protocol": "ICMP"}])) == [
        Cause(
            "spec.ports[0].protocol",
            'Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"',
            "FieldValueNotSupported",
        )
    ]


def test_a_target_port_is_a_port_number_or_an_iana_service_name() -> None:
    assert causes_of(service(ports=[{"port": 80, "targetPort": 0x10000}])) == [
        Cause(
            "spec.ports[0].targetPort",
            "Invalid value: 65536: must be between 1 and 65535, inclusive",
        )
    ]
    assert causes_of(service(ports=[{"port": 80, "targetPort": "http--alt"}])) == [
        Cause(
            "spec.ports[0].targetPort",
            'Invalid value: "http--alt": must not contain consecutive hyphens',
        )
    ]


def test_two_ports_with_one_protocol_and_number_are_duplicates() -> None:
    ports = [{"name": "a", "port": 80}, {"name": "b", "port": 80}]
    assert causes_of(service(ports=ports)) == [
        Cause(
            "spec.ports[1]",
            'Duplicate value: {"Name":"","Protocol":"TCP","AppProtocol":null,"Port":80,'
            '"TargetPort":0,"NodePort":0}',
            "FieldValueDuplicate",
        )
    ]


def test_a_node_port_is_forbidden_on_a_cluster_ip_service() -> None:
    assert causes_of(service(ports=[{"port": 80, "nodePort": 30080}])) == [
        Cause(
            "spec.ports[0].nodePort",
            "Forbidden: may not be used when `type` is 'ClusterIP'",
            "FieldValueForbidden",
        )
    ]


def test_a_node_port_may_serve_two_protocols_but_not_one_protocol_twice() -> None:
    ports = [
        {"name": "a", "port": 53, "protocol": "UDP", "nodePort": 30053},
        {"name": "b", "port": 53, "protocol": "TCP", "nodePort": 30053},
        {"name": "c", "port": 54, "protocol": "TCP", "nodePort": 30053},
    ]
    assert causes_of(service(type="NodePort", ports=ports)) == [
        Cause("spec.ports[2].nodePort", "Duplicate value: 30053", "FieldValueDuplicate")
    ]


def test_an_unknown_type_is_unsupported() -> None:
    assert causes_of(service(type="Ingress")) == [
        Cause(
            "spec.type",
            'Unsupported value: "Ingress": supported values: "ClusterIP", "ExternalName", '
            '"LoadBalancer", "NodePort"',
            "FieldValueNotSupported",
        )
    ]


def test_the_selector_must_be_valid_labels() -> None:
    causes = causes_of(service(selector={"app": "no spaces"}))
    assert [c.field for c in causes] == ["spec.selector"]
    assert causes[0].message.startswith('Invalid value: "no spaces": a valid label must be')


def test_session_affinity_is_none_or_client_ip_with_a_timeout_up_to_a_day() -> None:
    assert causes_of(service(sessionAffinity="Sticky")) == [
        Cause(
            "spec.sessionAffinity",
            'Unsupported value: "Sticky": supported values: "ClientIP", "None"',
            "FieldValueNotSupported",
        )
    ]
    config = {"clientIP": {"timeoutSeconds": 86401}}
    assert causes_of(service(sessionAffinity="ClientIP", sessionAffinityConfig=config)) == [
        Cause(
            "spec.sessionAffinityConfig.clientIP.timeoutSeconds",
            "Invalid value: 86401: must be greater than 0 and less than 86400",
        )
    ]


def test_an_external_name_service_needs_a_dns_name_and_no_cluster_ips() -> None:
    assert causes_of(service(type="ExternalName")) == [
        Cause("spec.externalName", "Required value", "FieldValueRequired")
    ]
    assert causes_of(
        service(type="ExternalName", externalName="db.example.com.", clusterIP="10.96.0.5")
    ) == [
        Cause(
            "spec.clusterIPs",
            "Forbidden: may not be set for ExternalName services",
            "FieldValueForbidden",
        )
    ]
    bad = causes_of(service(type="ExternalName", externalName="not_a_host"))
    assert [c.field for c in bad] == ["spec.externalName"]


def test_node_port_and_load_balancer_services_cannot_be_headless() -> None:
    assert causes_of(service(type="NodePort", clusterIP="None")) == [
        Cause(
            "spec.clusterIPs[0]",
            "Invalid value: \"None\": may not be set to 'None' for NodePort services",
        )
    ]


def test_a_cluster_ip_must_be_an_ip_and_agree_with_cluster_ips() -> None:
    assert causes_of(service(clusterIP="10.96.0.300")) == [
        Cause(
            "spec.clusterIPs[0]",
            'Invalid value: "10.96.0.300": must be a valid IP address, '
            "(e.g. 10.9.8.7 or 2001:db8::ffff)",
        )
    ]
    assert causes_of(service(clusterIP="10.96.0.5", clusterIPs=["10.96.0.6"])) == [
        Cause("spec.clusterIPs", 'Invalid value: ["10.96.0.6"]: first value must match `clusterIP`')
    ]


def test_this_single_stack_cluster_refuses_dual_stack_and_other_families() -> None:
    assert causes_of(service(ipFamilyPolicy="RequireDualStack")) == [
        Cause(
            "spec.ipFamilyPolicy",
            'Invalid value: "RequireDualStack": '
            "this cluster is not configured for dual-stack services",
        )
    ]
    assert causes_of(service(ipFamilies=["IPv6"])) == [
        Cause("spec.ipFamilies[0]", 'Invalid value: "IPv6": not configured on this cluster')
    ]
    assert causes_of(service(clusterIP="fd00::5")) == [
        Cause(
            "spec.clusterIPs[0]",
            'Invalid value: ["fd00::5"]: IPv6 is not configured on this cluster',
        )
    ]
    preferred = created(service(ipFamilyPolicy="PreferDualStack"))
    assert (preferred["spec"]["ipFamilies"], STRATEGY.validate(preferred)) == (["IPv4"], [])


def test_external_ips_may_not_be_special_addresses() -> None:
    assert causes_of(service(externalIPs=["127.0.0.1"])) == [
        Cause(
            "spec.externalIPs[0]",
            'Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)',
        )
    ]


def test_external_traffic_policy_is_only_for_externally_accessible_services() -> None:
    assert causes_of(service(externalTrafficPolicy="Local")) == [
        Cause(
            "spec.externalTrafficPolicy",
            'Invalid value: "Local": may only be set for externally-accessible services',
        )
    ]
    assert causes_of(service(type="NodePort", externalTrafficPolicy="Nearest")) == [
        Cause(
            "spec.externalTrafficPolicy",
            'Unsupported value: "Nearest": supported values: "Cluster", "Local"',
            "FieldValueNotSupported",
        )
    ]


def test_load_balancer_fields_are_forbidden_on_other_types() -> None:
    assert causes_of(
        service(loadBalancerSourceRanges=["10.0.0.0/8"], loadBalancerClass="x.io/lb")
    ) == [
        Cause(
            "spec.LoadBalancerSourceRanges",
            "Forbidden: may only be used when `type` is 'LoadBalancer'",
            "FieldValueForbidden",
        ),
        Cause(
            "spec.loadBalancerClass",
            "Forbidden: may only be used when `type` is 'LoadBalancer'",
            "FieldValueForbidden",
        ),
    ]


def test_a_mistyped_field_is_a_cause_not_a_crash() -> None:
    assert causes_of(service(ports=[{"port": "80"}])) == [
        Cause(
            "spec.ports[0].port", 'Invalid value: "80": must be an integer', "FieldValueTypeInvalid"
        )
    ]


# -- updates --


def test_a_cluster_ip_may_not_change_once_set() -> None:
    old = stored()
    new = copy.deepcopy(old)
    new["spec"]["clusterIP"] = "10.96.0.11"
    new["spec"]["clusterIPs"] = ["10.96.0.11"]
    assert STRATEGY.validate_update(updated(new, old), old) == [
        Cause("spec.clusterIPs[0]", 'Invalid value: ["10.96.0.11"]: may not change once set')
    ]


def test_changing_only_the_singular_cluster_ip_is_refused_the_same_way() -> None:
    old = stored()
    new = copy.deepcopy(old)
    new["spec"]["clusterIP"] = "10.96.0.11"
    assert STRATEGY.validate_update(updated(new, old), old) == [
        Cause("spec.clusterIPs[0]", 'Invalid value: ["10.96.0.11"]: may not change once set')
    ]


def test_an_update_that_leaves_out_allocated_values_keeps_them() -> None:
    old = stored(type="NodePort", ports=[{"name": "http", "port": 80, "nodePort": 30080}])
    manifest = service(type="NodePort", ports=[{"name": "http", "port": 80}])
    new = updated(manifest, old)
    assert (new["spec"]["clusterIP"], new["spec"]["clusterIPs"]) == ("10.96.0.10", ["10.96.0.10"])
    assert new["spec"]["ports"][0]["nodePort"] == 30080
    assert STRATEGY.validate_update(new, old) == []


def test_a_switch_to_external_name_may_drop_the_cluster_ip() -> None:
    old = stored()
    new = copy.deepcopy(old)
    new["spec"].update(type="ExternalName", externalName="db.example.com")
    result = updated(new, old)
    assert [
        k
        for k in ("clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy")
        if k in result["spec"]
    ] == []
    assert STRATEGY.validate_update(result, old) == []


def test_a_switch_from_node_port_to_cluster_ip_drops_node_ports_it_did_not_change() -> None:
    old = stored(type="NodePort", ports=[{"port": 80, "nodePort": 30080}])
    new = copy.deepcopy(old)
    new["spec"]["type"] = "ClusterIP"
    result = updated(new, old)
    assert result["spec"]["ports"] == [{"port": 80, "protocol": "TCP", "targetPort": 80}]
    assert "externalTrafficPolicy" not in result["spec"]
    assert STRATEGY.validate_update(result, old) == []


def test_a_switch_to_cluster_ip_that_asks_for_a_new_node_port_is_refused() -> None:
    old = stored(type="NodePort", ports=[{"port": 80, "nodePort": 30080}])
    new = copy.deepcopy(old)
    new["spec"]["type"] = "ClusterIP"
    new["spec"]["ports"][0]["nodePort"] = 30081
    assert STRATEGY.validate_update(updated(new, old), old) == [
        Cause(
            "spec.ports[0].nodePort",
            "Forbidden: may not be used when `type` is 'ClusterIP'",
            "FieldValueForbidden",
        )
    ]


def test_an_update_keeps_the_stored_status() -> None:
    old = {
        **stored(type="LoadBalancer"),
        "status": {"loadBalancer": {"ingress": [{"ip": "1.2.3.4"}]}},
    }
    new = {**copy.deepcopy(old), "status": {"loadBalancer": {}}}
    assert updated(new, old)["status"] == {"loadBalancer": {"ingress": [{"ip": "1.2.3.4"}]}}


# -- status --


def status_update(old: Object, status: Object) -> Object:
    new = {**copy.deepcopy(old), "status": status}
    STATUS.prepare_for_update(new, old)
    return new


def test_a_load_balancer_ingress_ip_is_a_vip_unless_said_otherwise() -> None:
    old = stored(type="LoadBalancer")
    new = status_update(old, {"loadBalancer": {"ingress": [{"ip": "192.0.2.7"}]}})
    assert new["status"] == {"loadBalancer": {"ingress": [{"ip": "192.0.2.7", "ipMode": "VIP"}]}}
    assert STATUS.validate_update(new, old) == []


def test_a_status_write_cannot_change_the_spec() -> None:
    old = stored(type="LoadBalancer")
    new = {**copy.deepcopy(old), "spec": {"type": "ClusterIP"}, "status": {"loadBalancer": {}}}
    STATUS.prepare_for_update(new, old)
    assert new["spec"] == old["spec"]


def test_load_balancer_ingress_is_only_for_load_balancers_and_must_be_well_formed() -> None:
    ingress = {"loadBalancer": {"ingress": [{"ip": "192.0.2.7"}]}}
    assert STATUS.validate_update(status_update(stored(), ingress), stored()) == [
        Cause(
            "status.loadBalancer.ingress",
            "Forbidden: may only be used when `spec.type` is 'LoadBalancer'",
            "FieldValueForbidden",
        )
    ]
    old = stored(type="LoadBalancer")
    bad = {
        "loadBalancer": {"ingress": [{"ip": "nope", "ipMode": "Tunnel"}, {"hostname": "192.0.2.8"}]}
    }
    assert STATUS.validate_update(status_update(old, bad), old) == [
        Cause(
            "status.loadBalancer.ingress[0].ip",
            'Invalid value: "nope": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
        ),
        Cause(
            "status.loadBalancer.ingress[0].ipMode",
            'Unsupported value: "Tunnel": supported values: "Proxy", "VIP"',
            "FieldValueNotSupported",
        ),
        Cause(
            "status.loadBalancer.ingress[1].hostname",
            'Invalid value: "192.0.2.8": must be a DNS name, not an IP address',
        ),
    ]


# -- through the registry --


@pytest.fixture
def svcs() -> Resource:
    strategy = ServiceStrategy(
        ServiceAllocator(ClusterIPAllocator("10.96.0.0/28"), NodePortAllocator("30000-30009"))
    )
    return Resource(
        group="",
        version="v1",
        kind="Service",
        plural="services",
        singular="service",
        strategy=strategy,
        subresources={"status": ServiceStatusStrategy(strategy)},
    )


@pytest.fixture
def default_namespace(registry: Registry) -> None:
    registry.store.create(
        Key("Namespace", "", "default"),
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "default"}},
    )


@DB
def test_a_created_service_is_stored_with_defaults_an_ip_and_an_empty_status(
    registry: Registry, default_namespace: None, svcs: Resource
) -> None:
    result = registry.create(svcs, "default", service())
    got = registry.get(svcs, "default", "web")
    assert got == result.object
    assert (got["spec"]["type"], got["spec"]["ipFamilies"], got["status"]) == (
        "ClusterIP",
        ["IPv4"],
        {"loadBalancer": {}},
    )
    assert got["spec"]["clusterIPs"] == [got["spec"]["clusterIP"]]
    assert "generation" not in got["metadata"]  # kube keeps no generation for Services


@DB
def test_a_name_that_is_not_a_dns_1035_label_is_refused_as_kube_words_it(
    registry: Registry, default_namespace: None, svcs: Resource
) -> None:
    bad = service()
    bad["metadata"]["name"] = "1web"
    with pytest.raises(Invalid) as caught:
        registry.create(svcs, "default", bad)
    assert caught.value.message == (
        'Service "1web" is invalid: metadata.name: Invalid value: "1web": a DNS-1035 label must '
        "consist of lower case alphanumeric characters or '-', start with an alphabetic "
        "character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', "
        "regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
    )


@DB
def test_changing_a_stored_cluster_ip_is_refused_as_kube_words_it(
    registry: Registry, default_namespace: None, svcs: Resource
) -> None:
    registry.create(svcs, "default", service(clusterIP="10.96.0.3"))

    def move(obj: Object) -> Object:
        obj["spec"]["clusterIP"] = "10.96.0.4"
        obj["spec"]["clusterIPs"] = ["10.96.0.4"]
        return obj

    with pytest.raises(Invalid) as caught:
        registry.update(svcs, "default", "web", move)
    assert caught.value.message == (
        'Service "web" is invalid: spec.clusterIPs[0]: Invalid value: ["10.96.0.4"]: '
        "may not change once set"
    )
    assert registry.get(svcs, "default", "web")["spec"]["clusterIP"] == "10.96.0.3"


@DB
def test_replacing_a_service_with_its_original_manifest_keeps_its_ip_and_node_port(
    registry: Registry, default_namespace: None, svcs: Resource
) -> None:
    manifest = service(type="NodePort", ports=[{"name": "http", "port": 80}])
    first = registry.create(svcs, "default", manifest).object
    replaced = registry.update(svcs, "default", "web", lambda _: copy.deepcopy(manifest)).object
    assert replaced == first  # same IP, same node port: nothing changed, nothing written


@DB
def test_the_status_subresource_records_a_load_balancer_ingress(
    registry: Registry, default_namespace: None, svcs: Resource
) -> None:
    registry.create(svcs, "default", service(type="LoadBalancer"))

    def ingress(obj: Object) -> Object:
        obj["status"] = {"loadBalancer": {"ingress": [{"ip": "192.0.2.7"}]}}
        obj["spec"]["type"] = "ClusterIP"  # ignored: a status write keeps the spec
        return obj

    result = registry.update(svcs, "default", "web", ingress, subresource="status").object
    assert result["status"] == {"loadBalancer": {"ingress": [{"ip": "192.0.2.7", "ipMode": "VIP"}]}}
    assert result["spec"]["type"] == "LoadBalancer"
