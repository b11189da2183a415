"""Kubeconfig files: where kubectl and the kubernetes client find the API, trust it and log in.

``runapi`` keeps ``<data dir>/kubeconfig`` (mode 0600) usable for the cluster administrator, so
that ``KUBECONFIG=.cluster/kubeconfig kubectl ...`` works after the first start, as k3s's
``k3s.yaml`` does. A restart keeps the file, and the edits ``kubectl config`` made to it, while
its token still authenticates as the admin and its server address and CA are the current ones;
otherwise the file is rewritten, with a new token only if the old one no longer works.
``manage.py createtoken`` writes the same kind of file for any user.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import yaml

from cluster.api.files import replace_file
from cluster.api.tokens import ADMIN_USERNAME, ensure_admin_user, issue_token, user_for_token

CLUSTER_NAME = "pilothouse"
ADMIN_TOKEN_NAME = "kubeconfig"


def server_url(host: str, port: int, *, secure: bool) -> str:
    """The URL a client on this machine uses for an API bound to ``host:port``.

    A wildcard bind (0.0.0.0, ::) listens on every address but is none, so clients are sent to
    loopback, which the serving certificate always names.
    """
    host = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
    shown = f"[{host}]" if ":" in host else host
    return f"{'https' if secure else 'http'}://{shown}:{port}"


def build_kubeconfig(*, server: str, ca_pem: bytes | None, user: str, token: str) -> dict[str, Any]:
    """A kubeconfig with one cluster, one user and the context joining them, made current.

    ``ca_pem`` is None for a plain-HTTP server, which has no certificate to trust.
    """
    cluster: dict[str, str] = {"server": server}
    if ca_pem is not None:
        cluster["certificate-authority-data"] = base64.b64encode(ca_pem).decode("ascii")
    context = f"{user}@{CLUSTER_NAME}"
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": CLUSTER_NAME, "cluster": cluster}],
        "users": [{"name": user, "user": {"token": token}}],
        "contexts": [{"name": context, "context": {"cluster": CLUSTER_NAME, "user": user}}],
        "current-context": context,
        "preferences": {},
    }


def render_kubeconfig(config: dict[str, Any]) -> str:
    """The YAML text of a kubeconfig, in the key order kubectl writes."""
    return yaml.safe_dump(config, sort_keys=False, default_flow_style=False)


def write_kubeconfig(path: Path, config: dict[str, Any]) -> None:
    """Write a kubeconfig atomically, readable by its owner only: it holds a credential."""
    path.parent.mkdir(parents=True, exist_ok=True)
    replace_file(path, render_kubeconfig(config).encode(), mode=0o600)


def ensure_admin_kubeconfig(path: Path, *, server: str, ca_pem: bytes | None) -> bool:
    """Make ``path`` a working admin kubeconfig for ``server``; return whether it was written."""
    admin = ensure_admin_user()
    existing = _read(path)
    token = _entry(existing, "users", ADMIN_USERNAME).get("token")
    if not isinstance(token, str) or getattr(user_for_token(token), "pk", None) != admin.pk:
        token = issue_token(admin, name=ADMIN_TOKEN_NAME)
    wanted = build_kubeconfig(server=server, ca_pem=ca_pem, user=ADMIN_USERNAME, token=token)
    if existing is not None and _essentials(existing) == _essentials(wanted):
        return False
    write_kubeconfig(path, wanted)
    return True


def _read(path: Path) -> dict[str, Any] | None:
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    return loaded if isinstance(loaded, dict) else None


def _entry(config: dict[str, Any] | None, section: str, name: str) -> dict[str, Any]:
    """The body of the ``name`` entry of a kubeconfig section ("clusters", "users"), or {}."""
    key = section.removesuffix("s")
    for item in (config or {}).get(section) or []:
        if isinstance(item, dict) and item.get("name") == name and isinstance(item.get(key), dict):
            body: dict[str, Any] = item[key]
            return body
    return {}


def _essentials(config: dict[str, Any]) -> tuple[Any, ...]:
    """What must be right for the admin kubeconfig to work; anything else is the user's."""
    cluster = _entry(config, "clusters", CLUSTER_NAME)
    return (
        cluster.get("server"),
        cluster.get("certificate-authority-data"),
        _entry(config, "users", ADMIN_USERNAME).get("token"),
    )
