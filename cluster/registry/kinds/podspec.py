"""The pod spec, shared by pods and by the pod templates of controllers: defaults and validation.

``default_pod_spec`` applies what kube's ``SetDefaults_PodSpec`` and the nested defaulters do
for any pod spec (a pod's or a template's); pod-only defaults (admission plugins, requests from
limits) live in ``pods.py``. ``validate_pod_spec`` is kube's ``ValidatePodSpec``; every cause
is reported under the ``path`` given, "spec" for a pod and "spec.template.spec" for a
ReplicationController.
"""

from __future__ import annotations

import re
from typing import Any

from cluster.registry import names
from cluster.registry.errors import Cause, duplicate, forbidden, invalid, not_supported, required
from cluster.registry.kinds.containers import default_container, validate_containers
from cluster.registry.kinds.formats import (
    annotation_causes,
    each,
    inclusive_range,
    ip_causes,
    label_causes,
    regex_error,
)
from cluster.registry.kinds.podresources import default_resource_list
from cluster.registry.kinds.scheduling import validate_tolerations
from cluster.registry.kinds.securitycontext import pod_security_causes
from cluster.registry.kinds.shapes import (
    check_list_of,
    check_types,
    child,
    entries,
    index,
    invalid_object,
    is_int,
    mapping,
    sequence,
    text,
    wrong_type,
)
from cluster.registry.kinds.volumes import default_volumes, validate_volumes

DEFAULT_GRACE_SECONDS = 30
DEFAULT_SCHEDULER = "default-scheduler"
RESTART_POLICIES = ["Always", "OnFailure", "Never"]
DNS_POLICIES = ["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"]
PREEMPTION_POLICIES = ["PreemptLowerPriority", "Never"]
MAX_INT32 = 2147483647
_CONTAINER_LISTS = ("containers", "initContainers", "ephemeralContainers")
_SPEC_TYPES = {
    "restartPolicy": "string",
    "dnsPolicy": "string",
    "nodeName": "string",
    "serviceAccountName": "string",
    "serviceAccount": "string",
    "schedulerName": "string",
    "hostname": "string",
    "subdomain": "string",
    "priorityClassName": "string",
    "runtimeClassName": "string",
    "hostNetwork": "boolean",
    "hostPID": "boolean",
    "hostIPC": "boolean",
    "shareProcessNamespace": "boolean",
    "enableServiceLinks": "boolean",
    "automountServiceAccountToken": "boolean",
    "terminationGracePeriodSeconds": "integer",
    "activeDeadlineSeconds": "integer",
    "priority": "integer",
    "nodeSelector": "object",
    "securityContext": "object",
    "dnsConfig": "object",
    "affinity": "object",
    "os": "object",
}
_SEARCH_LABEL = "_?[a-z0-9]([-_a-z0-9]*[a-z0-9])?"
_SEARCH = rf"{_SEARCH_LABEL}(\.{_SEARCH_LABEL})*"
_SEARCH_RE = re.compile(f"^{_SEARCH}$")


def default_pod_spec(spec: dict[str, Any]) -> None:
    """Kube's defaults for any pod spec, a pod's or a template's."""
    if not spec.get("dnsPolicy"):
        spec["dnsPolicy"] = "ClusterFirst"
    if not spec.get("restartPolicy"):
        spec["restartPolicy"] = "Always"
    if spec.get("securityContext") is None:
        spec["securityContext"] = {}
    if spec.get("terminationGracePeriodSeconds") is None:
        spec["terminationGracePeriodSeconds"] = DEFAULT_GRACE_SECONDS
    if not spec.get("schedulerName"):
        spec["schedulerName"] = DEFAULT_SCHEDULER
    # v1 keeps the deprecated serviceAccount as an alias of serviceAccountName.
    if not spec.get("serviceAccountName") and spec.get("serviceAccount"):
        spec["serviceAccountName"] = spec["serviceAccount"]
    if spec.get("serviceAccountName"):
        spec["serviceAccount"] = spec["serviceAccountName"]
    default_volumes(spec.get("volumes"))
    for field in _CONTAINER_LISTS:
        for _, container in entries(spec.get(field)):
            default_container(container)
    default_resource_list(spec.get("overhead"))


def default_pod_template(template: Any) -> None:
    """Defaults for a controller's ``spec.template`` (a PodTemplateSpec), in place."""
    if not isinstance(template, dict):
        return
    if template.get("spec") is None:
        template["spec"] = {}
    if isinstance(template["spec"], dict):
        default_pod_spec(template["spec"])


