"""Tokens in the Django admin: seen and revoked (deleted) there, issued by ``createtoken`` only.

A token exists in the clear only at the moment it is issued, so the admin cannot show one; it
lists who holds which token, and deleting a row revokes that token.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import admin
from django.http import HttpRequest

from cluster.api.models import Token

# ModelAdmin is generic only in django-stubs; at run time it cannot be subscripted.
if TYPE_CHECKING:
    _TokenModelAdmin = admin.ModelAdmin[Token]
else:
    _TokenModelAdmin = admin.ModelAdmin


@admin.register(Token)
class TokenAdmin(_TokenModelAdmin):
    list_display = ["name", "user", "created"]
    list_filter = ["user"]
    search_fields = ["name", "user__username"]
    readonly_fields = ["name", "user", "created"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Token | None = None) -> bool:
        return False
