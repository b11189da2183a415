"""Services: kube-apiserver's defaults and validation, and the ClusterIPs and NodePorts they hold.

The rules are kube's ``pkg/apis/core/v1/defaults.go`` (SetDefaults_Service),
``pkg/apis/core/validation`` (ValidateService and friends) and ``pkg/registry/core/service``.
Kube takes a Service's values before validating it; our registry validates first and then
calls the allocator (``allocators.ServiceAllocator``), so the shaping kube does while
allocating (``clusterIPs`` from ``clusterIP``, ``ipFamilies`` and ``ipFamilyPolicy``, and the
allocated values a client left out of an update) happens here in the prepare hooks, before
validation sees the object.

The cluster is single-stack: one service CIDR, so one IP family (that of the CIDR).
"""

from __future__ import annotations

import json
from typing import Any

from cluster.registry import names
from cluster.registry.errors import (
    Cause,
    duplicate,
    forbidden,
    invalid,
    not_supported,
    required,
)
from cluster.registry.kinds.allocators import NODE_PORT_TYPES, ServiceAllocator
from cluster.registry.kinds.formats import (
    IMMUTABLE_PROBLEM,
    IP_PROBLEM,
    PROTOCOLS,
    cidr_causes,
    each,
    ip_causes,
    label_causes,
    non_special_ip_causes,
    parse_ip,
    port_name_problems,
    port_number_problems,
)
from cluster.registry.kinds.shapes import (
    check_list_of,
    check_map_of_strings,
    check_types,
    entries,
    index,
    is_int,
    mapping,
    sequence,
    shown,
    text,
    wrong_type,
)
from cluster.registry.strategy import StatusStrategy, Strategy
from cluster.store.types import Object

SERVICE_TYPES = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"]
SESSION_AFFINITIES = ["ClientIP", "None"]
TRAFFIC_POLICIES = ["Cluster", "Local"]
IP_FAMILIES = ["IPv4", "IPv6"]
IP_FAMILY_POLICIES = ["PreferDualStack", "RequireDualStack", "SingleStack"]
TRAFFIC_DISTRIBUTIONS = ["PreferClose", "PreferSameNode", "PreferSameZone"]
LOAD_BALANCER_IP_MODES = ["Proxy", "VIP"]
DEFAULT_CLIENT_IP_TIMEOUT = 10800
MAX_CLIENT_IP_TIMEOUT = 86400
SOURCE_RANGES_ANNOTATION = "service.beta.kubernetes.io/load-balancer-source-ranges"
TOPOLOGY_MODE_ANNOTATION = "service.kubernetes.io/topology-mode"
TOPOLOGY_HINTS_ANNOTATION = "service.kubernetes.io/topology-aware-hints"
ONLY_LOAD_BALANCER = "may only be used when `type` is 'LoadBalancer'"

_SPEC_TYPES = {
    "type": "string",
    "clusterIP": "string",
    "externalName": "string",
    "sessionAffinity": "string",
    "sessionAffinityConfig": "object",
    "externalTrafficPolicy": "string",
    "internalTrafficPolicy": "string",
    "ipFamilyPolicy": "string",
    "healthCheckNodePort": "integer",
    "allocateLoadBalancerNodePorts": "boolean",
    "loadBalancerClass": "string",
    "loadBalancerIP": "string",
    "publishNotReadyAddresses": "boolean",
    "trafficDistribution": "string",
}
_PORT_TYPES = {
    "name": "string",
    "protocol": "string",
    "appProtocol": "string",
    "port": "integer",
    "nodePort": "integer",
}


def _invalid_value(path: str, value: Any, detail: str) -> Cause:
    """``invalid`` for lists and maps, rendered as JSON as kube-apiserver 1.34+ renders them."""
    return Cause(path, f"Invalid value: {shown(value)}: {detail}", "FieldValueInvalid")


def _spec(obj: Object) -> dict[str, Any]:
    return mapping(obj.get("spec"))


def _ips(spec: dict[str, Any]) -> list[Any]:
    return sequence(spec.get("clusterIPs"))


def is_headless(spec: dict[str, Any]) -> bool:
    return _ips(spec) == ["None"]


def _externally_accessible(spec: dict[str, Any]) -> bool:
    kind = spec.get("type")
    return kind in NODE_PORT_TYPES or (kind == "ClusterIP" and bool(spec.get("externalIPs")))


