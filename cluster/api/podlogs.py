"""``GET /api/v1/namespaces/<ns>/pods/<name>/log``: ``kubectl logs``, proxied to the pod's node.

As kube-apiserver does, the API server only decides *which* container's output is wanted and
where it lives; the node agent that runs the pod reads it from its runtime and streams it back
(``nodeagent.logserver``), and this module passes the stream on as it arrives, for as long as
the client follows it. Under ASGI that is a coroutine per stream, never a thread.

The checks and their words are kube's: the options (PodLogOptions validation, 422), the
container (``container x is not valid for pod p``, or a name required when the pod has
several, 400), and the container's state read from the pod's status as kubelet reads it from
its own (``container "x" in pod "p" is waiting to start: ContainerCreating``, 400; for
``previous``, the instance in ``lastState``). A pod not bound to a node yet has no output: an
empty 200, as kube-apiserver answers. An agent that cannot be reached is 503.

API clients reach ``log_app`` straight from ASGI (``cluster.api.routing``); a browser session
reaches ``open_log`` through Django's route (``views.resource``).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import orjson
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connections
from django.http import QueryDict

from cluster.api import kubeletclient
from cluster.api.authentication import bearer_token
from cluster.api.authorization import authorize
from cluster.api.kubeletclient import KubeletEndpoint, KubeletUnreachable
from cluster.api.status import error_status, failure_status
from cluster.api.target import Target, resolve
from cluster.api.tokens import user_for_token
from cluster.registry.catalog import RESOURCES, default_registry
from cluster.registry.errors import BadRequest, Cause, Invalid, StoreError, forbidden, invalid
from cluster.registry.vocabulary import Object

log = logging.getLogger(__name__)

# Must match the agent's (nodeagent.servingcert.FINGERPRINT_ANNOTATION); the agent is not
# importable from here, it is another program.
FINGERPRINT_ANNOTATION = "pilothouse.io/serving-cert-sha256"
_LOG_PATH = re.compile(r"/api/v1/namespaces/[^/]+/pods/[^/]+/log/?")
_TRUE = ("true", "1", "True")
_PULL_WAITS = {
    "ErrImagePull": "image can't be pulled",
    "ImagePullBackOff": "trying and failing to pull image",
}

Scope = dict[str, Any]


class ServiceUnavailable(StoreError):
    reason = "ServiceUnavailable"
    code = 503


class AgentError(StoreError):
    """An error Status the node agent answered, passed on as it is."""

    def __init__(self, status: Mapping[str, Any]) -> None:
        super().__init__(str(status.get("message") or "the node agent refused the request"))
        self.code = int(status.get("code") or 500)
        self.reason = str(status.get("reason") or "InternalError")


@dataclass(frozen=True)
class LogOptions:
    """kube's PodLogOptions, as the query gave them."""

    container: str
    follow: bool
    previous: bool
    timestamps: bool
    tail_lines: int | None
    since_seconds: int | None
    since_time: str | None
    limit_bytes: int | None


def is_log(scope: Scope) -> bool:
    """A GET of a pod's ``log`` subresource."""
    return scope.get("method") == "GET" and bool(_LOG_PATH.fullmatch(scope.get("path", "")))


def parse_log_options(query: QueryDict, pod_name: str) -> LogOptions:
    """The options of ``query``; BadRequest if one is not a number, Invalid (422) as kube's
    validation refuses them."""
    options = LogOptions(
        container=query.get("container", ""),
        follow=query.get("follow") in _TRUE,
        previous=query.get("previous") in _TRUE,
        timestamps=query.get("timestamps") in _TRUE,
        tail_lines=_integer(query, "tailLines"),
        since_seconds=_integer(query, "sinceSeconds"),
        since_time=query.get("sinceTime") or None,
        limit_bytes=_integer(query, "limitBytes"),
    )
    causes = _problems(options)
    if causes:
        raise Invalid("PodLogOptions", pod_name, causes)
    return options


def _integer(query: QueryDict, name: str) -> int | None:
    value = query.get(name)
    if value is None or value == "":
        return None
    try:
        return int(value)
    except ValueError as e:
        raise BadRequest(f'invalid value for {name}: "{value}" is not an integer') from e


