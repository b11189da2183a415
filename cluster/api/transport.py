"""How the API's connections are served: httptools with TCP_NODELAY, and small TLS read buffers.

HTTP/1.1 is parsed by httptools (llhttp, uvicorn's C parser) rather than h11, uvicorn's pure
Python one: a pod create cost 0.2 ms less worker CPU, about a fifth (bench/api.py).

With several workers uvicorn hands them a listening socket whose protocol field is unset, so
asyncio never turns Nagle's algorithm off on the accepted connections (uvicorn issue #3149);
every keep-alive response then waits for the client's delayed ACK, about 40 ms. Setting
TCP_NODELAY when a connection is made restores single-digit-millisecond requests.
"""

from __future__ import annotations

import asyncio
import asyncio.sslproto
import socket
from contextlib import suppress

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

PROTOCOL = "cluster.api.transport:NoDelayHttpToolsProtocol"

# asyncio gives every TLS connection a 256 KiB read buffer, allocated up front (Python 3.11
# sslproto.SSLProtocol.max_size). A TLS record carries at most 16 KiB, so 32 KiB reads lose
# nothing, and a worker holding a thousand watch streams keeps ~220 MiB less (bench/api.py).
TLS_READ_BUFFER = 32 * 1024
asyncio.sslproto.SSLProtocol.max_size = TLS_READ_BUFFER


class NoDelayHttpToolsProtocol(HttpToolsProtocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            with suppress(OSError):  # not a TCP socket (a Unix socket in tests)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)  # type: ignore[arg-type]
