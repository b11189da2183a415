"""``kubectl exec`` on the agent's side: kube's channel protocol, relayed by the API server.

kubectl speaks WebSocket (subprotocol ``v5.channel.k8s.io``) to the API server, which relays
each message, unchanged, to this node over one upgraded HTTPS connection
(``POST /exec/...``, answered ``101``). On that private link a message travels as a 4-byte
big-endian length and the message: the API server and its agents need framing, not the rest
of WebSocket (masking, handshakes, pings).

Each message's first byte is its stream: 0 stdin, 1 stdout, 2 stderr, 3 the final status (a
``v1 Status`` as JSON: Success, or NonZeroExitCode with the exit code as a cause), 4 a TTY
resize (``{"Width": w, "Height": h}``), and, from v5 on, 255 to close a stream (its second
byte: which; kubectl closes stdin at its end-of-file). The command's output goes out as it
comes; the status is the last message, and the API server, not the agent, then ends the link.
"""

from __future__ import annotations

import json
import logging
import struct
import threading
from io import BufferedIOBase

from nodeagent.runtime.base import ExecRequest, ExecSession, RuntimeFailure

log = logging.getLogger(__name__)

# What the upgraded connection speaks (the ``Upgrade`` header of the request and the 101).
PROTOCOL = "pilothouse-exec"
STDIN, STDOUT, STDERR, ERROR, RESIZE, CLOSE = 0, 1, 2, 3, 4, 255
_LENGTH = struct.Struct(">I")
# A message larger than this is not one kubectl sends; the connection is dropped.
MAX_MESSAGE_BYTES = 16 * 1024 * 1024
# How long the link is kept open after the status, for the API server to end it.
LINGER_SECONDS = 10.0


def frame(message: bytes) -> bytes:
    """``message`` framed for the link to the API server."""
    return _LENGTH.pack(len(message)) + message


def read_frame(reader: BufferedIOBase) -> bytes | None:
    """The next message from ``reader``; None at the end of the stream."""
    head = reader.read(_LENGTH.size)
    if len(head) < _LENGTH.size:
        return None
    (size,) = _LENGTH.unpack(head)
    if size > MAX_MESSAGE_BYTES:
        raise ValueError(f"a message of {size} bytes is too large")
    body = reader.read(size)
    return body if len(body) == size else None


def exit_status(command: list[str], code: int) -> bytes:
    """The final status message (channel 3) for a command that exited with ``code``."""
    if code == 0:
        status: dict[str, object] = {"metadata": {}, "status": "Success"}
    else:
        status = {
            "metadata": {},
            "status": "Failure",
            "message": (
                f"command terminated with non-zero exit code: error executing command"
                f" {command}, exit code {code}"
            ),
            "reason": "NonZeroExitCode",
            "details": {"causes": [{"reason": "ExitCode", "message": str(code)}]},
        }
    return bytes([ERROR]) + json.dumps(status).encode()


def failure_status(message: str) -> bytes:
    """The final status message for an exec that broke (not the command's own failure)."""
    status = {"metadata": {}, "status": "Failure", "message": message, "reason": "InternalError"}
    return bytes([ERROR]) + json.dumps(status).encode()


def apply_input(session: ExecSession, message: bytes, *, stdin: bool) -> None:
    """Act on one message from the client: stdin data, stdin's close, or a resize."""
    if not message:
        return
    channel, data = message[0], message[1:]
    if channel == STDIN and stdin and data:
        session.write(data)
    elif channel == CLOSE and data[:1] == bytes([STDIN]):
        session.close_stdin()
    elif channel == RESIZE:
        try:
            size = json.loads(data)
            session.resize(int(size["Width"]), int(size["Height"]))
        except (ValueError, KeyError, TypeError):
            log.debug("ignoring a malformed resize message: %r", data)


def relay(
    session: ExecSession, request: ExecRequest, reader: BufferedIOBase, writer: BufferedIOBase
) -> None:
    """Run one exec session: the client's messages to the command (on a thread of their own),
    the command's output back, then its status."""
    inputs = threading.Thread(
        target=_feed, args=(session, reader, request.stdin), name="exec-input", daemon=True
    )
    inputs.start()
    try:
        for stream, data in session.output():
            writer.write(frame(bytes([stream]) + data))
        try:
            final = exit_status(request.command, session.exit_code())
        except RuntimeFailure as e:
            final = failure_status(str(e))
        writer.write(frame(final))
        writer.flush()
    finally:
        session.close()
        # The API server ends the link once it has the status. Ending it here first, with
        # the client's input still arriving unread, would reset the connection, and a reset
        # discards what the API server has not read yet: the output's end and the status.
        inputs.join(LINGER_SECONDS)


def _feed(session: ExecSession, reader: BufferedIOBase, stdin: bool) -> None:
    """Apply the client's messages until the link ends: after the status, or before it when
    the client went away. Its input has then ended as surely as with a close, and the command
    is told so (as kubelet's runtimes end an exec's input with its stream), so that one still
    reading finishes instead of waiting, with this session, for input that cannot come."""
    try:
        while (message := read_frame(reader)) is not None:
            apply_input(session, message, stdin=stdin)
    except (OSError, ValueError) as e:
        log.debug("exec input ended: %s", e)
    if stdin:
        session.close_stdin()
