"""``manage.py createtoken <username>``: a new bearer token for a user, as a kubeconfig.

The user is created if missing (without a password: it logs in with tokens). The kubeconfig
goes to standard output, or to ``--kubeconfig PATH`` (mode 0600); it names the API at
``CLUSTER_API_BIND`` (``--server`` overrides) and carries the cluster CA, which is generated
here if the API has never started. Every run issues another token; older ones stay valid until
deleted in the Django admin (API tokens).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from cluster.api.kubeconfig import build_kubeconfig, render_kubeconfig, server_url, write_kubeconfig
from cluster.api.pki import ensure_ca
from cluster.api.tokens import issue_token
from cluster.management.commands.runapi import parse_bind


class Command(BaseCommand):
    help = "Create a user if needed, issue it a bearer token and print a kubeconfig for it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--kubeconfig",
            type=Path,
            help="write the kubeconfig to this file (mode 0600) instead of printing it",
        )
        parser.add_argument(
            "--server",
            help="API URL clients use (default: from CLUSTER_API_BIND and CLUSTER_API_INSECURE)",
        )
        parser.add_argument(
            "--name", default="createtoken", help="label of the token (default: %(default)s)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        username: str = options["username"]
        if not username or len(username) > 150:
            raise CommandError("the username must be 1 to 150 characters long")
        server: str = options["server"] or _default_server()
        ca_pem = None if server.startswith("http://") else ensure_ca(settings.CLUSTER_PKI_DIR)

        with transaction.atomic():
            user, created = get_user_model().objects.get_or_create(username=username)
            if created:
                user.set_unusable_password()
                user.save()
            token = issue_token(user, name=options["name"])
        if created:
            self.stderr.write(f"Created user {username}")

        config = build_kubeconfig(server=server, ca_pem=ca_pem, user=username, token=token)
        path: Path | None = options["kubeconfig"]
        if path is None:
            self.stdout.write(render_kubeconfig(config), ending="")
        else:
            write_kubeconfig(path, config)
            self.stdout.write(f"Wrote a kubeconfig for {username} to {path}")


def _default_server() -> str:
    host, port = parse_bind(settings.CLUSTER_API_BIND)
    return server_url(host, port, secure=not settings.CLUSTER_API_INSECURE)
