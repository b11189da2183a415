"""Watch streams: ``?watch=true`` answered as a stream of JSON events by an async view.

DRF does not stream, and a sync view would hold one of the process's threads for as long as
the client watches; so this is a plain async generator over the store's watch (see
``cluster/store/hub.py``), which costs a small queue per watcher and no thread.

The parameters follow kube-apiserver: ``resourceVersion`` unset means "send the current state
as ADDED events, then changes" (as does "0"); a number means "changes after it";
``sendInitialEvents=true`` (with ``allowWatchBookmarks``) ends the initial state with a
bookmark annotated ``k8s.io/initial-events-end``; ``timeoutSeconds`` bounds the stream; a
revision that was compacted away gives one ERROR event with a 410 Status.
"""

from __future__ import annotations

import random
import time
from collections.abc import AsyncGenerator, Mapping
from typing import Any

import orjson
from asgiref.sync import sync_to_async
from django.db import connections
from django.http import HttpRequest, StreamingHttpResponse

from cluster.api import tables
from cluster.api.options import Options
from cluster.api.target import Target
from cluster.registry.catalog import default_registry
from cluster.registry.errors import BadRequest
from cluster.registry.vocabulary import FieldRequirement, FieldSelector, Watch

# kube-apiserver's --min-request-timeout: watches without timeoutSeconds last 30-60 minutes.
MIN_REQUEST_TIMEOUT = 1800


def _start_revision(opts: Options) -> tuple[int | None, bool]:
    """(revision to watch after, whether to replay the current state first)."""
    rv = opts.resource_version
    if opts.send_initial_events:
        if opts.resource_version_match not in ("", "NotOlderThan") or not opts.allow_bookmarks:
            raise BadRequest(
                "sendInitialEvents requires allowWatchBookmarks=true and resourceVersionMatch "
                "NotOlderThan"
            )
        return (None if rv in ("", "0") else _revision(rv)), True
    if rv in ("", "0"):
        return None, opts.send_initial_events is None
    return _revision(rv), False


def _revision(value: str) -> int:
    if not value.isdigit():
        raise BadRequest(f"invalid resourceVersion: {value!r}")
    return int(value)


def open_watch(target: Target, opts: Options) -> Watch:
    """Subscribe (sync: it may read the current state from the database).

    The request's database connection goes back to the pool before the stream starts: the
    stream itself only reads the watch hub's queue, and a connection held for each open watch
    would exhaust PostgreSQL's connections after a few dozen watchers.
    """
    try:
        return _subscribe(target, opts)
    finally:
        connections.close_all()


def _subscribe(target: Target, opts: Options) -> Watch:
    after, initial = _start_revision(opts)
    field_selector = opts.field_selector
    if target.name is not None:
        pinned = FieldRequirement("metadata.name", "=", target.name)
        field_selector = FieldSelector(
            (pinned, *(field_selector.requirements if field_selector else ()))
        )
    return default_registry().watch(
        target.resource,
        target.namespace,
        from_revision=after,
        label_selector=opts.label_selector,
        field_selector=field_selector,
        send_initial_events=initial,
        bookmarks=opts.allow_bookmarks,
    )


async def events(
    watch: Watch, target: Target, opts: Options, as_table: bool, include: str
) -> AsyncGenerator[bytes, None]:
    """The stream's body: one JSON line per event, each batch of queued events in one chunk."""
    timeout = opts.timeout_seconds
    if timeout is None:
        timeout = int(MIN_REQUEST_TIMEOUT * (1 + random.random()))
    deadline = time.monotonic() + timeout
    tabulate = _Tabulator(target, include) if as_table else None
    api_version = target.resource.api_version
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            wait = min(remaining, 30.0)
            if tabulate is not None:
                pieces = [tabulate(event) for event in await watch.anext_batch(timeout=wait)]
            else:
                pieces = []
                for event_type, data in await watch.anext_encoded_batch(timeout=wait):
                    pieces += _line(event_type, data, api_version)
            if not pieces:
                if watch.stopped:
                    return
                continue
            yield b"".join(pieces)
    finally:
        watch.stop()


def _line(event_type: str, data: bytes, api_version: str) -> tuple[bytes, ...]:
    """The pieces of ``orjson.dumps({"type": ..., "object": ...}) + b"\\n"`` around the
    object's JSON text as the store handed it over, which every watcher shares: joined once
    per batch, so the text is copied once per stream and never re-encoded."""
    if event_type == "BOOKMARK":
        data = orjson.dumps({**orjson.loads(data), "apiVersion": api_version})
    return b'{"type":"', event_type.encode(), b'","object":', data, b"}\n"


class _Tabulator:
    """Events as ``as=Table`` asks for them; the first object event carries the columns."""

    def __init__(self, target: Target, include: str) -> None:
        self.target = target
        self.include = include
        self.first = True

    def __call__(self, event: Mapping[str, Any]) -> bytes:
        obj: dict[str, Any] = event["object"]
        if event["type"] == "BOOKMARK":
            obj = {**obj, "apiVersion": self.target.resource.api_version}
        elif event["type"] != "ERROR":
            obj = tables.to_table(
                self.target.resource, obj, include_object=self.include, with_columns=self.first
            )
            self.first = False
        return orjson.dumps({"type": event["type"], "object": obj}) + b"\n"


async def stream(request: HttpRequest, target: Target, opts: Options) -> StreamingHttpResponse:
    watch = await sync_to_async(open_watch, thread_sensitive=True)(target, opts)
    as_table = tables.wants_table(request)
    include = request.GET.get("includeObject", "Metadata")
    response = StreamingHttpResponse(
        events(watch, target, opts, as_table, include), content_type="application/json"
    )
    response["Cache-Control"] = "no-cache, private"
    return response
