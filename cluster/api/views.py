"""The entry point for every resource path: parse, route, run, and turn errors into Status.

This view is async so that watch requests can stream without holding a thread; every other
verb runs its sync handler through ``sync_to_async`` (Django's one thread per process for
sync code, which is why the API runs several worker processes).
"""

from __future__ import annotations

import logging

from asgiref.sync import sync_to_async
from django.conf import settings
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
    except Exception as exc:  # a bug: still a Status, never an HTML page
        log.exception("%s %s failed", request.method, request.path)
        return error_response(InternalError(f"Internal error occurred: {exc}"))


class InternalError(StoreError):
    reason = "InternalError"
    code = 500


class TooManyRequests(StoreError):
    reason = "TooManyRequests"
    code = 429


class _InFlight:
    """kube-apiserver's --max-requests-inflight: past the limit, answer 429 at once.

    Sync handlers of a process share one thread, so requests beyond the limit would only
    queue up behind it; refusing them lets clients back off (client-go retries a 429 after
    its Retry-After) instead of timing out. Watches are long-running and not counted.
    """

    def __init__(self) -> None:
        self.count = 0

    def admit(self) -> bool:
        if self.count >= settings.CLUSTER_API_MAX_REQUESTS_INFLIGHT:
            return False
        self.count += 1
        return True

    def release(self) -> None:
        self.count -= 1


IN_FLIGHT = _InFlight()  # touched only from the event loop's thread: no lock needed


def _too_many() -> HttpResponse:
    response = error_response(TooManyRequests("Too many requests, please try again later."))
    response["Retry-After"] = "1"
    return response


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
    if not IN_FLIGHT.admit():
        return _too_many()
    try:
        return await sync_to_async(_run, thread_sensitive=True)(request, target)
    finally:
        IN_FLIGHT.release()


async def core_resource(request: HttpRequest, rest_path: str) -> HttpResponseBase:
    return await resource(request, "", "v1", rest_path)


async def group_resource(
    request: HttpRequest, group: str, version: str, rest_path: str
) -> HttpResponseBase:
    return await resource(request, group, version, rest_path)
