"""Discovery: ``/version``, ``/api``, ``/apis`` and each group version's resource list.

kubectl reads these to map ``po`` to ``pods``, to know which verbs a resource has, to expand
``kubectl get all`` (the ``all`` category) and to find the Scale subresource. We answer the
legacy (non-aggregated) documents; clients that prefer aggregated discovery fall back to them
when the response is plain ``application/json``.
"""

from __future__ import annotations

import platform
from typing import Any

from django.http import HttpRequest, HttpResponse

from cluster.api.status import failure_response, json_response
from cluster.api.target import EXTRA_SUBRESOURCES
from cluster.registry.catalog import RESOURCES
from cluster.registry.resources import Resource, ResourceTable

KUBERNETES_VERSION = (1, 37, 0)

# What the dedicated subresources look like in discovery (kind and verbs differ from the parent).
_SUBRESOURCE_SHAPES: dict[str, dict[str, Any]] = {
    "status": {"verbs": ["get", "patch", "update"]},
    "finalize": {"verbs": ["update"]},
    "binding": {"kind": "Binding", "verbs": ["create"]},
    "exec": {"kind": "PodExecOptions", "verbs": ["create", "get"]},
    "scale": {
        "kind": "Scale",
        "group": "autoscaling",
        "version": "v1",
        "verbs": ["get", "patch", "update"],
    },
}


def version(request: HttpRequest) -> HttpResponse:
    major, minor, patch = KUBERNETES_VERSION
    return json_response(
        {
            "major": str(major),
            "minor": str(minor),
            "emulationMajor": str(major),
            "emulationMinor": str(minor),
            "gitVersion": f"v{major}.{minor}.{patch}-pilothouse",
            "gitCommit": "",
            "gitTreeState": "clean",
            "buildDate": "2026-01-01T00:00:00Z",
            "goVersion": f"python{platform.python_version()}",
            "compiler": platform.python_implementation().lower(),
            "platform": f"linux/{_arch()}",
        }
    )


def _arch() -> str:
    machine = platform.machine().lower()
    return {"x86_64": "amd64", "aarch64": "arm64"}.get(machine, machine)


def api_versions(request: HttpRequest) -> HttpResponse:
    return json_response(
        {
            "kind": "APIVersions",
            "versions": ["v1"],
            "serverAddressByClientCIDRs": [
                {"clientCIDR": "0.0.0.0/0", "serverAddress": request.get_host()}
            ],
        }
    )


def _group_document(group: str, versions: list[str]) -> dict[str, Any]:
    listed = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
    return {"name": group, "versions": listed, "preferredVersion": listed[0]}


def api_groups(request: HttpRequest) -> HttpResponse:
    groups = [_group_document(g, v) for g, v in RESOURCES.groups().items() if g]
    return json_response({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})


def api_group(request: HttpRequest, group: str) -> HttpResponse:
    versions = RESOURCES.groups().get(group)
    if not versions or not group:
        return _not_found()
    return json_response(
        {"kind": "APIGroup", "apiVersion": "v1", **_group_document(group, versions)}
    )


def _not_found() -> HttpResponse:
    return failure_response(
        code=404, reason="NotFound", message="the server could not find the requested resource"
    )


def resource_entries(resource: Resource) -> list[dict[str, Any]]:
    """The APIResource entries of one resource and its subresources."""
    entry: dict[str, Any] = {
        "name": resource.plural,
        "singularName": resource.singular,
        "namespaced": resource.namespaced,
        "kind": resource.kind,
        "verbs": list(resource.verbs),
    }
    if resource.short_names:
        entry["shortNames"] = list(resource.short_names)
    if resource.categories:
        entry["categories"] = list(resource.categories)
    entries = [entry]
    for sub in (*resource.subresources, *EXTRA_SUBRESOURCES.get(resource.kind, ())):
        shape = _SUBRESOURCE_SHAPES.get(sub, {"verbs": ["get"]})
        entries.append(
            {
                "name": f"{resource.plural}/{sub}",
                "singularName": "",
                "namespaced": resource.namespaced,
                "kind": shape.get("kind", resource.kind),
                **{k: v for k, v in shape.items() if k in ("group", "version")},
                "verbs": shape["verbs"],
            }
        )
    return entries


def resource_list(table: ResourceTable, group: str, version: str) -> dict[str, Any] | None:
    resources = table.in_group_version(group, version)
    if not resources:
        return None
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": f"{group}/{version}" if group else version,
        "resources": [e for r in resources for e in resource_entries(r)],
    }


def core_resources(request: HttpRequest) -> HttpResponse:
    body = resource_list(RESOURCES, "", "v1")
    return json_response(body) if body else _not_found()


def group_resources(request: HttpRequest, group: str, version: str) -> HttpResponse:
    body = resource_list(RESOURCES, group, version)
    return json_response(body) if body else _not_found()
