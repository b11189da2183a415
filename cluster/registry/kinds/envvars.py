"""Environment of a container (env, envFrom) and the downward-API selectors they share.

Names follow kube's relaxed rule (any printable ASCII but '='), current since the
RelaxedEnvironmentVariableValidation feature went GA. A value comes either literally or from
exactly one source: a pod field, a container resource, a ConfigMap key or a Secret key.
"""

from __future__ import annotations

from typing import Any

from cluster.registry import names
from cluster.registry.errors import Cause, invalid, not_supported, required
from cluster.registry.kinds import quantity
from cluster.registry.kinds.formats import config_map_key_problems, each
from cluster.registry.kinds.shapes import child, entries, index, mapping, text, wrong_type

ENV_FIELD_PATHS = [
    "metadata.name",
    "metadata.namespace",
    "metadata.uid",
    "spec.nodeName",
    "spec.serviceAccountName",
    "status.hostIP",
    "status.hostIPs",
    "status.podIP",
    "status.podIPs",
]
VOLUME_FIELD_PATHS = [
    "metadata.annotations",
    "metadata.labels",
    "metadata.name",
    "metadata.namespace",
    "metadata.uid",
]
# What kube's downward-API conversion knows for v1, whether or not the place allows it.
_CONVERTIBLE_FIELD_PATHS = {
    *ENV_FIELD_PATHS,
    *VOLUME_FIELD_PATHS,
    "spec.restartPolicy",
    "spec.schedulerName",
    "status.phase",
}
_RESOURCE_FIELDS = [
    "limits.cpu",
    "limits.ephemeral-storage",
    "limits.memory",
    "requests.cpu",
    "requests.ephemeral-storage",
    "requests.memory",
]
_HUGEPAGES_FIELD_PREFIXES = ("limits.hugepages-", "requests.hugepages-")
_BYTE_DIVISORS = {"1", "1k", "1M", "1G", "1T", "1P", "1E", "1Ki", "1Mi", "1Gi", "1Ti", "1Pi", "1Ei"}
_BYTE_RESOURCE_KINDS = {
    "limits.memory": "memory",
    "requests.memory": "memory",
    "limits.ephemeral-storage": "local ephemeral storage",
    "requests.ephemeral-storage": "local ephemeral storage",
}
_VALUE_SOURCES = ("fieldRef", "resourceFieldRef", "configMapKeyRef", "secretKeyRef")


def env_var_name_problems(value: str) -> list[str]:
    if all(" " <= c <= "~" and c != "=" for c in value):
        return []
    return [
        "a valid environment variable name must consist only of printable ASCII characters "
        "other than '='"
    ]


def default_env(env: Any) -> None:
    for _, var in entries(env):
        field_ref = mapping(var.get("valueFrom")).get("fieldRef")
        default_field_ref(field_ref)


def default_field_ref(field_ref: Any) -> None:
    if isinstance(field_ref, dict) and not field_ref.get("apiVersion"):
        field_ref["apiVersion"] = "v1"


def validate_env(env: Any, path: str) -> list[Cause]:
    if env is None:
        return []
    if not isinstance(env, list):
        return [wrong_type(path, env, "a list")]
    causes: list[Cause] = []
    for i, var in entries(env):
        var_path = index(path, i)
        name = var.get("name")
        if not name:
            causes.append(required(child(var_path, "name")))
        elif not isinstance(name, str):
            causes.append(wrong_type(child(var_path, "name"), name, "a string"))
        else:
            causes += each(child(var_path, "name"), env_var_name_problems(name), name)
        causes += _value_from_causes(var, child(var_path, "valueFrom"))
    return causes


def _value_from_causes(var: dict[str, Any], path: str) -> list[Cause]:
    value_from = var.get("valueFrom")
    if value_from is None:
        return []
    if not isinstance(value_from, dict):
        return [wrong_type(path, value_from, "an object")]
    sources = [s for s in _VALUE_SOURCES if value_from.get(s) is not None]
    causes: list[Cause] = []
    for source in sources:
        ref, ref_path = value_from[source], child(path, source)
        if not isinstance(ref, dict):
            causes.append(wrong_type(ref_path, ref, "an object"))
        elif source == "fieldRef":
            causes += field_ref_causes(ref, ref_path, ENV_FIELD_PATHS)
        elif source == "resourceFieldRef":
            causes += resource_field_ref_causes(ref, ref_path, in_volume=False)
        else:
            causes += _key_selector_causes(ref, ref_path)
    if not sources:
        detail = (
            "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or "
            "`secretKeyRef`"
        )
        causes.append(invalid(path, "", detail))
    elif var.get("value"):
        causes.append(invalid(path, "", "may not be specified when `value` is not empty"))
    elif len(sources) > 1:
        causes.append(invalid(path, "", "may not have more than one field specified at a time"))
    return causes


