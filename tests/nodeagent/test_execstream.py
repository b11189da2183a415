"""The exec channel protocol on the agent's side: framing, the client's messages, the status."""

from __future__ import annotations

import io
import json
import os
import threading
import time
from collections.abc import Iterator

import pytest

from nodeagent import execstream
from nodeagent.runtime.base import ExecRequest


class FakeSession:
    """Records what the protocol asks of a command; outputs what it was given."""

    def __init__(self, outputs: list[tuple[int, bytes]] | None = None, code: int = 0) -> None:
        self.outputs = outputs or []
        self.code = code
        self.written: list[bytes] = []
        self.stdin_closed = False
        self.sizes: list[tuple[int, int]] = []
        self.closed = False

    def output(self) -> Iterator[tuple[int, bytes]]:
        yield from self.outputs

    def write(self, data: bytes) -> None:
        self.written.append(data)

    def close_stdin(self) -> None:
        self.stdin_closed = True

    def resize(self, width: int, height: int) -> None:
        self.sizes.append((width, height))

    def exit_code(self) -> int:
        return self.code

    def close(self) -> None:
        self.closed = True


def frames(data: bytes) -> list[bytes]:
    reader = io.BytesIO(data)
    found = []
    while (message := execstream.read_frame(reader)) is not None:
        found.append(message)
    return found


def test_a_framed_message_reads_back_whole() -> None:
    data = execstream.frame(b"\x01hello") + execstream.frame(b"") + execstream.frame(b"\x02x")
    assert frames(data) == [b"\x01hello", b"", b"\x02x"]


def test_a_truncated_frame_ends_the_stream() -> None:
    assert frames(execstream.frame(b"\x01hello")[:-1]) == []


def test_an_oversized_frame_is_refused() -> None:
    with pytest.raises(ValueError, match="too large"):
        execstream.read_frame(io.BytesIO(b"\xff\xff\xff\xff"))


def test_success_is_a_bare_success_status() -> None:
    message = execstream.exit_status(["true"], 0)
    assert message[0] == execstream.ERROR
    assert json.loads(message[1:]) == {"metadata": {}, "status": "Success"}


def test_a_non_zero_exit_names_its_code_as_a_cause() -> None:
    status = json.loads(execstream.exit_status(["sh", "-c", "exit 3"], 3)[1:])
    assert status["status"] == "Failure"
    assert status["reason"] == "NonZeroExitCode"
    assert status["details"] == {"causes": [{"reason": "ExitCode", "message": "3"}]}


def test_stdin_close_and_resize_reach_the_session() -> None:
    session = FakeSession()
    execstream.apply_input(session, b"\x00abc", stdin=True)
    execstream.apply_input(session, b'\x04{"Width":80,"Height":24}', stdin=True)
    execstream.apply_input(session, b"\xff\x00", stdin=True)
    assert session.written == [b"abc"]
    assert session.sizes == [(80, 24)]
    assert session.stdin_closed


def test_stdin_is_dropped_when_not_asked_for_and_bad_resizes_are_ignored() -> None:
    session = FakeSession()
    execstream.apply_input(session, b"\x00abc", stdin=False)
    execstream.apply_input(session, b"\x04{not json", stdin=True)
    execstream.apply_input(session, b"", stdin=True)
    assert (session.written, session.sizes) == ([], [])


def test_relay_sends_the_output_then_the_status_last() -> None:
    session = FakeSession([(1, b"out\n"), (2, b"err\n")], code=3)
    writer = io.BytesIO()
    request = ExecRequest(command=["sh"], stdin=True)
    execstream.relay(session, request, io.BytesIO(execstream.frame(b"\x00in")), writer)
    sent = frames(writer.getvalue())
    assert sent[:2] == [b"\x01out\n", b"\x02err\n"]
    assert json.loads(sent[2][1:])["reason"] == "NonZeroExitCode"
    assert len(sent) == 3
    assert session.closed


@pytest.mark.parametrize("stdin", [True, False])
def test_the_links_end_closes_the_commands_input_when_it_has_one(stdin: bool) -> None:
    session = FakeSession()
    request = ExecRequest(command=["cat"], stdin=stdin)
    execstream.relay(session, request, io.BytesIO(execstream.frame(b"\x00in")), io.BytesIO())
    assert session.stdin_closed is stdin
    assert session.written == ([b"in"] if stdin else [])


def test_relay_leaves_the_link_to_the_api_server_to_end_after_the_status() -> None:
    session = FakeSession([(1, b"out\n")], code=0)
    request = ExecRequest(command=["sh"], stdin=True)
    incoming, link = os.pipe()
    writer = io.BytesIO()
    with os.fdopen(incoming, "rb") as reader:
        relaying = threading.Thread(
            target=execstream.relay, args=(session, request, reader, writer)
        )
        relaying.start()
        try:
            deadline = time.monotonic() + 5
            while not _ends_with_status(writer) and time.monotonic() < deadline:
                time.sleep(0.01)
            assert _ends_with_status(writer)
            relaying.join(0.3)
            assert relaying.is_alive(), "relay returned while the link was still open"
        finally:
            os.close(link)
            relaying.join(5)
    assert not relaying.is_alive()
    assert session.stdin_closed


def _ends_with_status(writer: io.BytesIO) -> bool:
    sent = frames(writer.getvalue())
    return bool(sent) and sent[-1][:1] == bytes([execstream.ERROR])
