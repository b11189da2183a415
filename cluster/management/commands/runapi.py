"""``manage.py runapi``: serve the Kubernetes API with uvicorn, in the foreground.

This is the one way to run the API process: ``make up``, the Dockerfile and the ``api``
service of docker-compose.yml all call it, and README.md documents it. Several worker
processes, because under ASGI Django runs every sync view of a process on one thread.

Before serving it makes what clients need, as k3s does on start: the system namespaces
(``default``, ``kube-system``, ...), the cluster CA and a serving
certificate (``cluster.api.pki``), an admin kubeconfig with a bearer token
(``cluster.api.kubeconfig``), and the token node agents accept from the API server
(``pki/apiserver-kubelet-client.token``, ``cluster.api.kubeletclient``). The admin token lives
in the database, so the database must be migrated first; ``runapi`` never migrates by itself,
so that API replicas never race to.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import uvicorn
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.migrations.executor import MigrationExecutor

from cluster.api import transport
from cluster.api.kubeconfig import ensure_admin_kubeconfig, server_url
from cluster.api.kubeletclient import ensure_client_token
from cluster.api.pki import PkiError, ServingPki, ensure_pki, serving_names
from cluster.registry.bootstrap import ensure_system_namespaces
from cluster.registry.catalog import default_registry


def parse_bind(bind: str) -> tuple[str, int]:
    """Split ``host:port`` (``[v6]:port`` for IPv6) into uvicorn's host and port."""
    host, sep, port = bind.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise CommandError(f"bind address must look like 127.0.0.1:6443, got {bind!r}")
    return host.removeprefix("[").removesuffix("]"), int(port)


def require_migrated_database() -> None:
    """Stop with a clear message unless every migration has been applied."""
    try:
        executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError as e:
        raise CommandError(f"cannot read the database's migration state: {e}") from e
    if pending:
        raise CommandError(
            f"the database has {len(pending)} unapplied migration(s);"
            " run `python manage.py migrate` first"
        )


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
        parser.add_argument(
            "--insecure",
            action="store_true",
            default=settings.CLUSTER_API_INSECURE,
            help="serve plain HTTP, for debugging only (default: CLUSTER_API_INSECURE=1)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        host, port = parse_bind(options["bind"])
        workers: int = options["workers"]
        if workers < 1:
            raise CommandError("--workers must be at least 1")
        secure = not options["insecure"]
        require_migrated_database()
        ensure_system_namespaces(default_registry())
        tls = self._serving_pki(host) if secure else None
        ensure_client_token(settings.CLUSTER_PKI_DIR)
        kubeconfig: Path = settings.CLUSTER_KUBECONFIG
        ensure_admin_kubeconfig(
            kubeconfig,
            server=server_url(host, port, secure=secure),
            ca_pem=tls.ca_pem if tls else None,
        )
        # This process only supervises the workers from here on; it needs no connection.
        connections.close_all()

        self._announce(host, port, workers=workers, secure=secure, kubeconfig=kubeconfig)
        uvicorn.run(
            "cluster.asgi:application",
            host=host,
            port=port,
            workers=workers,
            ssl_certfile=str(tls.files.serving_cert) if tls else None,
            ssl_keyfile=str(tls.files.serving_key) if tls else None,
            # Django implements no ASGI lifespan events; "auto" would only log that.
            lifespan="off",
            http=transport.PROTOCOL,
            # kubectl exec's WebSocket (cluster.api.podexec).
            ws="wsproto",
            log_level="info",
            # No line per request: writing it cost a pod create 3% of its worker CPU
            # (bench/api.py), and kube-apiserver does not log every request either.
            access_log=False,
        )

    def _serving_pki(self, host: str) -> ServingPki:
        names = serving_names(bind_host=host, extra=settings.CLUSTER_API_SANS)
        try:
            return ensure_pki(settings.CLUSTER_PKI_DIR, names)
        except PkiError as e:
            raise CommandError(str(e)) from e

    def _announce(
        self, host: str, port: int, *, workers: int, secure: bool, kubeconfig: Path
    ) -> None:
        scheme = "https" if secure else "http"
        shown = f"[{host}]" if ":" in host else host
        self.stdout.write(
            f"Pilothouse API listening on {scheme}://{shown}:{port} with {workers} worker"
            " processes (health: /healthz /livez /readyz, admin: /admin/)"
        )
        if not secure:
            self.stdout.write(
                self.style.WARNING("Serving plain HTTP: bearer tokens cross the network in clear")
            )
        shown_path = _shorter_path(kubeconfig)
        self.stdout.write(f"Admin kubeconfig: {shown_path}")
        self.stdout.write(f"  KUBECONFIG={shown_path} kubectl get --raw /readyz")
        self.stdout.flush()


def _shorter_path(path: Path) -> str:
    """``path`` relative to the working directory when it lies below it, else absolute."""
    relative = os.path.relpath(path)
    return str(path) if relative.startswith("..") else relative
