"""The agent's HTTPS endpoint for container logs: what kubelet's ``/containerLogs`` is to
kube-apiserver, which proxies ``kubectl logs`` to it.

Only the API server may call it: every request must carry the bearer token in
``--api-server-token-file`` (the API server writes it into its data dir, as
``pki/apiserver-kubelet-client.token``). The file is read on each request, so an agent started
before the API server, or a rotated token, needs no restart. TLS uses the agent's own
certificate, which the API server pins (``nodeagent.servingcert``).

``GET /containerLogs/<namespace>/<pod>/<container>?containerID=docker://<id>`` serves one
container of one pod on this node. The API server picks the container instance from the pod's
status (the current one, or ``lastState`` for ``previous``), as kubelet picks it from its own
status, and passes it; the agent checks that the instance is that pod's container here before
it reads anything. The other parameters are kube's PodLogOptions: ``follow``, ``tailLines``,
``sinceSeconds``, ``sinceTime``, ``timestamps``, ``limitBytes``. Errors are ``v1 Status``.
The response is plain text, ending when the output does (with ``follow``, when the container
stops or the API server goes away).

``POST /exec/<namespace>/<pod>/<container>?containerID=...&command=...`` (with kube's
PodExecOptions ``stdin``, ``stdout``, ``stderr``, ``tty``) runs a command in that container
for ``kubectl exec``: answered ``101``, the connection then carries the session
(``nodeagent.execstream``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hmac
import json
import logging
import socket
import ssl
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from nodeagent import execstream, labels, timefmt
from nodeagent.runtime.base import ExecRequest, LogOptions, Runtime, RuntimeFailure
from nodeagent.servingcert import ServingCert

log = logging.getLogger(__name__)

# How long a connection may sit idle (a TLS handshake, a request) before it is dropped.
IDLE_SECONDS = 30.0


class LogRequestError(Exception):
    """A request this server refuses, with the HTTP code and the Status reason to send."""

    def __init__(self, code: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message


class LogServer:
    """Serves container logs from ``runtime`` to whoever holds the token in ``token_file``."""

    def __init__(
        self,
        runtime: Runtime,
        node_name: str,
        *,
        address: str,
        port: int,
        cert: ServingCert,
        token_file: Path,
    ) -> None:
        self.cert = cert
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert.cert_file, cert.key_file)
        self.httpd = _HTTPServer((address, port), _Handler, context)
        self.httpd.logs = _Logs(runtime, node_name, token_file)

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    def serve(self) -> None:
        """Answer requests until ``shutdown``."""
        self.httpd.serve_forever(poll_interval=0.5)

    def shutdown(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class _Logs:
    """What the handler needs: the runtime, this node's name, the caller's expected token."""

    def __init__(self, runtime: Runtime, node_name: str, token_file: Path) -> None:
        self.runtime = runtime
        self.node_name = node_name
        self.token_file = token_file

    def authenticate(self, header: str) -> None:
        scheme, _, token = header.partition(" ")
        try:
            expected = self.token_file.read_text().strip()
        except OSError:
            expected = ""
        if not (expected and scheme.lower() == "bearer" and _same(token.strip(), expected)):
            raise LogRequestError(401, "Unauthorized", "Unauthorized")

    def container_id(self, namespace: str, pod: str, container: str, wanted: str) -> str:
        """The engine's ID of ``wanted`` (``docker://<id>``) if it is that container of that
        pod on this node."""
        found = self.runtime.summaries(
            {
                labels.NODE: self.node_name,
                labels.POD_NAMESPACE: namespace,
                labels.POD_NAME: pod,
                labels.CONTAINER_NAME: container,
            }
        )
        engine_id = wanted.partition("://")[2]
        if engine_id and any(summary.id == engine_id for summary in found):
            return engine_id
        raise LogRequestError(
            404, "NotFound", f'container "{container}" in pod "{pod}" is not available'
        )


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    logs: _Logs

    def __init__(
        self,
        address: tuple[str, int],
        handler: type[BaseHTTPRequestHandler],
        context: ssl.SSLContext,
    ) -> None:
        self.context = context
        super().__init__(address, handler)

    def get_request(self) -> tuple[socket.socket, Any]:
        # The handshake happens in the request's own thread (``_Handler.setup``), so a client
        # that connects and stalls never holds up the accept loop.
        conn, address = self.socket.accept()
        wrapped = self.context.wrap_socket(conn, server_side=True, do_handshake_on_connect=False)
        return wrapped, address


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer
    timeout = IDLE_SECONDS

    def handle(self) -> None:
        try:
            assert isinstance(self.connection, ssl.SSLSocket)
            self.connection.do_handshake()
            super().handle()
        except (OSError, ssl.SSLError) as e:
            log.debug("log request from %s ended: %s", self.client_address, e)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("log server: " + format, *args)

    def do_GET(self) -> None:
        logs = self.server.logs
        try:
            logs.authenticate(self.headers.get("Authorization", ""))
            url = urlsplit(self.path)
            namespace, pod, container = _route(url.path)
            query = {k: v[-1] for k, v in parse_qs(url.query).items()}
            options, limit = log_options(query)
            engine_id = logs.container_id(namespace, pod, container, query.get("containerID", ""))
            stream = logs.runtime.logs(engine_id, options)
        except LogRequestError as e:
            self._status(e.code, e.reason, e.message)
            return
        except RuntimeFailure as e:
            self._status(500, "InternalError", str(e))
            return
        try:
            self._stream(stream, limit)
        finally:
            stream.close()

    def do_POST(self) -> None:
        """``POST /exec/<namespace>/<pod>/<container>``: see ``nodeagent.execstream``."""
        logs = self.server.logs
        try:
            logs.authenticate(self.headers.get("Authorization", ""))
            url = urlsplit(self.path)
            namespace, pod, container = _route(url.path, "exec")
            query = parse_qs(url.query)
            request = exec_request(query)
            wanted = query.get("containerID", [""])[-1]
            engine_id = logs.container_id(namespace, pod, container, wanted)
            session = logs.runtime.attach_exec(engine_id, request)
        except LogRequestError as e:
            self._status(e.code, e.reason, e.message)
            return
        except RuntimeFailure as e:
            self._status(500, "InternalError", str(e))
            return
        self.send_response(101)
        self.send_header("Upgrade", execstream.PROTOCOL)
        self.send_header("Connection", "Upgrade")
        self.end_headers()
        self.close_connection = True
        # The session lasts as long as the command, however long it waits for input.
        self.connection.settimeout(None)
        try:
            execstream.relay(session, request, self.rfile, self.wfile)
        finally:
            # Ends the input thread's read too (it holds ``rfile``, which ``finish`` closes).
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)

    def _stream(self, chunks: Any, limit: int | None) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Connection", "close")
        self.end_headers()
        left = limit
        for chunk in chunks:
            if left is not None:
                chunk = chunk[:left]
                left -= len(chunk)
            self.wfile.write(chunk)
            if left == 0:
                return

    def _status(self, code: int, reason: str, message: str) -> None:
        body = json.dumps(
            {
                "kind": "Status",
                "apiVersion": "v1",
                "metadata": {},
                "status": "Failure",
                "message": message,
                "reason": reason,
                "code": code,
            }
        ).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)


def _route(path: str, root: str = "containerLogs") -> tuple[str, str, str]:
    parts = path.split("/")
    if len(parts) != 5 or parts[1] != root or not all(parts[2:]):
        raise LogRequestError(404, "NotFound", "the server could not find the requested resource")
    return unquote(parts[2]), unquote(parts[3]), unquote(parts[4])


def exec_request(query: Mapping[str, list[str]]) -> ExecRequest:
    """kube's PodExecOptions from the query (``command`` repeated, one word each)."""

    def flag(name: str) -> bool:
        return query.get(name, [""])[-1] == "true"

    command = query.get("command", [])
    if not command:
        raise LogRequestError(400, "BadRequest", "you must specify at least one command")
    return ExecRequest(
        command=command,
        stdin=flag("stdin"),
        stdout=flag("stdout"),
        stderr=flag("stderr"),
        tty=flag("tty"),
    )


def log_options(query: Mapping[str, str]) -> tuple[LogOptions, int | None]:
    """PodLogOptions from the query: the runtime's part, and ``limitBytes``."""
    since: dt.datetime | None = None
    if "sinceSeconds" in query:
        since = timefmt.now() - dt.timedelta(seconds=_number(query, "sinceSeconds"))
    elif "sinceTime" in query:
        try:
            since = timefmt.parse(query["sinceTime"])
        except ValueError as e:
            raise LogRequestError(400, "BadRequest", f"invalid sinceTime: {e}") from e
    tail = _number(query, "tailLines") if "tailLines" in query else None
    limit = _number(query, "limitBytes") if "limitBytes" in query else None
    options = LogOptions(
        follow=query.get("follow") == "true",
        tail_lines=tail,
        since=since,
        timestamps=query.get("timestamps") == "true",
    )
    return options, limit


def _number(query: Mapping[str, str], name: str) -> int:
    try:
        return int(query[name])
    except ValueError as e:
        raise LogRequestError(400, "BadRequest", f"invalid {name}: {query[name]!r}") from e
