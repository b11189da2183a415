"""Kubeconfig files: the one way the agent learns where the API is, whom to trust, who it is.

Kubelet reads the same file format. The agent needs only the current context's server, the
cluster's CA (inline ``certificate-authority-data`` or a ``certificate-authority`` file, both
as kubectl accepts them) and the user's bearer token (inline or ``tokenFile``).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


class KubeconfigError(Exception):
    """The file is missing, unreadable, or lacks what the agent needs."""


@dataclass(frozen=True)
class Credentials:
    """Where the API is and how to reach it: its URL, the CA to trust (PEM) and a token."""

    server: str
    ca_pem: bytes | None
    token: str | None


def load_kubeconfig(path: Path) -> Credentials:
    try:
        config = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as e:
        raise KubeconfigError(f"cannot read kubeconfig {path}: {e}") from e
    if not isinstance(config, dict):
        raise KubeconfigError(f"kubeconfig {path} is not a mapping")
    context = _named(config, "contexts", config.get("current-context"), path)
    cluster = _named(config, "clusters", context.get("cluster"), path)
    user = _named(config, "users", context.get("user"), path) if context.get("user") else {}
    server = cluster.get("server")
    if not isinstance(server, str) or not server:
        raise KubeconfigError(f"kubeconfig {path}: the current cluster has no server")
    return Credentials(
        server=server.rstrip("/"),
        ca_pem=_ca_pem(cluster, path.parent),
        token=_token(user, path.parent),
    )


def _named(config: dict[str, Any], section: str, name: Any, path: Path) -> dict[str, Any]:
    """The body of the entry called ``name`` in a section (``clusters``, ``users``...)."""
    for entry in config.get(section) or []:
        if isinstance(entry, dict) and entry.get("name") == name:
            body = entry.get(section.removesuffix("s"))
            if isinstance(body, dict):
                return body
    raise KubeconfigError(f"kubeconfig {path}: no {section[:-1]} named {name!r}")


def _ca_pem(cluster: dict[str, Any], base: Path) -> bytes | None:
    data = cluster.get("certificate-authority-data")
    if isinstance(data, str) and data:
        return base64.b64decode(data)
    file = cluster.get("certificate-authority")
    if isinstance(file, str) and file:
        return (base / file).read_bytes()
    return None


def _token(user: dict[str, Any], base: Path) -> str | None:
    token = user.get("token")
    if isinstance(token, str) and token:
        return token
    file = user.get("tokenFile")
    if isinstance(file, str) and file:
        return (base / file).read_text().strip()
    return None
