"""The agent's HTTPS client for the API: JSON requests, watch streams, retries.

Kubelet talks to kube-apiserver with client-go; the agent does the same over the standard
library (``http.client`` with an SSL context built from the kubeconfig's CA), so it carries no
dependency on the control plane. Requests share a small pool of keep-alive connections (a
thread waits for a free one), so a node with a hundred pod workers, or a process hosting a
hundred simulated nodes, holds a bounded number of connections; a watch gets a connection of
its own for as long as it streams.

A pooled connection may be dead when it is taken: the server closes keep-alive connections
that sit idle (uvicorn after 5 s, less than the Lease period), and a restarted server has
closed them all. A request that fails on a reused connection before any answer is therefore
sent once more on a new connection, as HTTP clients do (Go's net/http, urllib3): a stale
connection says nothing about the API, and must not use up a retry. A request that finds the
API unreachable (connection errors, 429, 5xx) is retried a bounded number of times with
exponential back-off, then raises ``Unreachable``; the agent's loops are level-triggered, so
they simply try again on their next period.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import logging
import socket
import ssl
import threading
import urllib.parse
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from nodeagent.errors import ApiError, Unreachable, from_status
from nodeagent.kubeconfig import Credentials

log = logging.getLogger(__name__)

JSON = "application/json"
MERGE_PATCH = "application/merge-patch+json"
USER_AGENT = "pilothouse-nodeagent"
# Connection failures that mean "not reachable now", as opposed to a bad request.
_TRANSPORT_ERRORS = (OSError, http.client.HTTPException)
# How a request fails on a connection the server has closed, before any answer: reset, broken
# pipe or closed before a status line, or (for a reset TLS connection) an EOF inside TLS.
_DROPPED_ERRORS = (ConnectionError, ssl.SSLEOFError)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a request is retried while the API is unreachable."""

    attempts: int = 5
    initial_delay: float = 0.2
    max_delay: float = 5.0

    def delays(self) -> Iterator[float]:
        """The waits between attempts: ``attempts - 1`` of them, doubling up to the cap."""
        delay = self.initial_delay
        for _ in range(self.attempts - 1):
            yield delay
            delay = min(delay * 2, self.max_delay)


def query_path(path: str, query: Mapping[str, str | int | bool] | None) -> str:
    """``path`` with ``query`` encoded (booleans as kube spells them: true/false)."""
    if not query:
        return path
    encoded = {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in query.items()}
    return f"{path}?{urllib.parse.urlencode(encoded)}"