def _needs_health_check(spec: dict[str, Any]) -> bool:
    return spec.get("type") == "LoadBalancer" and spec.get("externalTrafficPolicy") == "Local"


def _node_ports(spec: dict[str, Any]) -> set[int]:
    return {p["nodePort"] for _, p in entries(spec.get("ports")) if is_int(p.get("nodePort"))} - {0}


def _family_of(value: Any) -> str | None:
    ip = parse_ip(value) if isinstance(value, str) else None
    if ip is None:
        return None
    return "IPv4" if ip.version == 4 else "IPv6"


# -- defaults (SetDefaults_Service) --


def default_service(obj: Object) -> None:
    """Fill in kube's defaults for a Service, in place."""
    spec = obj.setdefault("spec", {})
    if not isinstance(spec, dict):
        return
    if not spec.get("sessionAffinity"):
        spec["sessionAffinity"] = "None"
    if spec["sessionAffinity"] == "None":
        spec.pop("sessionAffinityConfig", None)
    elif spec["sessionAffinity"] == "ClientIP":
        client = mapping(mapping(spec.get("sessionAffinityConfig")).get("clientIP"))
        if client.get("timeoutSeconds") is None:
            spec["sessionAffinityConfig"] = {
                "clientIP": {"timeoutSeconds": DEFAULT_CLIENT_IP_TIMEOUT}
            }
    if not spec.get("type"):
        spec["type"] = "ClusterIP"
    for _, port in entries(spec.get("ports")):
        if not port.get("protocol"):
            port["protocol"] = "TCP"
        if port.get("targetPort") in (None, 0, "") and is_int(port.get("port")):
            port["targetPort"] = port["port"]
    if _externally_accessible(spec) and not spec.get("externalTrafficPolicy"):
        spec["externalTrafficPolicy"] = "Cluster"
    if spec.get("internalTrafficPolicy") is None and spec["type"] in (
        "ClusterIP",
        *NODE_PORT_TYPES,
    ):
        spec["internalTrafficPolicy"] = "Cluster"
    if spec["type"] == "LoadBalancer" and spec.get("allocateLoadBalancerNodePorts") is None:
        spec["allocateLoadBalancerNodePorts"] = True


# -- shaping kube does while allocating (storage/rest.go, storage/alloc.go) --


def normalize_cluster_ips(spec: dict[str, Any], old: dict[str, Any] | None) -> None:
    """Keep ``clusterIP`` and ``clusterIPs`` in step for clients that set only one of them."""
    ip = spec.get("clusterIP") or ""
    if old is None:
        if ip and not _ips(spec):
            spec["clusterIPs"] = [ip]
        return
    old_ip = old.get("clusterIP") or ""
    if _ips(old) and not _ips(spec) and old_ip == ip:
        spec["clusterIPs"] = list(_ips(old))  # an old client patched something else
    if old_ip != ip:
        if old_ip and not ip and _ips(spec) == _ips(old):
            spec.pop("clusterIPs", None)  # clearing the singular clears both
        if ip and _ips(spec) == _ips(old):
            spec["clusterIPs"] = [ip]


def patch_allocated_values(spec: dict[str, Any], old: dict[str, Any]) -> None:
    """Keep allocated values an update left out, so a resubmitted manifest still applies."""
    if old.get("type") != "ExternalName" and spec.get("type") != "ExternalName":
        if not spec.get("clusterIP") and old.get("clusterIP"):
            spec["clusterIP"] = old["clusterIP"]
        if not _ips(spec) and _ips(old):
            spec["clusterIPs"] = list(_ips(old))
    if old.get("type") in NODE_PORT_TYPES and spec.get("type") in NODE_PORT_TYPES:
        used = _node_ports(old) & _node_ports(spec)
        by_name = {p.get("name"): p.get("nodePort") for _, p in entries(old.get("ports"))}
        for _, port in entries(spec.get("ports")):
            if not port.get("nodePort"):
                previous = by_name.get(port.get("name"))
                if is_int(previous) and previous and previous not in used:
                    port["nodePort"] = previous
    keeps_health_check = _needs_health_check(old) and _needs_health_check(spec)
    if keeps_health_check and not spec.get("healthCheckNodePort"):
        spec["healthCheckNodePort"] = old.get("healthCheckNodePort")


