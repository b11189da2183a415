"""The userspace proxy: where iptables cannot be used (no root, no nat table), NodePorts are
served by an asyncio TCP proxy on 127.0.0.1 and the node's address (also where the agent is
told to, ``--proxy-mode userspace``).

Each connection goes to a ready endpoint chosen at random when it is accepted and is copied
both ways until both sides have closed (a half-close is passed on; a reset ends both).
ClusterIPs are not served (they would need the packet rewriting this mode exists to avoid);
the log says so when this mode starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import random
import threading

from nodeagent.proxy.model import Endpoint, ServicePort

log = logging.getLogger(__name__)

_CHUNK = 65536
_CONNECT_SECONDS = 5.0


async def _pipe(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, both: list[asyncio.StreamWriter]
) -> None:
    """Copy one direction. Its end is passed on as a half-close, so the other direction
    still carries the answer to a client that shut its sending side; a reset ends ``both``."""
    try:
        while data := await reader.read(_CHUNK):
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
    except OSError:
        for each in both:
            each.close()


async def _relay(
    client: tuple[asyncio.StreamReader, asyncio.StreamWriter],
    upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter],
) -> None:
    both = [client[1], upstream[1]]
    try:
        await asyncio.gather(
            _pipe(client[0], upstream[1], both=both), _pipe(upstream[0], client[1], both=both)
        )
    finally:
        for writer in both:
            with contextlib.suppress(OSError):
                writer.close()


class UserspaceProxy:
    def __init__(self, addresses: list[str], *, reason: str) -> None:
        # The node's address may be 127.0.0.1 itself; one socket per address.
        self.addresses = list(dict.fromkeys(addresses))
        self._endpoints: dict[int, tuple[Endpoint, ...]] = {}
        self._servers: dict[int, asyncio.Server] = {}
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="userspace-proxy", daemon=True
        )
        self._thread.start()
        log.warning(
            "%s: proxying NodePorts in userspace on %s (ClusterIPs not served)",
            reason,
            ", ".join(self.addresses),
        )

    def sync(self, ports: list[ServicePort]) -> None:
        wanted = {p.node_port: p.endpoints for p in ports if p.node_port and p.protocol == "TCP"}
        asyncio.run_coroutine_threadsafe(self._apply(wanted), self._loop).result(timeout=10)

    def cleanup(self) -> None:
        asyncio.run_coroutine_threadsafe(self._apply({}), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    async def _apply(self, wanted: dict[int, tuple[Endpoint, ...]]) -> None:
        self._endpoints = {port: eps for port, eps in wanted.items() if eps}
        for port in set(self._servers) - set(self._endpoints):
            self._servers.pop(port).close()
        for port in set(self._endpoints) - set(self._servers):
            try:
                self._servers[port] = await asyncio.start_server(
                    functools.partial(self._serve, port), self.addresses, port
                )
            except OSError as e:
                log.warning("cannot listen on node port %d: %s", port, e)

    async def _serve(
        self, port: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        endpoints = self._endpoints.get(port)
        if not endpoints:
            writer.close()
            return
        target = random.choice(endpoints)
        try:
            upstream = await asyncio.wait_for(
                asyncio.open_connection(target.ip, target.port), _CONNECT_SECONDS
            )
        except (OSError, TimeoutError):
            writer.close()
            return
        await _relay((reader, writer), upstream)