def validate_pod_template(template: Any, path: str) -> list[Cause]:
    """A PodTemplateSpec at ``path`` ("spec.template"); its labels are reported at
    ``path.labels`` and its spec at ``path.spec``, as kube reports them."""
    if template is None:
        return [required(path)]
    if not isinstance(template, dict):
        return [wrong_type(path, template, "an object")]
    meta = mapping(template.get("metadata"))
    causes: list[Cause] = []
    labels = meta.get("labels")
    if labels is not None and not isinstance(labels, dict):
        causes.append(wrong_type(child(path, "labels"), labels, "a map of strings"))
    causes += label_causes(mapping(labels), child(path, "labels"))
    causes += annotation_causes(meta.get("annotations"), child(path, "annotations"))
    spec_path = child(path, "spec")
    causes += validate_pod_spec(template.get("spec"), spec_path)
    if sequence(mapping(template.get("spec")).get("ephemeralContainers")):
        detail = "ephemeral containers not allowed in pod template"
        causes.append(forbidden(child(spec_path, "ephemeralContainers"), detail))
    return causes


def validate_pod_spec(spec: Any, path: str, *, is_pod: bool = False) -> list[Cause]:
    """Kube's ``ValidatePodSpec`` for the spec at ``path``.

    ``is_pod`` applies the rules that hold for a pod but not for a template (a host-network
    pod's host ports must equal its container ports; a template may leave them 0).
    """
    if spec is None:
        spec = {}
    if not isinstance(spec, dict):
        return [wrong_type(path, spec, "an object")]
    causes = check_types(spec, path, _SPEC_TYPES)
    grace = spec.get("terminationGracePeriodSeconds")
    if grace is None:
        causes.append(required(child(path, "terminationGracePeriodSeconds")))
    volumes, volume_causes = validate_volumes(spec.get("volumes"), child(path, "volumes"))
    causes += volume_causes
    causes += validate_containers(spec, path, volumes, grace if is_int(grace) else None)
    causes += _host_network_causes(spec, path, is_pod)
    causes += _enum(spec.get("restartPolicy"), child(path, "restartPolicy"), RESTART_POLICIES)
    causes += _enum(spec.get("dnsPolicy"), child(path, "dnsPolicy"), DNS_POLICIES)
    causes += label_causes(mapping(spec.get("nodeSelector")), child(path, "nodeSelector"))
    causes += pod_security_causes(spec, path)
    causes += _pull_secret_causes(spec.get("imagePullSecrets"), child(path, "imagePullSecrets"))
    causes += _dns_config_causes(spec, path)
    causes += _gate_causes(spec, path)
    causes += _name_causes(spec, path)
    deadline = spec.get("activeDeadlineSeconds")
    if is_int(deadline) and not 1 <= deadline <= MAX_INT32:
        field = child(path, "activeDeadlineSeconds")
        causes.append(invalid(field, deadline, inclusive_range(1, MAX_INT32)))
    causes += validate_tolerations(spec.get("tolerations"), child(path, "tolerations"))
    causes += _host_alias_causes(spec.get("hostAliases"), child(path, "hostAliases"))
    preemption = spec.get("preemptionPolicy")
    if preemption is not None:
        field = child(path, "preemptionPolicy")
        causes += _enum(preemption, field, PREEMPTION_POLICIES)
    return causes + _os_causes(spec.get("os"), child(path, "os"))


def _enum(value: Any, path: str, supported: list[str]) -> list[Cause]:
    if not value:
        return [required(path)]
    return [] if value in supported else [not_supported(path, value, supported)]


def _host_network_causes(spec: dict[str, Any], path: str, is_pod: bool) -> list[Cause]:
    if spec.get("hostNetwork") is not True:
        return []
    causes = []
    for i, container in entries(spec.get("containers")):
        for j, port in entries(container.get("ports")):
            host_port, container_port = port.get("hostPort") or 0, port.get("containerPort")
            if (is_pod or host_port) and host_port != container_port:
                field = child(
                    index(child(index(child(path, "containers"), i), "ports"), j), "hostPort"
                )
                detail = "must match `containerPort` when `hostNetwork` is true"
                causes.append(invalid(field, host_port, detail))
    return causes


def _pull_secret_causes(secrets: Any, path: str) -> list[Cause]:
    causes = check_list_of(secrets, path, "object")
    for i, secret in entries(secrets):
        if set(secret) - {"name"}:
            causes.append(invalid_object(index(path, i), secret, "only name may be set"))
    return causes