def _split_subscript(field_path: str) -> tuple[str, str] | None:
    """``metadata.labels['app']`` as ("metadata.labels", "app")."""
    if not field_path.endswith("']"):
        return None
    head, sep, subscript = field_path[:-2].partition("['")
    return (head, subscript) if sep and head else None


def field_ref_causes(ref: dict[str, Any], path: str, allowed: list[str]) -> list[Cause]:
    """A pod field selected by ``fieldPath``, one of ``allowed`` (or a label or annotation)."""
    api_version, field_path = text(ref.get("apiVersion")), text(ref.get("fieldPath"))
    if not api_version:
        return [required(child(path, "apiVersion"))]
    if not field_path:
        return [required(child(path, "fieldPath"))]
    subscripted = _split_subscript(field_path)
    problem = ""
    if api_version != "v1":
        problem = f"unsupported pod version: {api_version}"
    elif subscripted and subscripted[0] not in ("metadata.annotations", "metadata.labels"):
        problem = f"field label does not support subscript: {field_path}"
    elif not subscripted and field_path not in _CONVERTIBLE_FIELD_PATHS:
        problem = f"field label not supported: {field_path}"
    if problem:
        detail = f"error converting fieldPath: {problem}"
        return [invalid(child(path, "fieldPath"), field_path, detail)]
    if subscripted:
        head, subscript = subscripted
        subscript = subscript.lower() if head == "metadata.annotations" else subscript
        return each(path, names.qualified_name(subscript), subscript)
    if field_path not in allowed:
        return [not_supported(child(path, "fieldPath"), field_path, allowed)]
    return []


def resource_field_ref_causes(ref: dict[str, Any], path: str, *, in_volume: bool) -> list[Cause]:
    resource = text(ref.get("resource"))
    causes: list[Cause] = []
    if in_volume and not ref.get("containerName"):
        causes.append(required(child(path, "containerName")))
    elif not resource:
        causes.append(required(child(path, "resource")))
    elif resource not in _RESOURCE_FIELDS and not resource.startswith(_HUGEPAGES_FIELD_PREFIXES):
        causes.append(not_supported(child(path, "resource"), resource, _RESOURCE_FIELDS))
    return causes + _divisor_causes(resource, ref.get("divisor"), path)


def _divisor_causes(resource: str, raw: Any, path: str) -> list[Cause]:
    if raw is None:
        return []
    try:
        divisor = quantity.parse(raw)
    except quantity.QuantityError as err:
        return [invalid(child(path, "divisor"), raw, str(err))]
    if divisor.value == 0:
        return []
    if resource in ("limits.cpu", "requests.cpu"):
        if str(divisor) in ("1m", "1"):
            return []
        detail = "only divisor's values 1m and 1 are supported with the cpu resource"
        return [invalid(child(path, "divisor"), resource, detail)]
    kind = _BYTE_RESOURCE_KINDS.get(resource, "")
    if resource.startswith(_HUGEPAGES_FIELD_PREFIXES):
        kind = "hugepages"
    if not kind or str(divisor) in _BYTE_DIVISORS:
        return []
    detail = (
        "only divisor's values 1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, 1Gi, 1Ti, 1Pi, 1Ei are "
        f"supported with the {kind} resource"
    )
    return [invalid(child(path, "divisor"), resource, detail)]


def _key_selector_causes(ref: dict[str, Any], path: str) -> list[Cause]:
    name, key_name = text(ref.get("name")), text(ref.get("key"))
    causes = each(child(path, "name"), names.dns1123_subdomain(name), name)
    if not key_name:
        causes.append(required(child(path, "key")))
    else:
        causes += each(child(path, "key"), config_map_key_problems(key_name), key_name)
    return causes


def _mask_trailing_dash(name: str) -> str:
    """A name prefix may end in '-' (more characters follow), as kube's prefix check allows."""
    return name[:-1] + "a" if len(name) > 1 and name.endswith("-") else name


def validate_env_from(env_from: Any, path: str) -> list[Cause]:
    if env_from is None:
        return []
    if not isinstance(env_from, list):
        return [wrong_type(path, env_from, "a list")]
    causes: list[Cause] = []
    for i, source in entries(env_from):
        source_path = index(path, i)
        prefix = source.get("prefix")
        if isinstance(prefix, str) and prefix:
            causes += each(child(source_path, "prefix"), env_var_name_problems(prefix), prefix)
        refs = [r for r in ("configMapRef", "secretRef") if source.get(r) is not None]
        for ref in refs:
            name = text(mapping(source[ref]).get("name"))
            name_path = child(child(source_path, ref), "name")
            if not name:
                causes.append(required(name_path))
            else:
                problems = names.dns1123_subdomain(_mask_trailing_dash(name))
                causes += each(name_path, problems, name)
        if not refs:
            causes.append(invalid(path, "", "must specify one of: `configMapRef` or `secretRef`"))
        elif len(refs) > 1:
            causes.append(invalid(path, "", "may not have more than one field specified at a time"))
    return causes