def init_ip_families(spec: dict[str, Any], old: dict[str, Any] | None, family: str) -> None:
    """Default ``ipFamilyPolicy`` and ``ipFamilies`` as kube's initIPFamilyFields does."""
    if spec.get("type") == "ExternalName":
        return
    if spec.get("ipFamilyPolicy") is None:
        if old is not None and old.get("ipFamilyPolicy") is not None:
            spec["ipFamilyPolicy"] = old["ipFamilyPolicy"]
        elif spec.get("clusterIP") == "None" and not spec.get("selector"):
            spec["ipFamilyPolicy"] = "RequireDualStack"  # headless, selectorless: any family
        else:
            spec["ipFamilyPolicy"] = "SingleStack"
    policy = spec["ipFamilyPolicy"]
    if old is not None and policy == "SingleStack":
        if _ips(spec) == _ips(old) and len(_ips(spec)) > 1:
            spec["clusterIPs"] = _ips(spec)[:1]
        families = sequence(spec.get("ipFamilies"))
        if families == sequence(old.get("ipFamilies")) and len(families) > 1:
            spec["ipFamilies"] = families[:1]
    if spec.get("ipFamilies") is not None and not isinstance(spec["ipFamilies"], list):
        return  # mistyped; validation says so
    families = list(sequence(spec.get("ipFamilies")))
    for i, ip in enumerate(_ips(spec)):
        inferred = _family_of(ip)
        if inferred is None or i < len(families):
            if inferred is None:
                break  # "None" or not an IP
            continue
        if inferred != family:
            return  # a family this cluster has not: kube refuses before defaulting anything
        families.append(inferred)
    if spec.get("clusterIP") == "None" and not spec.get("selector"):
        families = families or [family]
        if len(families) < 2 and policy != "SingleStack":
            families.append("IPv6" if families[0] == "IPv4" else "IPv4")
    spec["ipFamilies"] = families or [family]


def drop_type_dependent_fields(spec: dict[str, Any], old: dict[str, Any]) -> None:
    """Clear what a type change leaves meaningless, if the client did not change it too."""
    was, now = old.get("type"), spec.get("type")
    if was != "ExternalName" and now == "ExternalName":
        if spec.get("clusterIP") == old.get("clusterIP") and _ips(spec) == _ips(old):
            spec.pop("clusterIP", None)
            spec.pop("clusterIPs", None)
        if spec.get("ipFamilies") == old.get("ipFamilies"):
            spec.pop("ipFamilies", None)
        if spec.get("ipFamilyPolicy") == old.get("ipFamilyPolicy"):
            spec.pop("ipFamilyPolicy", None)
    leaves_node_ports = was in NODE_PORT_TYPES and now not in NODE_PORT_TYPES
    if leaves_node_ports and _node_ports(old) >= _node_ports(spec):
        for _, port in entries(spec.get("ports")):
            port.pop("nodePort", None)
    if leaves_node_ports and spec.get("externalTrafficPolicy") == old.get("externalTrafficPolicy"):
        spec.pop("externalTrafficPolicy", None)
    leaves_health_check = _needs_health_check(old) and not _needs_health_check(spec)
    if leaves_health_check and spec.get("healthCheckNodePort") == old.get("healthCheckNodePort"):
        spec.pop("healthCheckNodePort", None)
    if was == "LoadBalancer" and now != "LoadBalancer":
        allocate = spec.get("allocateLoadBalancerNodePorts")
        if allocate is not None and allocate == old.get("allocateLoadBalancerNodePorts"):
            spec.pop("allocateLoadBalancerNodePorts", None)
        if spec.get("loadBalancerClass") == old.get("loadBalancerClass"):
            spec.pop("loadBalancerClass", None)


# -- validation (ValidateService) --


def validate_service(obj: Object, family: str) -> list[Cause]:
    """Every problem with a Service's spec, with kube's field paths and messages."""
    if not isinstance(obj.get("spec"), dict):
        return [wrong_type("spec", obj.get("spec"), "an object")]
    spec = obj["spec"]
    causes = _shape_causes(spec)
    causes += _topology_annotation_causes(mapping(mapping(obj.get("metadata")).get("annotations")))
    kind = spec.get("type")
    if not sequence(spec.get("ports")) and not is_headless(spec) and kind != "ExternalName":
        causes.append(required("spec.ports"))
    causes += _type_causes(spec)
    causes += _port_causes(spec)
    if isinstance(spec.get("selector"), dict):
        causes += label_causes(spec["selector"], "spec.selector")
    causes += _session_affinity_causes(spec)
    causes += cluster_ips_causes(spec)
    causes += _cluster_family_causes(spec, family)
    for i, ip in enumerate(sequence(spec.get("externalIPs"))):
        if isinstance(ip, str):
            path = index("spec.externalIPs", i)
            causes += ip_causes(path, ip) or non_special_ip_causes(path, ip)
    if not kind:
        causes.append(required("spec.type"))
    elif kind not in SERVICE_TYPES:
        causes.append(not_supported("spec.type", kind, SERVICE_TYPES))
    causes += _node_port_causes(spec)
    causes += _load_balancer_causes(spec, mapping(mapping(obj.get("metadata")).get("annotations")))
    causes += _traffic_policy_causes(spec)
    return causes


