"""``/api/v1/namespaces/<ns>/pods/<name>/exec``: ``kubectl exec``, relayed to the pod's node.

kubectl (1.30 and later) opens a WebSocket with the subprotocol ``v5.channel.k8s.io`` (or
``v4``), whose binary messages each start with a stream number; it falls back to SPDY only when
the WebSocket is refused. As kube-apiserver does, the API server checks the request (the
options, the container, that it runs), then connects to the agent of the pod's node
(``kubeletclient.upgrade``, pinned and authenticated as for logs) and relays the messages both
ways without reading them; the agent runs the command and speaks the channel protocol
(``nodeagent.execstream``). Anything wrong before the relay starts is refused with a
``v1 Status`` in the handshake's HTTP answer, worded as kube words it; kubectl then tries SPDY,
which gets the same Status as a plain answer (there is no SPDY here).

API clients reach ``exec_app`` straight from ASGI (``cluster.api.routing``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import struct
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, quote, urlencode

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connections

from cluster.api import kubeletclient
from cluster.api.authentication import bearer_token
from cluster.api.authorization import authorize
from cluster.api.kubeletclient import KubeletChannel, KubeletUnreachable
from cluster.api.podlogs import (
    ServiceUnavailable,
    agent_error,
    answer_status,
    authenticate_token,
    choose_container,
    kubelet_endpoint,
)
from cluster.api.status import error_status, failure_status
from cluster.api.target import Target, resolve
from cluster.registry.catalog import RESOURCES, default_registry
from cluster.registry.errors import BadRequest, StoreError
from cluster.registry.vocabulary import Object

log = logging.getLogger(__name__)

SUBPROTOCOLS = ("v5.channel.k8s.io", "v4.channel.k8s.io")
# Must match the agent's (nodeagent.execstream): how the relayed connection is framed.
AGENT_PROTOCOL = "pilothouse-exec"
_LENGTH = struct.Struct(">I")
# The stream of the final status (kube's error stream), the last message of a session.
_STATUS_STREAM = b"\x03"
_EXEC_PATH = re.compile(r"/api/v1/namespaces/[^/]+/pods/[^/]+/exec/?")
_TRUE = ("true", "1", "True")

Scope = dict[str, Any]


class Unauthorized(StoreError):
    reason = "Unauthorized"
    code = 401


@dataclass(frozen=True)
class ExecOptions:
    """kube's PodExecOptions, as the query gave them."""

    container: str
    command: list[str]
    stdin: bool
    stdout: bool
    stderr: bool
    tty: bool


def is_exec(scope: Scope) -> bool:
    return bool(_EXEC_PATH.fullmatch(scope.get("path", "")))


def parse_exec_options(query: dict[str, list[str]]) -> ExecOptions:
    def flag(name: str) -> bool:
        return query.get(name, [""])[-1] in _TRUE

    options = ExecOptions(
        container=query.get("container", [""])[-1],
        command=query.get("command", []),
        stdin=flag("stdin"),
        stdout=flag("stdout"),
        stderr=flag("stderr"),
        tty=flag("tty"),
    )
    if not options.command:
        raise BadRequest("you must specify at least one command for the container")
    if not (options.stdin or options.stdout or options.stderr):
        raise BadRequest("you must specify at least 1 of stdin, stdout, stderr")
    return options


def running_container_id(pod: Object, container: str) -> str:
    """The running instance of ``container`` (``docker://...``); BadRequest if none runs."""
    status = pod.get("status") or {}
    every = (status.get("initContainerStatuses") or []) + (status.get("containerStatuses") or [])
    found: dict[str, Any] = next((s for s in every if s.get("name") == container), {})
    if "running" not in (found.get("state") or {}) or not found.get("containerID"):
        raise BadRequest(f"container {container} is not running")
    return str(found["containerID"])


@dataclass(frozen=True)
class Plan:
    """Where the session goes and with what credential."""

    endpoint: kubeletclient.KubeletEndpoint
    target: str
    token: str


def plan_exec(target: Target, options: ExecOptions) -> Plan:
    """Read the pod and its node (sync: the database) and work out the agent's request."""
    assert target.name is not None
    try:
        registry = default_registry()
        pod = registry.get(target.resource, target.namespace, target.name)
        container = choose_container(pod, options.container)
        node_name = (pod.get("spec") or {}).get("nodeName")
        if not node_name:
            raise BadRequest(f"pod {target.name} does not have a host assigned")
        chosen = running_container_id(pod, container)
        nodes = RESOURCES.get("", "nodes")
        assert nodes is not None
        endpoint = kubelet_endpoint(registry.get(nodes, None, node_name))
        token = kubeletclient.client_token(settings.CLUSTER_PKI_DIR)
    finally:
        connections.close_all()
    path = "/exec/" + "/".join(
        quote(part, safe="") for part in (target.namespace or "", target.name, container)
    )
    query = [("containerID", chosen)] + [("command", word) for word in options.command]
    for name in ("stdin", "stdout", "stderr", "tty"):
        query.append((name, "true" if getattr(options, name) else "false"))
    return Plan(endpoint, f"{path}?{urlencode(query)}", token)


