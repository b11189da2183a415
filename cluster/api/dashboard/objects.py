"""``ObjectAdmin``, the admin page of one kind, and ``object_admin`` that builds it per kind.

Reads use the kind's proxy model over the store's table. Writes never touch that table: the
form writes through the registry (``forms``), and deletes call ``registry.delete`` with the
object's uid as precondition, so a bound pod is marked for graceful deletion as ``kubectl
delete`` would leave it, and the store's revisions, event log and watchers see every change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from cluster.api.dashboard.columns import decoded, list_columns
from cluster.api.dashboard.filters import field_filters
from cluster.api.dashboard.forms import ObjectForm, pretty
from cluster.api.dashboard.search import is_label_selector, label_query
from cluster.api.printers.common import format_labels
from cluster.registry.catalog import default_registry
from cluster.registry.errors import NotFound, StoreError
from cluster.registry.registry import DeleteOptions
from cluster.registry.resources import Resource
from cluster.registry.vocabulary import Preconditions, StoredObject, parse_label_selector

# ModelAdmin is generic only in django-stubs; at run time it cannot be subscripted.
if TYPE_CHECKING:
    from django.contrib.admin.options import _FieldsetSpec

    _StoredObjectAdmin = admin.ModelAdmin[StoredObject]
else:
    _StoredObjectAdmin = admin.ModelAdmin


class RefusedDeletion(Exception):
    """The registry refused to delete objects; the page that asked says why, not a 500."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = reasons


class ObjectAdmin(_StoredObjectAdmin):
    """The admin page of one kind; ``object_admin`` fills in the kind."""

    resource: ClassVar[Resource]

    form = ObjectForm
    ordering = ("namespace", "name")
    # kubectl leaves an empty cell empty, where the admin would print "-".
    empty_value_display = ""
    search_fields = ("name",)
    search_help_text = (
        "A name (or part of one), or a label selector as kubectl get -l takes it: "
        "app=web, tier!=db, env in (prod,staging), !canary."
    )
    readonly_fields = ("namespace", "name", "uid", "resource_version", "labels_text", "object_json")

    # -- reading --

    @admin.display(description="Labels")
    def labels_text(self, obj: StoredObject) -> str:
        return format_labels(obj.labels)

    @admin.display(description="Object")
    def object_json(self, obj: StoredObject) -> SafeString:
        return format_html(
            '<pre style="white-space: pre-wrap; margin: 0">{}</pre>', pretty(decoded(obj))
        )

    def get_fieldsets(self, request: HttpRequest, obj: StoredObject | None = None) -> _FieldsetSpec:
        if obj is None:
            return [(None, {"fields": ["manifest"]})]
        identity = ["namespace", "name"] if self.resource.namespaced else ["name"]
        return [
            (None, {"fields": [*identity, "uid", "resource_version", "labels_text"]}),
            ("Stored object", {"fields": ["object_json"]}),
            ("Edit", {"fields": ["manifest"]}),
        ]

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[StoredObject], bool]:
        term = search_term.strip()
        if not is_label_selector(term):
            return super().get_search_results(request, queryset, search_term)
        try:
            selector = parse_label_selector(term)
        except StoreError as e:
            self.message_user(request, e.message, messages.ERROR)
            return queryset.none(), False
        return queryset.filter(label_query(selector)), False

    # -- writing, through the registry only --

    def save_model(self, request: HttpRequest, obj: StoredObject, form: Any, change: Any) -> None:
        """The form's validation stored the object; load the row that write left."""
        assert isinstance(form, ObjectForm)
        assert form.result is not None
        for warning in form.result.warnings:
            self.message_user(request, warning, messages.WARNING)
        metadata = form.result.object["metadata"]
        row = (
            self.get_queryset(request)
            .filter(namespace=metadata.get("namespace", ""), name=metadata["name"])
            .first()
        )
        if row is not None:  # None: the update finished a deletion, and the object is gone
            obj.pk = row.pk
            obj.refresh_from_db()

    def _delete(self, request: HttpRequest, obj: StoredObject) -> None:
        options = DeleteOptions(preconditions=Preconditions(uid=obj.uid))
        try:
            result = default_registry().delete(
                self.resource, obj.namespace or None, obj.name, options
            )
        except NotFound:
            return  # gone already, which is what was asked
        except StoreError as e:
            raise RefusedDeletion([e.message]) from e
        if not result.deleted:
            self.message_user(
                request,
                f'{self.resource.singular} "{obj}" is terminating: it stays, marked for '
                "deletion, until its finalizers are done or its node confirms.",
                messages.INFO,
            )

    def delete_model(self, request: HttpRequest, obj: StoredObject) -> None:
        self._delete(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        """Delete each object, then refuse (for ``changelist_view``) if the registry refused any."""
        reasons = []
        for obj in queryset:
            try:
                self._delete(request, obj)
            except RefusedDeletion as e:
                reasons += e.reasons
        if reasons:
            raise RefusedDeletion(reasons)

    def _refused(self, request: HttpRequest, refusal: RefusedDeletion, url: str) -> HttpResponse:
        for reason in refusal.reasons:
            self.message_user(request, reason, messages.ERROR)
        return HttpResponseRedirect(url)

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        try:
            return super().delete_view(request, object_id, extra_context)
        except RefusedDeletion as e:
            # Raised inside the delete view's transaction, which rolled back its log entry.
            opts = self.opts
            url = reverse(
                f"admin:{opts.app_label}_{opts.model_name}_change",
                args=[object_id],
                current_app=self.admin_site.name,
            )
            return self._refused(request, e, url)

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        # The "delete selected" action: what was refused is said, instead of its success message.
        try:
            return super().changelist_view(request, extra_context)
        except RefusedDeletion as e:
            return self._refused(request, e, request.get_full_path())


def object_admin(resource: Resource) -> type[ObjectAdmin]:
    """The admin page of ``resource``: its kubectl columns, filters, and a form that knows it."""
    columns = list_columns(resource.kind, namespaced=resource.namespaced)
    printed = columns[1:] if resource.namespaced else columns
    link = next((c for c in printed if c.__name__ == "name"), printed[0])
    filters: list[Any] = ["namespace"] if resource.namespaced else []
    filters += field_filters(resource.kind)
    form = type(f"{resource.kind}Form", (ObjectForm,), {"resource": resource})
    attrs = {
        "resource": resource,
        "form": form,
        "list_display": columns,
        "list_display_links": [link],
        "list_filter": filters,
    }
    return type(f"{resource.kind}Admin", (ObjectAdmin,), attrs)