def _shape_causes(spec: dict[str, Any]) -> list[Cause]:
    causes = check_types(spec, "spec", _SPEC_TYPES)
    causes += check_map_of_strings(spec.get("selector"), "spec.selector")
    for name in ("clusterIPs", "ipFamilies", "externalIPs", "loadBalancerSourceRanges"):
        causes += check_list_of(spec.get(name), f"spec.{name}", "string")
    causes += check_list_of(spec.get("ports"), "spec.ports", "object")
    for i, port in entries(spec.get("ports")):
        causes += check_types(port, index("spec.ports", i), _PORT_TYPES)
        target = port.get("targetPort")
        if target is not None and not (is_int(target) or isinstance(target, str)):
            path = f"{index('spec.ports', i)}.targetPort"
            causes.append(wrong_type(path, target, "an integer or a string"))
    return causes


def _topology_annotation_causes(annotations: dict[str, Any]) -> list[Cause]:
    mode = annotations.get(TOPOLOGY_MODE_ANNOTATION)
    hints = annotations.get(TOPOLOGY_HINTS_ANNOTATION)
    if mode is None or hints is None or mode == hints:
        return []
    return [
        invalid(
            f"metadata.annotations[{TOPOLOGY_MODE_ANNOTATION}]",
            mode,
            f"must match annotations[{TOPOLOGY_HINTS_ANNOTATION}] when both are specified",
        )
    ]


def _type_causes(spec: dict[str, Any]) -> list[Cause]:
    kind = spec.get("type")
    if kind in NODE_PORT_TYPES:
        if is_headless(spec):
            return [
                invalid(
                    "spec.clusterIPs[0]", "None", f"may not be set to 'None' for {kind} services"
                )
            ]
        return []
    if kind != "ExternalName":
        return []
    causes = []
    for name in ("clusterIPs", "ipFamilies"):
        if sequence(spec.get(name)):
            causes.append(forbidden(f"spec.{name}", "may not be set for ExternalName services"))
    if spec.get("ipFamilyPolicy") is not None:
        causes.append(forbidden("spec.ipFamilyPolicy", "may not be set for ExternalName services"))
    cname = text(spec.get("externalName")).removesuffix(".")
    if cname:
        causes += each("spec.externalName", names.dns1123_subdomain(cname), cname)
    else:
        causes.append(required("spec.externalName"))
    return causes


def _port_causes(spec: dict[str, Any]) -> list[Cause]:
    ports = list(entries(spec.get("ports")))
    causes: list[Cause] = []
    seen_names: set[str] = set()
    seen_ports: set[tuple[Any, Any]] = set()
    for i, port in ports:
        path = index("spec.ports", i)
        name = text(port.get("name"))
        if len(ports) > 1 and not name:
            causes.append(required(f"{path}.name"))
        elif name:
            causes += each(f"{path}.name", names.dns1123_label(name), name)
            if name in seen_names:
                causes.append(duplicate(f"{path}.name", name))
            seen_names.add(name)
        number = port.get("port", 0)
        if is_int(number):
            causes += each(f"{path}.port", port_number_problems(number), number)
        protocol = port.get("protocol")
        if not protocol:
            causes.append(required(f"{path}.protocol"))
        elif protocol not in PROTOCOLS:
            causes.append(not_supported(f"{path}.protocol", protocol, PROTOCOLS))
        # a port without a number has target port 0 too, as in kube; a mistyped one is
        # reported once, by the shape check
        target = port.get("targetPort", 0 if "port" not in port else None)
        if is_int(target):
            causes += each(f"{path}.targetPort", port_number_problems(target), target)
        elif isinstance(target, str):
            causes += each(f"{path}.targetPort", port_name_problems(target), target)
        if isinstance(port.get("appProtocol"), str):
            protocol_name = port["appProtocol"]
            causes += each(
                f"{path}.appProtocol", names.qualified_name(protocol_name), protocol_name
            )
        key = (protocol, number)
        if key in seen_ports:
            causes.append(_duplicate_port(path, protocol, number))
        seen_ports.add(key)
    return causes