def _dns_config_causes(spec: dict[str, Any], path: str) -> list[Cause]:
    config, config_path = spec.get("dnsConfig"), child(path, "dnsConfig")
    if spec.get("dnsPolicy") == "None":
        if config is None:
            return [required(config_path, "must provide `dnsConfig` when `dnsPolicy` is None")]
        if not sequence(mapping(config).get("nameservers")):
            detail = "must provide at least one DNS nameserver when `dnsPolicy` is None"
            return [required(child(config_path, "nameservers"), detail)]
    if not isinstance(config, dict):
        return []
    causes: list[Cause] = []
    servers, servers_path = sequence(config.get("nameservers")), child(config_path, "nameservers")
    if len(servers) > 3:
        causes.append(
            invalid_object(servers_path, servers, "must not have more than 3 nameservers")
        )
    for i, server in enumerate(servers):
        causes += ip_causes(index(servers_path, i), text(server))
    searches, searches_path = sequence(config.get("searches")), child(config_path, "searches")
    if len(searches) > 32:
        detail = "must not have more than 32 search paths"
        causes.append(invalid_object(searches_path, searches, detail))
    if len(" ".join(map(text, searches))) > 2048:
        detail = "must not have more than 2048 characters (including spaces) in the search list"
        causes.append(invalid_object(searches_path, searches, detail))
    for i, search in enumerate(searches):
        causes += _search_causes(text(search), index(searches_path, i))
    for i, option in entries(config.get("options")):
        if not option.get("name"):
            causes.append(required(index(child(config_path, "options"), i), "must not be empty"))
    return causes


def _search_causes(search: str, path: str) -> list[Cause]:
    """A DNS search domain; kube allows '.' alone, a trailing dot and underscores."""
    if search == ".":
        return []
    search = search.removesuffix(".")
    problems = []
    if len(search) > names.DNS1123_SUBDOMAIN_MAX:
        problems.append(f"must be no more than {names.DNS1123_SUBDOMAIN_MAX} characters")
    if not _SEARCH_RE.match(search):
        message = (
            "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
            "'_', '-' or '.', and must start and end with an alphanumeric character"
        )
        problems.append(regex_error(message, _SEARCH, "example.com"))
    return each(path, problems, search)


def _gate_causes(spec: dict[str, Any], path: str) -> list[Cause]:
    causes: list[Cause] = []
    for i, gate in entries(spec.get("readinessGates")):
        condition = text(gate.get("conditionType"))
        field = child(index(child(path, "readinessGates"), i), "conditionType")
        causes += each(field, names.qualified_name(condition), condition)
    seen: set[str] = set()
    for i, gate in entries(spec.get("schedulingGates")):
        name, field = text(gate.get("name")), index(child(path, "schedulingGates"), i)
        causes += each(field, names.qualified_name(name), name)
        if name in seen:
            causes.append(duplicate(field, name))
        seen.add(name)
    return causes


def _name_causes(spec: dict[str, Any], path: str) -> list[Cause]:
    """Fields that name other objects or DNS names."""
    rules = (
        ("serviceAccountName", names.dns1123_subdomain),
        ("nodeName", names.dns1123_subdomain),
        ("hostname", names.dns1123_label),
        ("subdomain", names.dns1123_label),
        ("priorityClassName", names.dns1123_subdomain),
        ("runtimeClassName", names.dns1123_subdomain),
    )
    causes: list[Cause] = []
    for field, rule in rules:
        value = spec.get(field)
        # runtimeClassName is a pointer in kube: set to "" it is checked (and fails).
        if isinstance(value, str) and (value or field == "runtimeClassName"):
            causes += each(child(path, field), rule(value), value)
    return causes


def _host_alias_causes(aliases: Any, path: str) -> list[Cause]:
    causes: list[Cause] = []
    for i, alias in entries(aliases):
        alias_path = index(path, i)
        causes += ip_causes(child(alias_path, "ip"), text(alias.get("ip")))
        for j, hostname in enumerate(sequence(alias.get("hostnames"))):
            field = index(child(alias_path, "hostnames"), j)
            causes += each(field, names.dns1123_subdomain(text(hostname)), hostname)
    return causes


def _os_causes(os: Any, path: str) -> list[Cause]:
    if not isinstance(os, dict):
        return []
    name = os.get("name")
    if not name:
        return [required(child(path, "name"), "cannot be empty")]
    return [] if name in ("linux", "windows") else [not_supported(path, name, ["linux", "windows"])]
