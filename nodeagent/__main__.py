"""``python -m nodeagent``: run the node agent until SIGTERM or SIGINT."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from types import FrameType

from nodeagent.config import parse_config
from nodeagent.fleet import run_fleet

# Thread stacks small enough for thousands of pod workers when one process hosts many nodes.
_THREAD_STACK_BYTES = 1024 * 1024


def main(argv: list[str]) -> None:
    config = parse_config(argv)
    logging.basicConfig(
        level=config.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    if config.nodes > 1:
        threading.stack_size(_THREAD_STACK_BYTES)
    run_fleet(config, stop)


if __name__ == "__main__":
    main(sys.argv[1:])