def _duplicate_port(path: str, protocol: Any, number: Any) -> Cause:
    # kube reports the (protocol, port) key as its internal ServicePort struct, and internal
    # types carry no JSON tags, so the rendering uses Go's field names.
    key = {
        "Name": "",
        "Protocol": protocol,
        "AppProtocol": None,
        "Port": number,
        "TargetPort": 0,
        "NodePort": 0,
    }
    return Cause(
        path, f"Duplicate value: {json.dumps(key, separators=(',', ':'))}", "FieldValueDuplicate"
    )


def _session_affinity_causes(spec: dict[str, Any]) -> list[Cause]:
    affinity = spec.get("sessionAffinity")
    config = spec.get("sessionAffinityConfig")
    path = "spec.sessionAffinityConfig"
    if not affinity:
        return [required("spec.sessionAffinity")]
    if affinity not in SESSION_AFFINITIES:
        return [not_supported("spec.sessionAffinity", affinity, SESSION_AFFINITIES)]
    if affinity == "None":
        return [forbidden(path, "must not be set when session affinity is None")] if config else []
    when = "when session affinity type is ClientIP"
    if not isinstance(config, dict):
        return [required(path, when)]
    client = config.get("clientIP")
    if not isinstance(client, dict):
        return [required(f"{path}.clientIP", when)]
    timeout = client.get("timeoutSeconds")
    if timeout is None:
        return [required(f"{path}.clientIP.timeoutSeconds", when)]
    if not is_int(timeout) or not 0 < timeout <= MAX_CLIENT_IP_TIMEOUT:
        return [
            invalid(
                f"{path}.clientIP.timeoutSeconds",
                timeout,
                f"must be greater than 0 and less than {MAX_CLIENT_IP_TIMEOUT}",
            )
        ]
    return []


def cluster_ips_causes(spec: dict[str, Any]) -> list[Cause]:
    """kube's ValidateServiceClusterIPsRelatedFields."""
    if spec.get("type") == "ExternalName":
        return []
    causes: list[Cause] = []
    ip, ips = spec.get("clusterIP") or "", _ips(spec)
    if ip:
        if not ips:
            causes.append(required("spec.clusterIPs"))
        elif ips[0] != ip:
            causes.append(
                _invalid_value("spec.clusterIPs", ips, "first value must match `clusterIP`")
            )
    elif ips:
        causes.append(
            _invalid_value(
                "spec.clusterIPs", ips, "must be empty when `clusterIP` is not specified"
            )
        )
    families = sequence(spec.get("ipFamilies"))
    for i, name in enumerate(families):
        path = index("spec.ipFamilies", i)
        if name not in IP_FAMILIES:
            causes.append(not_supported(path, name, IP_FAMILIES))
        if name in families[:i]:
            causes.append(duplicate(path, name))
    policy = spec.get("ipFamilyPolicy")
    if policy is not None and policy not in IP_FAMILY_POLICIES:
        causes.append(not_supported("spec.ipFamilyPolicy", policy, IP_FAMILY_POLICIES))
    bad_ips = False
    for i, value in enumerate(ips):
        if i == 0 and value == "None":
            if len(ips) > 1:
                bad_ips = True
                causes.append(
                    _invalid_value(
                        "spec.clusterIPs", ips, "'None' must be the first and only value"
                    )
                )
            continue
        if not isinstance(value, str):
            bad_ips = True  # mistyped; the shape check says so
        elif _family_of(value) is None:
            bad_ips = True
            causes.append(invalid(index("spec.clusterIPs", i), value, IP_PROBLEM))
    if len(ips) > 2:
        causes.append(_invalid_value("spec.clusterIPs", ips, "may only hold up to 2 values"))
    if bad_ips:
        return causes
    if len(ips) > 1 and len({_family_of(v) for v in ips}) < 2:
        causes.append(
            _invalid_value(
                "spec.clusterIPs", ips, "may specify no more than one IP for each IP family"
            )
        )
    if not is_headless(spec):
        for i, (value, name) in enumerate(zip(ips, families, strict=False)):
            if name in IP_FAMILIES and _family_of(value) != name:
                causes.append(
                    invalid(
                        index("spec.clusterIPs", i),
                        value,
                        f"expected an {name} value as indicated by `ipFamilies[{i}]`",
                    )
                )
    return causes


