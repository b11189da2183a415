"""The entry point for every resource path: parse, route, run, and turn errors into Status.

Two ways in, one set of handlers. API clients (a bearer token, no session) come through
``serve_client``, called by ``cluster.api.restapp`` below Django's request handling; people in
a browser come through Django's URLconf to the async view ``resource``. Either way, watches
stream without holding a thread and every other verb runs its sync handler (``_run``) on a
thread: for clients one of ``SYNC_POOL``'s long-lived threads, for Django's route the
request's own thread as Django runs sync code. The handlers are sync, and the API runs several
worker processes so that one process's GIL does not cap it.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import logging
import queue
import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connections
from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse

from cluster.api import podlogs, rest, threadconn, tokens, watch
from cluster.api.authentication import bearer_token, record_user, unauthorized
from cluster.api.authorization import authorize, request_verb
from cluster.api.options import Options, decode_object, media_type, parse_options
from cluster.api.patching import PatchError
from cluster.api.status import error_response, json_response
from cluster.api.target import Target, resolve
from cluster.registry.catalog import RESOURCES, default_registry
from cluster.registry.errors import StoreError

log = logging.getLogger(__name__)


def _run(request: HttpRequest, target: Target) -> HttpResponse:
    """Everything but watch, on the sync side, with errors mapped to Status."""
    try:
        opts = _admitted_options(request, target)
        return rest.route(target, request.method or "GET")(request, target, opts)
    except Exception as exc:
        return _failure(request, exc)


def _creates_on_loop(request: HttpRequest, target: Target) -> bool:
    """Whether a request is a create whose only I/O is its write (``Registry.acreate``)."""
    return (
        request.method == "POST"
        and target.is_collection
        and target.subresource is None
        and default_registry().creates_on_loop(target.resource)
    )


async def _create_on_loop(request: HttpRequest, target: Target) -> HttpResponse:
    """``_run`` for a create that ``_creates_on_loop``, all on the event loop: it skips the
    hop to a sync thread and back, which cost more worker CPU than the write (bench/api.py).
    A dry run reads the store, so it takes the hop like every other verb."""
    try:
        opts = _admitted_options(request, target)
        if opts.dry_run:
            return await SYNC_POOL.run(_run, request, target)
        return await rest.acreate(request, target, opts)
    except Exception as exc:
        return _failure(request, exc)


def _admitted_options(request: HttpRequest, target: Target) -> Options:
    """The request's options, once the user is known to be allowed the request."""
    opts = parse_options(request.GET)
    _authorize(request, request.user.get_username(), target, opts)
    return opts


def _failure(request: HttpRequest, exc: Exception) -> HttpResponse:
    """The Status answer for what a handler raised."""
    if isinstance(exc, rest.NotAllowed):
        response = error_response(exc)
        response["Allow"] = ", ".join(exc.allowed)
        return response
    if isinstance(exc, StoreError):
        return error_response(exc)
    if isinstance(exc, PatchError):
        return json_response(exc.status(), status=exc.code)
    # A bug: still a Status, never an HTML page.
    log.error("%s %s failed", request.method, request.path, exc_info=exc)
    return error_response(InternalError(f"Internal error occurred: {exc}"))


def _authorize(
    request: HttpRequest, username: str, target: Target, opts: Options, *, watch: bool = False
) -> None:
    """Refuse (Forbidden) what ``username`` may not do (``cluster.api.authorization``)."""

    def body_name() -> str | None:
        name = (decode_object(request.body, media_type(request), opts).get("metadata") or {}).get(
            "name"
        )
        return str(name) if name else None

    verb = request_verb(request.method or "GET", target, watch=watch)
    authorize(username, target, verb, body_name)


class InternalError(StoreError):
    reason = "InternalError"
    code = 500


class TooManyRequests(StoreError):
    reason = "TooManyRequests"
    code = 429