def _problems(options: LogOptions) -> list[Cause]:
    causes = []
    if options.tail_lines is not None and options.tail_lines < 0:
        causes.append(
            invalid("tailLines", options.tail_lines, "must be greater than or equal to 0")
        )
    if options.limit_bytes is not None and options.limit_bytes < 1:
        causes.append(invalid("limitBytes", options.limit_bytes, "must be greater than 0"))
    if options.since_seconds is not None and options.since_time is not None:
        causes.append(
            forbidden("", "at most one of `sinceTime` or `sinceSeconds` may be specified")
        )
    elif options.since_seconds is not None and options.since_seconds < 1:
        causes.append(invalid("sinceSeconds", options.since_seconds, "must be greater than 0"))
    return causes


def choose_container(pod: Object, wanted: str) -> str:
    """The container the logs are of: ``wanted``, or the pod's only one."""
    spec = pod.get("spec") or {}
    name = pod["metadata"]["name"]
    every = [c["name"] for c in (spec.get("initContainers") or []) + (spec.get("containers") or [])]
    if wanted:
        if wanted not in every:
            raise BadRequest(f"container {wanted} is not valid for pod {name}")
        return wanted
    apps = spec.get("containers") or []
    if len(apps) == 1:
        return str(apps[0]["name"])
    choices = f", choose one of: [{' '.join(every)}]" if apps else ""
    raise BadRequest(f"a container name must be specified for pod {name}{choices}")


def container_id(pod: Object, container: str, *, previous: bool) -> str:
    """The ID (``docker://...``) of the instance whose output is wanted, chosen from the pod's
    status as kubelet chooses; BadRequest, in kubelet's words, if there is none."""
    status = pod.get("status") or {}
    pod_name = pod["metadata"]["name"]
    found = next(
        (
            s
            for s in (status.get("initContainerStatuses") or [])
            + (status.get("containerStatuses") or [])
            if s.get("name") == container
        ),
        None,
    )
    where = f'container "{container}" in pod "{pod_name}"'
    if found is None:
        raise BadRequest(f"{where} is not available")
    state, last = found.get("state") or {}, (found.get("lastState") or {}).get("terminated") or {}
    if previous:
        if not last.get("containerID"):
            raise BadRequest(
                f'previous terminated container "{container}" in pod "{pod_name}" not found'
            )
        return str(last["containerID"])
    if "running" in state:
        return str(found.get("containerID") or "")
    if "terminated" in state:
        ended = state["terminated"].get("containerID") or last.get("containerID")
        if not ended:
            raise BadRequest(f"{where} is terminated")
        return str(ended)
    if last:
        if not last.get("containerID"):
            raise BadRequest(f"{where} is terminated")
        return str(last["containerID"])
    if "waiting" in state:
        reason = str(state["waiting"].get("reason") or "")
        raise BadRequest(f"{where} is waiting to start: {_PULL_WAITS.get(reason, reason)}")
    raise BadRequest(f"{where} is waiting to start - no logs yet")


def kubelet_endpoint(node: Object) -> KubeletEndpoint:
    """Where the node's agent serves logs: its InternalIP and reported port, and the
    fingerprint its certificate must have."""
    name = node["metadata"]["name"]
    status = node.get("status") or {}
    port = int(((status.get("daemonEndpoints") or {}).get("kubeletEndpoint") or {}).get("Port", 0))
    address = next(
        (a["address"] for a in status.get("addresses") or [] if a.get("type") == "InternalIP"),
        "",
    )
    fingerprint = ((node.get("metadata") or {}).get("annotations") or {}).get(
        FINGERPRINT_ANNOTATION, ""
    )
    if not (port and address and fingerprint):
        raise ServiceUnavailable(f'the node agent of node "{name}" serves no logs')
    return KubeletEndpoint(address, port, fingerprint)


@dataclass(frozen=True)
class Location:
    """Where to ask for the logs (None: a pod on no node, which has none) and with what."""

    endpoint: KubeletEndpoint | None
    target: str
    token: str


def locate(target: Target, options: LogOptions) -> Location:
    """Read the pod and its node (sync: the database) and work out the agent's request."""
    try:
        assert target.name is not None
        registry = default_registry()
        pod = registry.get(target.resource, target.namespace, target.name)
        container = choose_container(pod, options.container)
        node_name = (pod.get("spec") or {}).get("nodeName")
        if not node_name:
            return Location(None, "", "")
        chosen = container_id(pod, container, previous=options.previous)
        nodes = RESOURCES.get("", "nodes")
        assert nodes is not None
        endpoint = kubelet_endpoint(registry.get(nodes, None, node_name))
        token = kubeletclient.client_token(settings.CLUSTER_PKI_DIR)
    finally:
        connections.close_all()
    path = "/containerLogs/" + "/".join(
        quote(part, safe="") for part in (target.namespace or "", target.name, container)
    )
    return Location(endpoint, f"{path}?{urlencode(_agent_query(options, chosen))}", token)


