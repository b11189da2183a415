"""Bearer tokens: issued once in the clear, stored as a SHA-256 digest, looked up cheaply.

A token is 32 random bytes, so a plain SHA-256 of it is enough: slow or salted hashes protect
guessable passwords, and there is nothing here to guess. A fast, unsalted digest also lets a
request find its token with one indexed equality lookup, and a leaked database holds no usable
credential.

Every request carries its token, so lookups are cached per process for ``CACHE_TTL_SECONDS``:
a busy client costs one query per TTL per worker. The price is that a revoked token (its row
deleted) or a deactivated user still works for up to that long in the workers that cached it.
Failed lookups are not cached, so that nobody can fill the cache with garbage.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from cluster.api.models import Token

if TYPE_CHECKING:
    from django.contrib.auth.models import User

TOKEN_BYTES = 32
CACHE_TTL_SECONDS = 10.0
CACHE_MAX_ENTRIES = 10_000
# The user runapi writes into the admin kubeconfig, and the group that, as in Kubernetes,
# will bypass authorization once there is any.
ADMIN_USERNAME = "admin"
MASTERS_GROUP = "system:masters"
# Kubelet's identity: user ``system:node:<node name>`` in group ``system:nodes``. The API lets
# such a user touch only its own Node, Lease and pods (cluster.api.authorization).
NODE_USER_PREFIX = "system:node:"
NODES_GROUP = "system:nodes"

# The clock of the cache; tests move it.
clock = time.monotonic
_cache: dict[str, tuple[float, User]] = {}
_cache_lock = threading.Lock()


def hash_token(token: str) -> str:
    """The digest stored for ``token``: SHA-256, hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user: User, *, name: str) -> str:
    """Create a new token for ``user`` and return it; it cannot be recovered later."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    Token.objects.create(user=user, name=name, digest=hash_token(token))
    return token


def user_for_token(token: str) -> User | None:
    """The active user ``token`` authenticates, or None."""
    if not token:
        return None
    digest = hash_token(token)
    user = _cached(digest)
    if user is None:
        found = Token.objects.select_related("user").filter(digest=digest).first()
        user = _remember(digest, found)
    return user


def cached_user(token: str) -> User | None:
    """The user a lookup of ``token`` found within the TTL, without touching the database;
    None if there was none (which proves nothing: call ``user_for_token``)."""
    return _cached(hash_token(token)) if token else None


async def auser_for_token(token: str) -> User | None:
    """:func:`user_for_token` for async code: a cache hit costs no thread hop."""
    if not token:
        return None
    digest = hash_token(token)
    user = _cached(digest)
    if user is None:
        found = await Token.objects.select_related("user").filter(digest=digest).afirst()
        user = _remember(digest, found)
    return user


def clear_token_cache() -> None:
    """Forget every cached lookup (tests; a revocation that must take effect at once)."""
    with _cache_lock:
        _cache.clear()


def ensure_admin_user() -> User:
    """The cluster administrator: a superuser in ``system:masters``, created if missing.

    An existing user of that name keeps its password (it may sign into the Django admin);
    a new one has none, because it authenticates with tokens.
    """
    with transaction.atomic():
        user, created = get_user_model().objects.get_or_create(username=ADMIN_USERNAME)
        if created:
            user.set_unusable_password()
        if created or not (user.is_superuser and user.is_staff):
            user.is_superuser = user.is_staff = True
            user.save()
        masters, _ = Group.objects.get_or_create(name=MASTERS_GROUP)
        user.groups.add(masters)
    return user


def node_name_of(username: str) -> str | None:
    """The node a ``system:node:<name>`` username stands for; None for any other user."""
    if not username.startswith(NODE_USER_PREFIX):
        return None
    return username[len(NODE_USER_PREFIX) :]


def ensure_node_user(node_name: str) -> tuple[User, bool]:
    """The user of node ``node_name`` (created without a password if missing, as every token
    user is), in ``system:nodes``; and whether it was created."""
    with transaction.atomic():
        username = NODE_USER_PREFIX + node_name
        user, created = get_user_model().objects.get_or_create(username=username)
        if created:
            user.set_unusable_password()
            user.save()
        nodes, _ = Group.objects.get_or_create(name=NODES_GROUP)
        user.groups.add(nodes)
    return user, created


def _cached(digest: str) -> User | None:
    with _cache_lock:
        entry = _cache.get(digest)
    if entry is None:
        return None
    expires, user = entry
    return user if clock() < expires else None


def _remember(digest: str, token: Token | None) -> User | None:
    if token is None or not token.user.is_active:
        return None
    with _cache_lock:
        if len(_cache) >= CACHE_MAX_ENTRIES:
            # Crude but bounded: thousands of distinct live tokens in one process is unusual,
            # and everything dropped here is one query away.
            _cache.clear()
        _cache[digest] = (clock() + CACHE_TTL_SECONDS, token.user)
    return token.user
