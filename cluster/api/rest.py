"""The REST verbs on resources: thin handlers that read the request and call the registry.

No business rules live here (ARCHITECTURE.md): each handler turns query parameters and body
into a registry call and the result into the response kube-apiserver would send, including
``Warning`` headers, 201 on create, and lists shaped as ``<Kind>List``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse

from cluster.api import tables
from cluster.api.options import Options, conform, decode_object, media_type
from cluster.api.patching import PATCH_TYPES, apply_patch
from cluster.api.status import json_response
from cluster.api.target import Target
from cluster.registry import subresources
from cluster.registry.catalog import default_registry
from cluster.registry.errors import BadRequest, MethodNotAllowed, StoreError
from cluster.registry.registry import DeleteOptions, WriteResult
from cluster.registry.resources import Resource
from cluster.registry.vocabulary import Object, Preconditions

Handler = Callable[[HttpRequest, Target, Options], HttpResponse]


def _respond(
    request: HttpRequest, target: Target, body: Object, opts: Options, status: int = 200
) -> HttpResponse:
    if tables.wants_table(request) and body.get("kind") != "Status":
        include = request.GET.get("includeObject", "Metadata")
        body = tables.to_table(target.resource, body, include_object=include)
    headers = {}
    if opts.warnings:
        headers["Warning"] = ", ".join(f'299 - "{_quoted(w)}"' for w in opts.warnings)
    return json_response(body, status=status, headers=headers)


def _quoted(text: str) -> str:
    """Escape a warning for the quoted-string of a ``Warning`` header (RFC 9110)."""
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _check_type(resource: Resource, obj: Object) -> None:
    api_version = obj.get("apiVersion")
    if api_version and api_version != resource.api_version:
        raise BadRequest(
            f"the API version in the data ({api_version}) does not match the expected API "
            f"version ({resource.api_version})"
        )
    kind = obj.get("kind")
    if kind and kind != resource.kind:
        raise BadRequest(
            f"the kind in the data ({kind}) does not match the expected kind ({resource.kind})"
        )


def _result(
    request: HttpRequest, target: Target, result: WriteResult, opts: Options
) -> HttpResponse:
    opts.warnings.extend(result.warnings)
    return _respond(request, target, result.object, opts, 201 if result.created else 200)


# -- collection verbs --


def list_objects(request: HttpRequest, target: Target, opts: Options) -> HttpResponse:
    resource = target.resource
    listed = default_registry().list(
        resource,
        target.namespace,
        label_selector=opts.label_selector,
        field_selector=opts.field_selector,
        limit=opts.limit,
        continue_token=opts.continue_token,
        resource_version=opts.resource_version,
        resource_version_match=opts.resource_version_match,  # type: ignore[arg-type]
    )
    meta: dict[str, Any] = {"resourceVersion": listed.resource_version}
    if listed.continue_token:
        meta["continue"] = listed.continue_token
    if listed.remaining_item_count is not None:
        meta["remainingItemCount"] = listed.remaining_item_count
    body = {
        "kind": resource.list_kind,
        "apiVersion": resource.api_version,
        "metadata": meta,
        "items": listed.items,
    }
    return _respond(request, target, body, opts)


def create(request: HttpRequest, target: Target, opts: Options) -> HttpResponse:
    obj = _new_object(request, target, opts)
    result = default_registry().create(target.resource, target.namespace, obj, dry_run=opts.dry_run)
    return _result(request, target, result, opts)


async def acreate(request: HttpRequest, target: Target, opts: Options) -> HttpResponse:
    """``create`` on the event loop (``views._create_on_loop``): not for dry runs."""
    obj = _new_object(request, target, opts)
    result = await default_registry().acreate(target.resource, target.namespace, obj)
    return _result(request, target, result, opts)


def _new_object(request: HttpRequest, target: Target, opts: Options) -> Object:
    """The object a create's body asks for, decoded and checked against the schema."""
    obj = decode_object(request.body, media_type(request), opts)
    _check_type(target.resource, obj)
    return conform(target.resource.kind, target.resource.api_version, obj, opts)


def delete_collection(request: HttpRequest, target: Target, opts: Options) -> HttpResponse:
    options = _delete_options(request, opts)
    removed = default_registry().delete_collection(
        target.resource,
        target.namespace,
        options,
        label_selector=opts.label_selector,
        field_selector=opts.field_selector,
    )
    body = {
        "kind": target.resource.list_kind,
        "apiVersion": target.resource.api_version,
        "metadata": {},
        "items": removed,
    }
    return _respond(request, target, body, opts)


# -- object verbs --


def get(request: HttpRequest, target: Target, opts: Options) -> HttpResponse:
    assert target.name is not None
    obj = default_registry().get(
        target.resource, target.namespace, target.name, resource_version=opts.resource_version
    )
    if target.subresource == "scale":
        obj = subresources.scale_of(obj)
    return _respond(request, target, obj, opts)


def replace(request: HttpRequest, target: Target, opts: Options) -> HttpResponse:
    assert target.name is not None
    obj = decode_object(request.body, media_type(request), opts)
    if target.subresource == "scale":
        scale = conform("Scale", "autoscaling/v1", obj, opts)
        return _write_scale(request, target, opts, lambda current: scale)
    _check_type(target.resource, obj)
    obj = conform(target.resource.kind, target.resource.api_version, obj, opts)
    name = (obj.get("metadata") or {}).get("name")
    if name != target.name:
        raise BadRequest(
            f"the name of the object ({name}) does not match the name on the URL ({target.name})"
        )
    namespace = (obj.get("metadata") or {}).get("namespace")
    if target.namespace and namespace and namespace != target.namespace:
        raise BadRequest(
            "the namespace of the provided object does not match the namespace sent on the request"
        )
    result = default_registry().update(
        target.resource,
        target.namespace,
        target.name,
        lambda old: obj,
        subresource=target.subresource,
        dry_run=opts.dry_run,
        create_if_missing=obj,
    )
    return _result(request, target, result, opts)