def _agent_query(options: LogOptions, chosen: str) -> dict[str, str]:
    query = {"containerID": chosen}
    for name, value in (
        ("follow", options.follow),
        ("timestamps", options.timestamps),
        ("tailLines", options.tail_lines),
        ("sinceSeconds", options.since_seconds),
        ("sinceTime", options.since_time),
        ("limitBytes", options.limit_bytes),
    ):
        if value is True:
            query[name] = "true"
        elif value is not None and value is not False:
            query[name] = str(value)
    return query


async def open_log(username: str, target: Target, query: QueryDict) -> AsyncIterator[bytes]:
    """The log's body, once the request is known to be good; StoreError otherwise."""
    authorize(username, target, "get", lambda: None)
    assert target.name is not None
    options = parse_log_options(query, target.name)
    location = await sync_to_async(locate, thread_sensitive=False)(target, options)
    if location.endpoint is None:
        return _nothing()
    try:
        response = await kubeletclient.get(location.endpoint, location.target, token=location.token)
    except KubeletUnreachable as e:
        url = location.endpoint.url(location.target.partition("?")[0])
        raise ServiceUnavailable(f'Get "{url}": {e}') from e
    if response.status != 200:
        raise agent_error(await response.body(), response.status)
    return response.chunks()


async def _nothing() -> AsyncIterator[bytes]:
    empty: tuple[bytes, ...] = ()
    for chunk in empty:
        yield chunk


def agent_error(body: bytes, code: int) -> StoreError:
    try:
        status = orjson.loads(body)
    except orjson.JSONDecodeError:
        status = None
    if not isinstance(status, dict):
        status = {"code": code, "message": body.decode(errors="replace")}
    return AgentError(status)


# -- ASGI, below Django (cluster.api.routing) --


def authenticate_token(token: str) -> str | None:
    """The token's username; the lookup's database connection goes back to the pool at once."""
    try:
        user = user_for_token(token)
        return None if user is None else user.get_username()
    finally:
        connections.close_all()


async def log_app(scope: Scope, receive: Any, send: Any) -> None:
    """Serve one log request from an API client."""
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
    token = bearer_token(headers.get("authorization", ""))
    username = await sync_to_async(authenticate_token, thread_sensitive=False)(token)
    if username is None:
        status = failure_status(code=401, reason="Unauthorized", message="Unauthorized")
        await answer_status(send, status)
        return
    query = QueryDict(scope.get("query_string", b"").decode("latin-1"))
    try:
        target = resolve(RESOURCES, "", "v1", scope["path"].removeprefix("/api/v1/"))
        chunks = await open_log(username, target, query)
    except StoreError as exc:
        await answer_status(send, error_status(exc))
        return
    except Exception as exc:  # a bug: still a Status, never a bare 500 from uvicorn
        log.exception("GET %s failed", scope["path"])
        message = f"Internal error occurred: {exc}"
        await answer_status(send, failure_status(code=500, reason="InternalError", message=message))
        return
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"text/plain"), (b"cache-control", b"no-cache, private")],
        }
    )
    streaming = asyncio.ensure_future(_stream(chunks, send))
    gone = asyncio.ensure_future(_disconnected(receive))
    try:
        await asyncio.wait({streaming, gone}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (streaming, gone):
            task.cancel()
        await asyncio.gather(streaming, gone, return_exceptions=True)


async def answer_status(send: Any, status: dict[str, Any], *, message_prefix: str = "") -> None:
    """Answer with ``status`` (a Kubernetes Status) as JSON, its code as the HTTP status.
    ``message_prefix`` "websocket." answers a WebSocket handshake over HTTP (ASGI's
    ``websocket.http.response`` extension)."""
    await send(
        {
            "type": f"{message_prefix}http.response.start",
            "status": int(status["code"]),
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": f"{message_prefix}http.response.body", "body": orjson.dumps(status)})


async def _stream(chunks: AsyncIterator[bytes], send: Any) -> None:
    try:
        async for chunk in chunks:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
    except (OSError, KubeletUnreachable):
        pass  # the agent went away mid-stream: the client gets what came, then the end
    finally:
        aclose = getattr(chunks, "aclose", None)
        if aclose is not None:
            await aclose()
    await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _disconnected(receive: Any) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
