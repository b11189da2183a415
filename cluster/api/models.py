"""The API app's tables: bearer tokens, and one proxy model per kind for the admin dashboard.

A token is stored as a digest and never in the clear. The proxy models own no table: each is a
view of ``store.StoredObject`` narrowed to one kind of the catalog (``Pod``, ``Service``, ...),
which gives the Django admin a page per kind (``cluster.api.dashboard``). They are for reading;
every write goes through the registry, never through ``save()``.
"""

from __future__ import annotations

from typing import cast

from django.conf import settings
from django.db import models

from cluster.registry.catalog import RESOURCES
from cluster.registry.resources import Resource
from cluster.registry.vocabulary import StoredObject


class Token(models.Model):
    """One bearer token of one user. Deleting it revokes it (see ``cluster.api.tokens``)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, help_text="What the token is for, e.g. kubeconfig.")
    # The SHA-256 of the token, in hex; the token itself is shown once and never stored.
    digest = models.CharField(max_length=64, editable=False)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "API token"
        ordering = ["user__username", "-created"]
        constraints = [
            # Also the index every authenticated request looks its token up by. (A constraint
            # rather than unique=True: PostgreSQL then gets no second, LIKE-only index.)
            models.UniqueConstraint(fields=["digest"], name="api_token_digest_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.user})"


class KindManager(models.Manager[StoredObject]):
    """The stored objects of one kind."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind

    def get_queryset(self) -> models.QuerySet[StoredObject]:
        return super().get_queryset().filter(kind=self.kind)


def _object_label(obj: StoredObject) -> str:
    """``default/web`` for a namespaced object, ``node-1`` for a cluster-scoped one."""
    return f"{obj.namespace}/{obj.name}" if obj.namespace else obj.name


def _proxy(resource: Resource) -> type[StoredObject]:
    """The proxy model of one catalog kind, named after it (``api.Pod``, ``api.Lease``, ...)."""
    meta = type(
        "Meta",
        (),
        {
            "proxy": True,
            "verbose_name": resource.singular,
            "verbose_name_plural": resource.plural,
        },
    )
    attrs = {
        "__module__": __name__,
        "__doc__": f"Stored objects of kind {resource.kind}.",
        "Meta": meta,
        "objects": KindManager(resource.kind),
        "__str__": _object_label,
    }
    return cast(type[StoredObject], type(resource.kind, (StoredObject,), attrs))


# Generated from the catalog, so a new kind gets its admin page with one `makemigrations`. The
# store's internal allocation records (IPAddressAllocation, NodePortAllocation) are not in the
# catalog and so stay out of the admin: they are bookkeeping of the registry, not API objects.
KIND_MODELS: dict[str, type[StoredObject]] = {r.kind: _proxy(r) for r in RESOURCES.all}