def _cluster_family_causes(spec: dict[str, Any], family: str) -> list[Cause]:
    """What kube's allocator refuses: families and policies this single-stack cluster has not."""
    if spec.get("type") == "ExternalName":
        return []
    policy = spec.get("ipFamilyPolicy")
    ips, families = _ips(spec), sequence(spec.get("ipFamilies"))
    causes: list[Cause] = []
    if policy == "SingleStack":
        for what, values in (("cluster IPs", ips), ("IP families", families)):
            if len(values) == 2:
                causes.append(
                    invalid(
                        "spec.ipFamilyPolicy",
                        policy,
                        f"must be 'RequireDualStack' or 'PreferDualStack' when multiple {what} "
                        "are specified",
                    )
                )
    for i, value in enumerate(ips):
        found = _family_of(value)
        if found is None:
            break
        if i >= len(families) and found != family:
            causes.append(
                _invalid_value(
                    index("spec.clusterIPs", i), ips, f"{found} is not configured on this cluster"
                )
            )
    if causes or (spec.get("clusterIP") == "None" and not spec.get("selector")):
        return causes
    if policy == "RequireDualStack":
        causes.append(
            invalid(
                "spec.ipFamilyPolicy",
                policy,
                "this cluster is not configured for dual-stack services",
            )
        )
    for i, name in enumerate(families):
        if name in IP_FAMILIES and name != family:
            causes.append(
                invalid(index("spec.ipFamilies", i), name, "not configured on this cluster")
            )
    return causes


def _node_port_causes(spec: dict[str, Any]) -> list[Cause]:
    causes = []
    seen: set[tuple[Any, int]] = set()
    for i, port in entries(spec.get("ports")):
        node_port = port.get("nodePort")
        if not is_int(node_port) or not node_port:
            continue
        path = f"{index('spec.ports', i)}.nodePort"
        if spec.get("type") == "ClusterIP":
            causes.append(forbidden(path, "may not be used when `type` is 'ClusterIP'"))
        key = (port.get("protocol"), node_port)
        if key in seen:
            causes.append(duplicate(path, node_port))
        seen.add(key)
    return causes


def _load_balancer_causes(spec: dict[str, Any], annotations: dict[str, Any]) -> list[Cause]:
    is_lb = spec.get("type") == "LoadBalancer"
    causes = []
    ranges = sequence(spec.get("loadBalancerSourceRanges"))
    if ranges:
        path = "spec.LoadBalancerSourceRanges"  # sic: kube's path has the Go field name
        if not is_lb:
            causes.append(forbidden(path, ONLY_LOAD_BALANCER))
        for i, value in enumerate(ranges):
            if isinstance(value, str):
                causes += cidr_causes(index(path, i), value.strip())
    elif isinstance(annotations.get(SOURCE_RANGES_ANNOTATION), str):
        path = f"metadata.annotations[{SOURCE_RANGES_ANNOTATION}]"
        if not is_lb:
            causes.append(forbidden(path, ONLY_LOAD_BALANCER))
        value = annotations[SOURCE_RANGES_ANNOTATION].strip()
        for cidr in value.split(",") if value else []:
            causes += cidr_causes(path, cidr.strip())
    allocate = spec.get("allocateLoadBalancerNodePorts")
    if allocate is not None and not is_lb:
        causes.append(forbidden("spec.allocateLoadBalancerNodePorts", ONLY_LOAD_BALANCER))
    if is_lb and allocate is None:
        causes.append(required("allocateLoadBalancerNodePorts"))  # sic: kube's path
    lb_class = spec.get("loadBalancerClass")
    if isinstance(lb_class, str):
        if is_lb:
            causes += each("spec.loadBalancerClass", names.qualified_name(lb_class), lb_class)
        else:
            causes.append(forbidden("spec.loadBalancerClass", ONLY_LOAD_BALANCER))
    return causes


