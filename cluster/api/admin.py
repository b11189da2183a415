"""The Django admin: API tokens, and the dashboard page of every kind.

Tokens are seen and revoked (deleted) here, issued by ``createtoken`` only: a token exists in the
clear only at the moment it is issued, so the admin cannot show one; it lists who holds which
token, and deleting a row revokes that token.

Every kind of the catalog gets a page built by ``cluster.api.dashboard`` over its proxy model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import admin
from django.http import HttpRequest

from cluster.api.dashboard.objects import object_admin
from cluster.api.models import KIND_MODELS, Token
from cluster.registry.catalog import RESOURCES

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


for _resource in RESOURCES.all:
    admin.site.register(KIND_MODELS[_resource.kind], object_admin(_resource))
