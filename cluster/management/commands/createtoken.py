"""``manage.py createtoken <username>``: a new bearer token for a user, as a kubeconfig.

The user is created if missing (without a password: it logs in with tokens). The kubeconfig
goes to standard output, or to ``--kubeconfig PATH`` (mode 0600); it names the API at
``CLUSTER_API_BIND`` (``--server`` overrides) and carries the cluster CA, which is generated
here if the API has never started. Every run issues another token; older ones stay valid until
deleted in the Django admin (API tokens).

``createtoken --node NAME`` issues a node agent's credential instead: user
``system:node:NAME`` in group ``system:nodes``, as kubelet's identity is, which the API
confines to that node's own objects (``cluster.api.authorization``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from cluster.api.kubeconfig import build_kubeconfig, render_kubeconfig, server_url, write_kubeconfig
from cluster.api.pki import ensure_ca
from cluster.api.tokens import NODE_USER_PREFIX, ensure_node_user, issue_token
from cluster.management.commands.runapi import parse_bind

MAX_USERNAME = 150
# A Node's name is a DNS subdomain; its username must also fit Django's 150 characters.
_NODE_NAME = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")


class Command(BaseCommand):
    help = "Create a user if needed, issue it a bearer token and print a kubeconfig for it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", nargs="?")
        parser.add_argument(
            "--node",
            metavar="NAME",
            help="issue the credential of node agent NAME (user system:node:NAME) instead",
        )
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
        username: str | None = options["username"]
        node: str | None = options["node"]
        if (username is None) == (node is None):
            raise CommandError("give either a username or --node NAME")
        server: str = options["server"] or _default_server()
        ca_pem = None if server.startswith("http://") else ensure_ca(settings.CLUSTER_PKI_DIR)

        with transaction.atomic():
            if node is not None:
                _check_node_name(node)
                user, created = ensure_node_user(node)
            else:
                assert username is not None
                user, created = _ensure_user(username)
            token = issue_token(user, name=options["name"])
        if created:
            self.stderr.write(f"Created user {user.username}")

        config = build_kubeconfig(server=server, ca_pem=ca_pem, user=user.username, token=token)
        path: Path | None = options["kubeconfig"]
        if path is None:
            self.stdout.write(render_kubeconfig(config), ending="")
        else:
            write_kubeconfig(path, config)
            self.stdout.write(f"Wrote a kubeconfig for {user.username} to {path}")


def _ensure_user(username: str) -> tuple[Any, bool]:
    if not username or len(username) > MAX_USERNAME:
        raise CommandError(f"the username must be 1 to {MAX_USERNAME} characters long")
    if username.startswith(NODE_USER_PREFIX):
        raise CommandError(f"{NODE_USER_PREFIX}... users are made with --node NAME")
    user, created = get_user_model().objects.get_or_create(username=username)
    if created:
        user.set_unusable_password()
        user.save()
    return user, created


def _check_node_name(name: str) -> None:
    longest = MAX_USERNAME - len(NODE_USER_PREFIX)
    if len(name) > longest or not _NODE_NAME.fullmatch(name):
        raise CommandError(
            f"--node must be a lowercase DNS subdomain of at most {longest} characters"
        )


def _default_server() -> str:
    host, port = parse_bind(settings.CLUSTER_API_BIND)
    return server_url(host, port, secure=not settings.CLUSTER_API_INSECURE)
