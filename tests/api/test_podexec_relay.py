"""The API server's half of an exec session: the client's messages framed to the agent, the
agent's back to the client, and the end of both at the status, which is the agent's last
message (the agent leaves the link open for this side to end)."""

from __future__ import annotations

import asyncio
import struct
from typing import Any

from cluster.api import podexec

_LENGTH = struct.Struct(">I")
STATUS = b'\x03{"metadata": {}, "status": "Success"}'


def framed(*messages: bytes) -> bytes:
    return b"".join(_LENGTH.pack(len(m)) + m for m in messages)


class LingeringAgent:
    """An agent's end of the link that gives ``answer`` once it has had ``inputs`` writes
    (a command that ends with its input), then stays open and silent."""

    def __init__(self, answer: bytes, *, inputs: int = 0) -> None:
        self.answer = answer
        self.inputs = inputs
        self.written = b""
        self.closed = False
        self._input_done = asyncio.Event()

    async def read_exactly(self, size: int) -> bytes:
        if self.inputs:
            await self._input_done.wait()
        if len(self.answer) < size:
            await asyncio.Event().wait()  # open, silent: only the relay can end it
        taken, self.answer = self.answer[:size], self.answer[size:]
        return taken

    async def write(self, data: bytes) -> None:
        self.written += data
        self.inputs -= 1
        if not self.inputs:
            self._input_done.set()

    async def close(self) -> None:
        self.closed = True


async def _relay(agent: LingeringAgent, client_messages: list[bytes]) -> list[dict[str, Any]]:
    incoming = [{"type": "websocket.receive", "bytes": m} for m in client_messages]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if incoming:
            return incoming.pop(0)
        await asyncio.Event().wait()  # a client that is still there, sending nothing more
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await asyncio.wait_for(podexec.relay(agent, receive, send), 5)  # type: ignore[arg-type]
    return sent


def test_the_session_ends_at_the_agents_status_without_waiting_for_the_agent_to_close() -> None:
    agent = LingeringAgent(framed(b"\x01hello\n", STATUS), inputs=2)
    sent = asyncio.run(_relay(agent, [b"\x00typed", b"\xff\x00"]))
    assert agent.written == framed(b"\x00typed", b"\xff\x00")
    assert sent == [
        {"type": "websocket.send", "bytes": b"\x01hello\n"},
        {"type": "websocket.send", "bytes": STATUS},
        {"type": "websocket.close", "code": 1000},
    ]
    assert agent.closed


def test_an_agent_that_goes_away_before_its_status_ends_the_session() -> None:
    agent = LingeringAgent(b"")

    async def vanished(size: int) -> bytes:
        raise asyncio.IncompleteReadError(b"", size)

    agent.read_exactly = vanished  # type: ignore[method-assign]
    sent = asyncio.run(_relay(agent, []))
    assert sent == [{"type": "websocket.close", "code": 1000}]
    assert agent.closed
