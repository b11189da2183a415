"""Bearer tokens: which user a token authenticates, stored as a digest and never in the clear."""

from __future__ import annotations

from django.conf import settings
from django.db import models


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