def _traffic_policy_causes(spec: dict[str, Any]) -> list[Cause]:
    causes = []
    external = spec.get("externalTrafficPolicy") or ""
    if not _externally_accessible(spec):
        if external:
            causes.append(
                invalid(
                    "spec.externalTrafficPolicy",
                    external,
                    "may only be set for externally-accessible services",
                )
            )
    elif not external:
        causes.append(required("spec.externalTrafficPolicy"))
    elif external not in TRAFFIC_POLICIES:
        causes.append(not_supported("spec.externalTrafficPolicy", external, TRAFFIC_POLICIES))
    health = spec.get("healthCheckNodePort")
    if is_int(health) and health:
        if not _needs_health_check(spec):
            causes.append(
                invalid(
                    "spec.healthCheckNodePort",
                    health,
                    "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` "
                    "is 'Local'",
                )
            )
        else:
            causes += each("spec.healthCheckNodePort", port_number_problems(health), health)
    internal = spec.get("internalTrafficPolicy")
    if internal is None:
        if spec.get("type") in ("ClusterIP", *NODE_PORT_TYPES):
            causes.append(required("spec.internalTrafficPolicy"))
    elif internal not in TRAFFIC_POLICIES:
        causes.append(not_supported("spec.internalTrafficPolicy", internal, TRAFFIC_POLICIES))
    distribution = spec.get("trafficDistribution")
    if distribution is not None and distribution not in TRAFFIC_DISTRIBUTIONS:
        causes.append(
            not_supported("spec.trafficDistribution", distribution, TRAFFIC_DISTRIBUTIONS)
        )
    return causes


# -- update rules (ValidateServiceUpdate) --


def validate_service_update(new: Object, old: Object) -> list[Cause]:
    """What may not change: the ClusterIPs and IP families once set (except to and from
    ExternalName), a LoadBalancer's class, a health check node port."""
    spec, was = _spec(new), _spec(old)
    causes: list[Cause] = []
    if "ExternalName" not in (spec.get("type"), was.get("type")):
        causes += _cluster_ips_update_causes(spec, was)
        causes += _ip_families_update_causes(spec, was)
    both_load_balancers = spec.get("type") == was.get("type") == "LoadBalancer"
    if both_load_balancers and spec.get("loadBalancerClass") != was.get("loadBalancerClass"):
        value = spec.get("loadBalancerClass")
        causes.append(invalid("spec.loadBalancerClass", value, "may not change once set"))
    both_checked = _needs_health_check(spec) and _needs_health_check(was)
    if both_checked and spec.get("healthCheckNodePort") != was.get("healthCheckNodePort"):
        causes.append(forbidden("spec.healthCheckNodePort", IMMUTABLE_PROBLEM))
    return causes


def _cluster_ips_update_causes(spec: dict[str, Any], was: dict[str, Any]) -> list[Cause]:
    if is_headless(spec) and is_headless(was):
        return []
    ips, old_ips = _ips(spec), _ips(was)
    changed = "may not change once set"
    if len(ips) == len(old_ips):
        return [
            _invalid_value(index("spec.clusterIPs", i), ips, changed)
            for i, ip in enumerate(old_ips)
            if ip != ips[i]
        ]
    causes = []
    if not ips:
        causes.append(
            _invalid_value("spec.clusterIPs[0]", ips, "primary clusterIP can not be unset")
        )
    elif old_ips and ips[0] != old_ips[0]:
        causes.append(_invalid_value("spec.clusterIPs[0]", ips, changed))
    if len(old_ips) > len(ips) == 1 and spec.get("ipFamilyPolicy") != "SingleStack":
        causes.append(
            invalid(
                "spec.ipFamilyPolicy",
                spec.get("ipFamilyPolicy"),
                "must be set to 'SingleStack' when releasing the secondary clusterIP",
            )
        )
    return causes


def _ip_families_update_causes(spec: dict[str, Any], was: dict[str, Any]) -> list[Cause]:
    if is_headless(spec) or is_headless(was):
        return []
    families, old_families = sequence(spec.get("ipFamilies")), sequence(was.get("ipFamilies"))
    changed = "may not change once set"
    if len(families) == len(old_families):
        return [
            _invalid_value("spec.ipFamilies[0]", families, changed)
            for i, name in enumerate(old_families)
            if name != families[i]
        ]
    causes = []
    if len(old_families) > len(families):
        if not _ips(spec):
            causes.append(
                _invalid_value("spec.ipFamilies[0]", families, "primary ipFamily can not be unset")
            )
        if families and families[0] != old_families[0]:
            causes.append(_invalid_value("spec.ipFamilies[0]", _ips(spec), changed))
        if len(families) == 1 and spec.get("ipFamilyPolicy") != "SingleStack":
            causes.append(
                invalid(
                    "spec.ipFamilyPolicy",
                    spec.get("ipFamilyPolicy"),
                    "must be set to 'SingleStack' when releasing the secondary ipFamily",
                )
            )
    elif old_families and families[0] != old_families[0]:
        causes.append(_invalid_value("spec.ipFamilies[0]", _ips(spec), changed))
    return causes