async def open_session(scope: Scope) -> KubeletChannel:
    """Check the request and connect to the agent; StoreError if it cannot go ahead."""
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
    token = bearer_token(headers.get("authorization", ""))
    username = await sync_to_async(authenticate_token, thread_sensitive=False)(token)
    if username is None:
        raise Unauthorized("Unauthorized")
    target = resolve(RESOURCES, "", "v1", scope["path"].removeprefix("/api/v1/").rstrip("/"))
    await sync_to_async(authorize, thread_sensitive=False)(username, target, "create", lambda: None)
    options = parse_exec_options(parse_qs(scope.get("query_string", b"").decode("latin-1")))
    plan = await sync_to_async(plan_exec, thread_sensitive=False)(target, options)
    try:
        answer = await kubeletclient.upgrade(
            plan.endpoint, plan.target, token=plan.token, protocol=AGENT_PROTOCOL
        )
    except KubeletUnreachable as e:
        url = plan.endpoint.url(plan.target.partition("?")[0])
        raise ServiceUnavailable(f'Post "{url}": {e}') from e
    if isinstance(answer, KubeletChannel):
        return answer
    raise agent_error(await answer.body(), answer.status)


# -- ASGI, below Django (cluster.api.routing) --


async def exec_app(scope: Scope, receive: Any, send: Any) -> None:
    """Serve one exec request: a WebSocket relayed to the agent, or a refusal."""
    if scope["type"] == "websocket":
        await _websocket(scope, receive, send)
        return
    try:
        channel = await open_session(scope)
    except StoreError as exc:
        await answer_status(send, error_status(exc))
        return
    # Checked and reachable, but not asked for as a WebSocket: nothing to relay it over.
    await channel.close()
    await answer_status(send, error_status(BadRequest("Upgrade request required")))


async def _websocket(scope: Scope, receive: Any, send: Any) -> None:
    if (await receive())["type"] != "websocket.connect":
        return
    offered = scope.get("subprotocols") or []
    subprotocol = next((p for p in offered if p in SUBPROTOCOLS), None)
    try:
        if subprotocol is None:
            raise BadRequest(f"none of the subprotocols {offered} is supported")
        channel = await open_session(scope)
    except StoreError as exc:
        await _refuse(scope, send, error_status(exc))
        return
    except Exception as exc:  # a bug: still a Status, never a bare failure from uvicorn
        log.exception("exec %s failed", scope["path"])
        message = f"Internal error occurred: {exc}"
        status = failure_status(code=500, reason="InternalError", message=message)
        await _refuse(scope, send, status)
        return
    await send({"type": "websocket.accept", "subprotocol": subprotocol})
    await relay(channel, receive, send)


async def relay(channel: KubeletChannel, receive: Any, send: Any) -> None:
    """Messages both ways until either side ends; then close both."""
    upstream = asyncio.ensure_future(_to_agent(channel, receive))
    downstream = asyncio.ensure_future(_to_client(channel, send))
    try:
        await asyncio.wait({upstream, downstream}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (upstream, downstream):
            task.cancel()
        await asyncio.gather(upstream, downstream, return_exceptions=True)
        await channel.close()


async def _to_agent(channel: KubeletChannel, receive: Any) -> None:
    while True:
        message = await receive()
        if message["type"] == "websocket.disconnect":
            return
        data = message.get("bytes") or (message.get("text") or "").encode()
        if data:
            await channel.write(_LENGTH.pack(len(data)) + data)


async def _to_client(channel: KubeletChannel, send: Any) -> None:
    """The agent's messages to the client, up to the status (the last one)."""
    try:
        while True:
            (size,) = _LENGTH.unpack(await channel.read_exactly(_LENGTH.size))
            message = await channel.read_exactly(size)
            await send({"type": "websocket.send", "bytes": message})
            # The agent waits for this side to end the link: had it ended it, the client's
            # input still in flight would have reset the connection under the status.
            if message[:1] == _STATUS_STREAM:
                break
    except (asyncio.IncompleteReadError, OSError):
        pass  # the agent went away
    with contextlib.suppress(OSError):
        await send({"type": "websocket.close", "code": 1000})


async def _refuse(scope: Scope, send: Any, status: dict[str, Any]) -> None:
    """Decline the handshake with ``status`` as its HTTP answer, where the server can."""
    if "websocket.http.response" not in (scope.get("extensions") or {}):
        await send({"type": "websocket.close", "code": 1008})
        return
    await answer_status(send, status, message_prefix="websocket.")