class _InFlight:
    """kube-apiserver's --max-requests-inflight: past the limit, answer 429 at once.

    Sync handlers of a process share a few threads, so requests beyond the limit would only
    queue up behind them; refusing them lets clients back off (client-go retries a 429 after
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


_T = TypeVar("_T")

# Threads per worker process for the sync code of API clients' requests. Enough for several
# requests to wait on PostgreSQL at once (commits are fsync-bound); few, because each may hold
# one of the process's pooled database connections and they share one GIL.
SYNC_THREADS = 8


# One call for a pool thread: the loop and future to answer on, the caller's context, the work.
_Call = tuple[
    asyncio.AbstractEventLoop, asyncio.Future[Any], contextvars.Context, Callable[[], Any]
]


class _SyncPool:
    """Long-lived threads for API clients' sync code.

    Django's ASGI handler starts a thread per request and joins it at the end (see
    ``cluster.api.restapp`` for what that cost). These threads live as long as the process,
    and a request's sync work is one hop to one of them. Each thread keeps its database
    connection from one call to the next (``cluster.api.threadconn`` says how a dead or
    spoiled one is dropped), and each call runs in a copy of the caller's context, so that no
    context variable leaks from one request into the next on the same thread.

    The hop is a queue and ``call_soon_threadsafe``, not ``run_in_executor``: the executor's
    futures, chained across threads, and its thread accounting cost a create about 35 us of
    worker CPU more (bench/api.py). The threads start with the first call, so that a process
    that imports the API without serving it has none.
    """

    def __init__(self, threads: int) -> None:
        self._size = threads
        self._calls: queue.SimpleQueue[_Call] = queue.SimpleQueue()
        self._started = False
        self._lock = threading.Lock()

    async def run(self, fn: Callable[..., _T], *args: object) -> _T:
        if not self._started:
            self._start()
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[_T] = loop.create_future()
        call = functools.partial(_as_request, fn, *args)
        self._calls.put((loop, answer, contextvars.copy_context(), call))
        return await answer

    def close_connections(self, timeout: float = 10.0) -> None:
        """Have every thread give back its database connections, from outside any event
        loop: for whoever is about to drop the database (the test suite does)."""
        if not self._started:
            return
        everyone = threading.Barrier(self._size)

        def close_then_wait() -> None:
            connections.close_all()
            # A thread waits here for the others, so each of them takes one of these calls.
            everyone.wait(timeout)

        async def on_every_thread() -> None:
            await asyncio.gather(*(self.run(close_then_wait) for _ in range(self._size)))

        asyncio.run(on_every_thread())

    def _start(self) -> None:
        with self._lock:
            if self._started:
                return
            for i in range(self._size):
                name = f"api-sync_{i}"
                threading.Thread(target=self._serve, name=name, daemon=True).start()
            self._started = True

    def _serve(self) -> None:
        while True:
            loop, answer, context, call = self._calls.get()
            try:
                result = context.run(call)
            except BaseException as exc:  # handed to the awaiting request, as an executor would
                _answer(loop, _fail, answer, exc)
            else:
                _answer(loop, _resolve, answer, result)


def _answer(
    loop: asyncio.AbstractEventLoop,
    settle: Callable[[asyncio.Future[Any], Any], None],
    answer: asyncio.Future[Any],
    outcome: object,
) -> None:
    """Have ``loop`` settle ``answer``; nothing if the loop has closed meanwhile."""
    with contextlib.suppress(RuntimeError):  # "Event loop is closed": nobody is waiting
        loop.call_soon_threadsafe(settle, answer, outcome)


def _resolve(answer: asyncio.Future[Any], result: object) -> None:
    if not answer.cancelled():  # the request may have been cancelled meanwhile
        answer.set_result(result)


def _fail(answer: asyncio.Future[Any], error: BaseException) -> None:
    if not answer.cancelled():
        answer.set_exception(error)


def _as_request(fn: Callable[..., _T], *args: object) -> _T:
    threadconn.drop_if_hung_up()
    try:
        return fn(*args)
    finally:
        threadconn.drop_if_unusable()


SYNC_POOL = _SyncPool(SYNC_THREADS)


async def serve_client(
    request: HttpRequest, group: str, version: str, rest_path: str
) -> HttpResponse:
    """A request from an API client on a resource path other than a watch (restapp).

    Authentication as ``BearerTokenMiddleware`` does it on these paths: without a valid
    bearer token, 401. A token seen lately costs no database query and no thread hop.
    """
    # Straight from META: ``request.headers`` would build a map of every header for this one.
    header = request.META.get("HTTP_AUTHORIZATION")
    token = bearer_token(header) if header is not None else ""
    user = tokens.cached_user(token)
    if user is None and token:
        user = await SYNC_POOL.run(tokens.user_for_token, token)
    if user is None:
        return unauthorized()
    record_user(request, user)
    try:
        target = resolve(RESOURCES, group, version, rest_path)
    except StoreError as exc:
        return error_response(exc)
    if _creates_on_loop(request, target):
        return await _admitted(lambda: _create_on_loop(request, target))
    return await _admitted(lambda: SYNC_POOL.run(_run, request, target))


async def resource(
    request: HttpRequest, group: str, version: str, rest_path: str
) -> HttpResponseBase:
    """The Django view of resource paths (``cluster.api.urls``): what a browser reaches."""
    try:
        target = resolve(RESOURCES, group, version, rest_path)
        if request.method == "GET" and request.GET.get("watch") in ("true", "1", "True"):
            opts = parse_options(request.GET)
            user = await request.auser()
            _authorize(request, user.get_username(), target, opts, watch=True)
            return await watch.stream(request, target, opts)
        if request.method == "GET" and target.subresource == "log":
            user = await request.auser()
            chunks = await podlogs.open_log(user.get_username(), target, request.GET)
            return StreamingHttpResponse(chunks, content_type="text/plain")
    except StoreError as exc:
        return error_response(exc)
    return await _admitted(lambda: sync_to_async(_run, thread_sensitive=True)(request, target))


async def _admitted(handle: Callable[[], Awaitable[HttpResponse]]) -> HttpResponse:
    """What ``handle()`` answers if the in-flight limit admits the request; 429 otherwise."""
    if not IN_FLIGHT.admit():
        return _too_many()
    try:
        return await handle()
    finally:
        IN_FLIGHT.release()


async def core_resource(request: HttpRequest, rest_path: str) -> HttpResponseBase:
    return await resource(request, "", "v1", rest_path)


async def group_resource(
    request: HttpRequest, group: str, version: str, rest_path: str
) -> HttpResponseBase:
    return await resource(request, group, version, rest_path)