# -- status (ValidateLoadBalancerStatus) --


def validate_load_balancer_status(obj: Object) -> list[Cause]:
    spec = _spec(obj)
    status = mapping(mapping(obj.get("status")).get("loadBalancer"))
    path = "status.loadBalancer.ingress"
    ingress = sequence(status.get("ingress"))
    if ingress and spec.get("type") != "LoadBalancer":
        return [forbidden(path, "may only be used when `spec.type` is 'LoadBalancer'")]
    causes = check_list_of(status.get("ingress"), path, "object")
    for i, entry in entries(ingress):
        at = index(path, i)
        causes += check_types(entry, at, {"ip": "string", "hostname": "string", "ipMode": "string"})
        ip, mode, hostname = text(entry.get("ip")), entry.get("ipMode"), text(entry.get("hostname"))
        if ip:
            causes += ip_causes(f"{at}.ip", ip)
        if mode is None:
            if ip:
                causes.append(required(f"{at}.ipMode", "must be specified when `ip` is set"))
        elif not ip:
            causes.append(forbidden(f"{at}.ipMode", "may not be specified when `ip` is not set"))
        elif mode not in LOAD_BALANCER_IP_MODES:
            causes.append(not_supported(f"{at}.ipMode", mode, LOAD_BALANCER_IP_MODES))
        if hostname:
            causes += each(f"{at}.hostname", names.dns1123_subdomain(hostname), hostname)
            if parse_ip(hostname) is not None:
                causes.append(
                    invalid(f"{at}.hostname", hostname, "must be a DNS name, not an IP address")
                )
    return causes


# -- strategies --


class ServiceStrategy(Strategy):
    """``pkg/registry/core/service``: a DNS-1035 name, kube's defaults, allocated values."""

    name_rule = "dns1035"
    preserves_status = True
    allow_create_on_update = True
    # kube keeps no generation for Services; nothing bumps it past the 1 it starts with
    generation_fields = ()

    def __init__(self, allocator: ServiceAllocator | None = None) -> None:
        self.allocator = allocator if allocator is not None else ServiceAllocator()
        self.family = self.allocator.cluster_ips.family

    def default(self, obj: Object) -> None:
        default_service(obj)

    def initial_status(self, obj: Object) -> dict[str, Any]:
        return {"loadBalancer": {}}

    def prepare_for_create(self, obj: Object) -> None:
        super().prepare_for_create(obj)
        spec = obj.get("spec")
        if isinstance(spec, dict):
            normalize_cluster_ips(spec, None)
            init_ip_families(spec, None, self.family)

    def prepare_for_update(self, new: Object, old: Object) -> None:
        super().prepare_for_update(new, old)
        spec, was = new.get("spec"), _spec(old)
        if isinstance(spec, dict):
            patch_allocated_values(spec, was)
            normalize_cluster_ips(spec, was)
            init_ip_families(spec, was, self.family)
            drop_type_dependent_fields(spec, was)
            if spec.get("type") != "LoadBalancer" and "status" in new:
                new["status"] = {**mapping(new["status"]), "loadBalancer": {}}

    def validate(self, obj: Object) -> list[Cause]:
        return validate_service(obj, self.family)

    def validate_update(self, new: Object, old: Object) -> list[Cause]:
        return validate_service_update(new, old) + validate_service(new, self.family)


class ServiceStatusStrategy(StatusStrategy):
    """``services/status``: the load balancer's ingress points, and nothing else."""

    def prepare_for_update(self, new: Object, old: Object) -> None:
        super().prepare_for_update(new, old)
        # SetDefaults_Service: a LoadBalancer's ingress IP is a VIP unless said otherwise.
        if _spec(new).get("type") != "LoadBalancer":
            return
        status = mapping(new.get("status"))
        for _, entry in entries(mapping(status.get("loadBalancer")).get("ingress")):
            if entry.get("ip") and entry.get("ipMode") is None:
                entry["ipMode"] = "VIP"

    def validate_status(self, new: Object, old: Object) -> list[Cause]:
        return validate_load_balancer_status(new)