def patch(request: HttpRequest, target: Target, opts: Options) -> HttpResponse:
    assert target.name is not None
    content_type = media_type(request)
    if content_type not in PATCH_TYPES:
        raise UnsupportedPatch(content_type)
    body = request.body

    kind, api_version = target.resource.kind, target.resource.api_version
    if target.subresource == "scale":
        kind, api_version = "Scale", "autoscaling/v1"

    def patched(old: Object) -> Object:
        return conform(kind, api_version, apply_patch(content_type, old, body, kind=kind), opts)

    if target.subresource == "scale":
        return _write_scale(request, target, opts, patched)
    result = default_registry().update(
        target.resource,
        target.namespace,
        target.name,
        patched,
        subresource=target.subresource,
        dry_run=opts.dry_run,
    )
    return _result(request, target, result, opts)


def _write_scale(
    request: HttpRequest,
    target: Target,
    opts: Options,
    change: Callable[[Object], Object],
) -> HttpResponse:
    assert target.name is not None
    result = subresources.update_scale(
        default_registry(), target.resource, target.namespace, target.name, change, opts.dry_run
    )
    return _respond(request, target, subresources.scale_of(result.object), opts)


def delete(request: HttpRequest, target: Target, opts: Options) -> HttpResponse:
    assert target.name is not None
    options = _delete_options(request, opts)
    resource = target.resource
    result = default_registry().delete(resource, target.namespace, target.name, options)
    if result.deleted and not resource.return_deleted_object:
        meta = result.object.get("metadata") or {}
        details = {"name": target.name, "group": resource.group, "kind": resource.plural}
        body = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Success",
            "details": {**{k: v for k, v in details.items() if v}, "uid": meta.get("uid")},
        }
        return json_response(body)
    return _respond(request, target, result.object, opts)


def bind(request: HttpRequest, target: Target, opts: Options) -> HttpResponse:
    assert target.name is not None
    binding = conform("Binding", "v1", decode_object(request.body, media_type(request), opts), opts)
    subresources.bind_pod(
        default_registry(), target.namespace or "", target.name, binding, dry_run=opts.dry_run
    )
    body = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
        "code": 201,
    }
    return json_response(body, status=201)


def _delete_options(request: HttpRequest, opts: Options) -> DeleteOptions:
    """DeleteOptions from the body (kubectl sends one) merged with the query parameters."""
    grace, policy, dry_run = opts.grace_period_seconds, opts.propagation_policy, opts.dry_run
    preconditions = None
    if request.body.strip():
        body = decode_object(request.body, media_type(request), opts)
        if body.get("gracePeriodSeconds") is not None:
            grace = int(body["gracePeriodSeconds"])
        if body.get("propagationPolicy"):
            policy = str(body["propagationPolicy"])
        elif body.get("orphanDependents") is not None:
            policy = "Orphan" if body["orphanDependents"] else "Background"
        if body.get("dryRun"):
            if body["dryRun"] != ["All"]:
                raise BadRequest(f'Invalid dry run value "{body["dryRun"]}"')
            dry_run = True
        pre = body.get("preconditions") or {}
        if pre:
            preconditions = Preconditions(
                uid=pre.get("uid"), resource_version=pre.get("resourceVersion")
            )
    return DeleteOptions(
        grace_period_seconds=grace,
        propagation_policy=policy,
        preconditions=preconditions,
        dry_run=dry_run,
    )


class UnsupportedPatch(StoreError):
    reason = "UnsupportedMediaType"
    code = 415

    def __init__(self, content_type: str) -> None:
        super().__init__(
            f"the body of the request was in an unknown format - accepted media types include: "
            f"{', '.join(PATCH_TYPES)}" + (f" (got {content_type})" if content_type else "")
        )


def route(target: Target, method: str) -> Handler:
    """The handler for ``method`` on ``target``; 405 (with the allowed verbs) otherwise."""
    table = _ROUTES_COLLECTION if target.is_collection else _ROUTES_OBJECT
    if target.is_collection and "deletecollection" not in target.resource.verbs:
        table = {m: h for m, h in table.items() if m != "DELETE"}
    if target.subresource == "binding":
        table = {"POST": bind}
    elif target.subresource == "log":
        raise NotAllowed(["GET"])  # GETs of logs stream (cluster.api.podlogs), never get here
    elif target.subresource is not None:
        table = {"GET": get, "PUT": replace, "PATCH": patch}
    handler = table.get(method)
    if handler is None:
        raise NotAllowed(sorted(table))
    return handler


class NotAllowed(MethodNotAllowed):
    def __init__(self, allowed: list[str]) -> None:
        super().__init__("the server does not allow this method on the requested resource")
        self.allowed = allowed


_ROUTES_COLLECTION: dict[str, Handler] = {
    "GET": list_objects,
    "POST": create,
    "DELETE": delete_collection,
}
_ROUTES_OBJECT: dict[str, Handler] = {
    "GET": get,
    "PUT": replace,
    "PATCH": patch,
    "DELETE": delete,
}
