"""The entry point for every resource path: parse, route, run, and turn errors into Status.

This view is async so that watch requests can stream without holding a thread; every other
verb runs its sync handler through ``sync_to_async`` (Django's one thread per process for
sync code, which is why the API runs several worker processes).
"""

from __future__ import annotations

import logging

from asgiref.sync import sync_to_async
from django.http import HttpRequest, HttpResponse, HttpResponseBase

from cluster.api import rest, watch
from cluster.api.options import parse_options
from cluster.api.patching import PatchError
from cluster.api.status import error_response, json_response
from cluster.api.target import Target, resolve
from cluster.registry.catalog import RESOURCES
from cluster.registry.errors import StoreError

log = logging.getLogger(__name__)


def _run(request: HttpRequest, target: Target) -> HttpResponse:
    """Everything but watch, on the sync side, with errors mapped to Status."""
    try:
        opts = parse_options(request.GET)
        return rest.route(target, request.method or "GET")(request, target, opts)
    except rest.NotAllowed as exc:
        response = error_response(exc)
        response["Allow"] = ", ".join(exc.allowed)
        return response
    except StoreError as exc:
        return error_response(exc)
    except PatchError as exc:
        return json_response(exc.status(), status=exc.code)


async def resource(
    request: HttpRequest, group: str, version: str, rest_path: str
) -> HttpResponseBase:
    try:
        target = resolve(RESOURCES, group, version, rest_path)
        if request.method == "GET" and request.GET.get("watch") in ("true", "1", "True"):
            opts = parse_options(request.GET)
            return await watch.stream(request, target, opts)
    except StoreError as exc:
        return error_response(exc)
    return await sync_to_async(_run, thread_sensitive=True)(request, target)


async def core_resource(request: HttpRequest, rest_path: str) -> HttpResponseBase:
    return await resource(request, "", "v1", rest_path)


async def group_resource(
    request: HttpRequest, group: str, version: str, rest_path: str
) -> HttpResponseBase:
    return await resource(request, group, version, rest_path)
