"""``manage.py runapi``: serve the Kubernetes API with uvicorn, in the foreground.

This is the one way to run the API process: ``make up``, the Dockerfile and the ``api``
service of docker-compose.yml all call it, and README.md documents it. Several worker
processes, because under ASGI Django runs every sync view of a process on one thread.
"""

from __future__ import annotations

from typing import Any

import uvicorn
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser


def parse_bind(bind: str) -> tuple[str, int]:
    """Split ``host:port`` (``[v6]:port`` for IPv6) into uvicorn's host and port."""
    host, sep, port = bind.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise CommandError(f"bind address must look like 127.0.0.1:6443, got {bind!r}")
    return host.removeprefix("[").removesuffix("]"), int(port)


class Command(BaseCommand):
    help = "Serve the Kubernetes API (uvicorn, several worker processes) in the foreground."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--bind",
            default=settings.CLUSTER_API_BIND,
            help="host:port to listen on (default: CLUSTER_API_BIND, %(default)s)",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=settings.CLUSTER_API_WORKERS,
            help="number of worker processes (default: CLUSTER_API_WORKERS, %(default)s)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        host, port = parse_bind(options["bind"])
        workers: int = options["workers"]
        if workers < 1:
            raise CommandError("--workers must be at least 1")
        shown = f"[{host}]" if ":" in host else host
        self.stdout.write(
            f"Pilothouse API listening on http://{shown}:{port} with {workers} worker processes"
            f" (health: /healthz /livez /readyz, admin: /admin/)"
        )
        self.stdout.flush()
        uvicorn.run(
            "cluster.asgi:application",
            host=host,
            port=port,
            workers=workers,
            # Django implements no ASGI lifespan events; "auto" would only log that.
            lifespan="off",
            log_level="info",
        )