class ApiClient:
    """Requests to one API server with one identity (the kubeconfig's token)."""

    def __init__(
        self,
        credentials: Credentials,
        *,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        stop: threading.Event | None = None,
        max_connections: int = 8,
    ) -> None:
        parsed = urllib.parse.urlsplit(credentials.server)
        if parsed.scheme != "https" or not parsed.hostname:
            raise ValueError(f"the API server must be an https:// URL, not {credentials.server!r}")
        self.host = parsed.hostname
        self.port = parsed.port or 443
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self._token = credentials.token
        self._context = ssl.create_default_context()
        if credentials.ca_pem is not None:
            self._context = ssl.create_default_context(cadata=credentials.ca_pem.decode())
        # Set when the agent shuts down, so that back-off waits end at once.
        self._stop = stop or threading.Event()
        self._slots = threading.BoundedSemaphore(max_connections)
        self._idle: list[http.client.HTTPSConnection] = []
        self._idle_lock = threading.Lock()

    # -- plumbing --

    def _connect(self, timeout: float) -> http.client.HTTPSConnection:
        return http.client.HTTPSConnection(
            self.host, self.port, context=self._context, timeout=timeout
        )

    def _headers(self, content_type: str | None) -> dict[str, str]:
        headers = {"Accept": JSON, "User-Agent": USER_AGENT}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        if content_type:
            headers["Content-Type"] = content_type
        return headers

    def _take(self) -> tuple[http.client.HTTPSConnection, bool]:
        """A pooled connection (an idle one if there is one) and whether it has been used
        before; waits while all are in use."""
        self._slots.acquire()
        with self._idle_lock:
            conn = self._idle.pop() if self._idle else None
        return (conn, True) if conn is not None else (self._connect(self.timeout), False)

    def _give_back(self, conn: http.client.HTTPSConnection, *, reusable: bool) -> None:
        if reusable:
            with self._idle_lock:
                self._idle.append(conn)
        else:
            conn.close()
        self._slots.release()

    def _once(self, method: str, target: str, data: bytes | None, content_type: str) -> Any:
        headers = self._headers(content_type)

        def send(conn: http.client.HTTPSConnection) -> http.client.HTTPResponse:
            conn.request(method, target, body=data, headers=headers)
            return conn.getresponse()

        conn, reused = self._take()
        reusable = False
        try:
            try:
                response = send(conn)
            except _DROPPED_ERRORS as e:
                if not reused:
                    raise
                log.debug(
                    "%s %s: pooled connection was closed (%s); sending anew", method, target, e
                )
                conn.close()
                conn = self._connect(self.timeout)
                response = send(conn)
            raw = response.read()
            reusable = response.getheader("Connection", "").lower() != "close"
        except _TRANSPORT_ERRORS as e:
            raise Unreachable(0, f"{method} {target}: {e}", "ConnectionError") from e
        finally:
            self._give_back(conn, reusable=reusable)
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode(errors="replace")
        if response.status >= 400:
            raise from_status(response.status, body)
        return body

    # -- requests --

    def request(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, str | int | bool] | None = None,
        body: Any = None,
        content_type: str = JSON,
    ) -> Any:
        """One request, retried while the API is unreachable; the decoded JSON answer."""
        target = query_path(path, query)
        data = None if body is None else json.dumps(body).encode()
        delays = self.retry.delays()
        while True:
            try:
                return self._once(method, target, data, content_type if data else "")
            except Unreachable as e:
                delay = next(delays, None)
                if delay is None or self._stop.is_set():
                    raise
                log.debug("API unreachable (%s); retrying in %.1f s", e, delay)
                self._stop.wait(delay)

    def get(self, path: str, query: Mapping[str, str | int | bool] | None = None) -> Any:
        return self.request("GET", path, query=query)

    def create(self, path: str, obj: Any) -> Any:
        return self.request("POST", path, body=obj)

    def replace(self, path: str, obj: Any) -> Any:
        return self.request("PUT", path, body=obj)

    def merge_patch(self, path: str, patch: Any) -> Any:
        return self.request("PATCH", path, body=patch, content_type=MERGE_PATCH)

    def delete(self, path: str, options: Any = None) -> Any:
        return self.request("DELETE", path, body=options)

    # -- watch --

    @contextlib.contextmanager
    def watch(
        self, path: str, query: Mapping[str, str | int | bool], *, timeout_seconds: int
    ) -> Iterator[WatchStream]:
        """Open a watch on ``path``; yield its stream of events (``{"type", "object"}``).

        The server ends the stream after ``timeout_seconds``; the socket gives up a little
        later in case it does not. An ERROR event raises the matching ``ApiError`` (``Expired``
        for a compacted resourceVersion).
        """
        params = {**query, "watch": True, "timeoutSeconds": timeout_seconds}
        target = query_path(path, params)
        conn = self._connect(timeout_seconds + 10)
        try:
            try:
                conn.request("GET", target, headers=self._headers(None))
                response = conn.getresponse()
            except _TRANSPORT_ERRORS as e:
                raise Unreachable(0, f"watch {target}: {e}", "ConnectionError") from e
            if response.status >= 400:
                raise from_status(response.status, _decode(response.read()))
            yield WatchStream(conn, response)
        finally:
            conn.close()


def _decode(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode(errors="replace")


class WatchStream:
    """The events of one open watch; ``abort`` (from any thread) ends the iteration."""

    def __init__(self, conn: http.client.HTTPSConnection, response: http.client.HTTPResponse):
        self._conn = conn
        self._response = response
        self._aborted = False

    def abort(self) -> None:
        self._aborted = True
        sock = self._conn.sock
        if sock is not None:
            # Shutting the socket down wakes the thread blocked reading it.
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        while True:
            try:
                line = self._response.readline()
            except _TRANSPORT_ERRORS as e:
                if self._aborted:
                    return
                raise Unreachable(0, f"watch stream broke: {e}", "ConnectionError") from e
            if not line or self._aborted:
                return
            if not line.strip():
                continue
            event = json.loads(line)
            if event.get("type") == "ERROR":
                status = event.get("object") or {}
                raise from_status(int(status.get("code") or 500), status)
            yield event


__all__ = ["ApiClient", "ApiError", "RetryPolicy", "WatchStream", "query_path"]
