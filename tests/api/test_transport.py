"""The API's connections: Nagle off on every TCP connection, small TLS read buffers."""

from __future__ import annotations

import asyncio
import asyncio.sslproto
import socket
from typing import Any

from uvicorn.config import Config
from uvicorn.server import ServerState

from cluster.api.transport import TLS_READ_BUFFER, NoDelayHttpToolsProtocol


class _Transport(asyncio.Transport):
    def __init__(self, sock: socket.socket) -> None:
        super().__init__()
        self._sock = sock

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {
            "socket": self._sock,
            "peername": ("127.0.0.1", 1),
            "sockname": ("127.0.0.1", 2),
        }.get(name, default)

    def is_closing(self) -> bool:
        return False


async def _app(scope: Any, receive: Any, send: Any) -> None:
    return None


def test_a_new_connection_gets_tcp_nodelay() -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    client = socket.create_connection(listener.getsockname())
    accepted, _ = listener.accept()
    try:
        assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 0

        async def connect() -> None:
            config = Config(app=_app, lifespan="off")
            config.load()
            protocol = NoDelayHttpToolsProtocol(
                config=config, server_state=ServerState(), app_state={}
            )
            protocol.connection_made(_Transport(accepted))

        asyncio.run(connect())

        assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
    finally:
        for s in (client, accepted, listener):
            s.close()


def test_tls_connections_read_in_32_kib_chunks_not_256() -> None:
    assert TLS_READ_BUFFER == 32 * 1024
    assert asyncio.sslproto.SSLProtocol.max_size == TLS_READ_BUFFER
