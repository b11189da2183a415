"""The API server as a client of node agents: its credential, and one streamed HTTPS GET.

kube-apiserver reaches kubelets with a client credential of its own (``--kubelet-client-*``).
Ours is a bearer token that ``runapi`` generates into ``<data dir>/pki/`` on start
(``TOKEN_FILE``); agents are given the path of that file (``--api-server-token-file``) and
accept nothing else. It is a random 32-byte token, readable by its owner only.

The agent serves TLS with a self-signed certificate whose SHA-256 fingerprint it publishes on
its Node (``nodeagent.servingcert``). The connection here does not verify the certificate
against a CA, since there is none; it pins it: the handshake's certificate must have the Node's
published fingerprint, or nothing is sent (not even the token).

The request is spoken with h11 over asyncio streams, so that a followed log (or an exec
session, on a connection switched to another protocol by ``upgrade``) costs the API a
coroutine, not a thread, however long it lasts.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import secrets
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import h11

from cluster.api.files import replace_file

TOKEN_FILE = "apiserver-kubelet-client.token"
CONNECT_TIMEOUT_SECONDS = 10.0
_READ_BYTES = 65536


class KubeletUnreachable(Exception):
    """The agent could not be reached, or was not the one its Node vouches for."""


def ensure_client_token(pki_dir: Path) -> Path:
    """The API server's token file for agents, generated if missing; its path."""
    path = pki_dir / TOKEN_FILE
    if not path.exists():
        pki_dir.mkdir(parents=True, exist_ok=True)
        replace_file(path, secrets.token_urlsafe(32).encode() + b"\n", mode=0o600)
    return path


def client_token(pki_dir: Path) -> str:
    return ensure_client_token(pki_dir).read_text().strip()


@dataclass(frozen=True)
class KubeletEndpoint:
    """Where a node's agent serves, and the fingerprint its certificate must have."""

    host: str
    port: int
    fingerprint: str

    def url(self, target: str) -> str:
        shown = f"[{self.host}]" if ":" in self.host else self.host
        return f"https://{shown}:{self.port}{target}"


@dataclass
class KubeletResponse:
    """The agent's answer: status, content type, and the body still to be read."""

    status: int
    content_type: str
    _reader: asyncio.StreamReader
    _writer: asyncio.StreamWriter
    _conn: h11.Connection

    async def chunks(self) -> AsyncIterator[bytes]:
        """The body as it arrives; the connection is closed at the end or when abandoned."""
        try:
            while True:
                event = await _next_event(self._conn, self._reader)
                if isinstance(event, h11.Data):
                    yield bytes(event.data)
                elif isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
                    return
        finally:
            await self.close()

    async def body(self) -> bytes:
        return b"".join([chunk async for chunk in self.chunks()])

    async def close(self) -> None:
        self._writer.close()
        with contextlib.suppress(OSError, ssl.SSLError):
            await self._writer.wait_closed()


async def get(endpoint: KubeletEndpoint, target: str, *, token: str) -> KubeletResponse:
    """Send ``GET target`` to the agent, with the API server's token; its response head."""
    sent = await _send(endpoint, "GET", target, token=token, headers=[("Connection", "close")])
    return _response(sent)


@dataclass
class _Sent:
    """A request sent on a fresh connection, and the first event of the agent's answer."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    conn: h11.Connection
    event: object


async def _send(
    endpoint: KubeletEndpoint,
    method: str,
    target: str,
    *,
    token: str,
    headers: list[tuple[str, str]],
) -> _Sent:
    """Connect, send a bodiless request with the API server's token, read the answer's head."""
    request = h11.Request(
        method=method,
        target=target,
        headers=[
            ("Host", f"{endpoint.host}:{endpoint.port}"),
            ("Authorization", f"Bearer {token}"),
            *headers,
        ],
    )
    reader, writer = await _connect(endpoint)
    conn = h11.Connection(h11.CLIENT)
    try:
        writer.write(conn.send(request) + (conn.send(h11.EndOfMessage()) or b""))
        event = await _next_event(conn, reader)
    except (OSError, ssl.SSLError, h11.ProtocolError) as e:
        writer.close()
        raise KubeletUnreachable(str(e)) from e
    return _Sent(reader, writer, conn, event)


def _response(sent: _Sent) -> KubeletResponse:
    """The agent's response whose head ``sent`` read."""
    event = sent.event
    if not isinstance(event, h11.Response):
        sent.writer.close()
        raise KubeletUnreachable("the node agent closed the connection without answering")
    headers = {name.decode().lower(): value.decode("latin-1") for name, value in event.headers}
    content_type = headers.get("content-type", "")
    return KubeletResponse(event.status_code, content_type, sent.reader, sent.writer, sent.conn)


@dataclass
class KubeletChannel:
    """A connection the agent switched to another protocol (``101``): raw bytes both ways."""

    _reader: asyncio.StreamReader
    _writer: asyncio.StreamWriter
    # What arrived with the 101, before the reader's own bytes.
    _pending: bytes

    async def read_exactly(self, size: int) -> bytes:
        """``size`` bytes; ``asyncio.IncompleteReadError`` if the agent closes before."""
        taken, self._pending = self._pending[:size], self._pending[size:]
        if len(taken) == size:
            return taken
        return taken + await self._reader.readexactly(size - len(taken))

    async def write(self, data: bytes) -> None:
        self._writer.write(data)
        await self._writer.drain()

    async def close(self) -> None:
        self._writer.close()
        with contextlib.suppress(OSError, ssl.SSLError):
            await self._writer.wait_closed()


async def upgrade(
    endpoint: KubeletEndpoint, target: str, *, token: str, protocol: str
) -> KubeletChannel | KubeletResponse:
    """Send ``POST target`` asking to switch to ``protocol``; the switched connection, or the
    agent's refusal (a response to read)."""
    upgrade_headers = [("Connection", "Upgrade"), ("Upgrade", protocol), ("Content-Length", "0")]
    sent = await _send(endpoint, "POST", target, token=token, headers=upgrade_headers)
    if isinstance(sent.event, h11.InformationalResponse) and sent.event.status_code == 101:
        return KubeletChannel(sent.reader, sent.writer, bytes(sent.conn.trailing_data[0]))
    return _response(sent)


async def _connect(endpoint: KubeletEndpoint) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    context = ssl.create_default_context()
    # Trust comes from the pinned fingerprint below, not from a CA (see the module docstring).
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(endpoint.host, endpoint.port, ssl=context),
            CONNECT_TIMEOUT_SECONDS,
        )
    except (OSError, ssl.SSLError, TimeoutError) as e:
        raise KubeletUnreachable(str(e) or type(e).__name__) from e
    tls = writer.get_extra_info("ssl_object")
    der = tls.getpeercert(binary_form=True) if tls is not None else None
    if not der or hashlib.sha256(der).hexdigest() != endpoint.fingerprint:
        writer.close()
        raise KubeletUnreachable(
            "the node agent's serving certificate is not the one its Node published"
        )
    return reader, writer


async def _next_event(conn: h11.Connection, reader: asyncio.StreamReader) -> object:
    """The next h11 event, reading from the network as it needs."""
    while True:
        event = conn.next_event()
        if event is not h11.NEED_DATA:
            return event
        conn.receive_data(await reader.read(_READ_BYTES))
