"""The change form of a kind's admin page: the whole object as JSON, written by the registry.

The write happens while the form validates, in ``clean()``. That is deliberate: the registry is
the validator, and its verdict (defaulting, validation, namespace admission, and above all the
compare-and-swap on ``metadata.resourceVersion``) exists only once the write is attempted. A dry
run first and the real write later in ``save_model`` would leave a window in which a controller's
update turns an accepted form into a Conflict the admin can only answer with a 500. Here every
refusal becomes an error on the form, shown with its field paths, and a refused write stores
nothing. ``save_model`` only loads the row the registry wrote.

The admin runs its add and change views in one transaction, so the store's write transactions
nest in it as savepoints and commit with it, when the view returns: watchers see the change
then, and the revision counter's row stays locked until then (the page's few queries later).
"""

from __future__ import annotations

import copy
import json
from typing import TYPE_CHECKING, Any, ClassVar

from django import forms
from django.core.exceptions import ValidationError

from cluster.api.dashboard.columns import decoded
from cluster.registry.catalog import default_registry
from cluster.registry.errors import BadRequest, Invalid, StoreError
from cluster.registry.registry import WriteResult
from cluster.registry.resources import Resource
from cluster.registry.vocabulary import Object, StoredObject

# ModelForm is generic only in django-stubs; at run time it cannot be subscripted.
if TYPE_CHECKING:
    _StoredObjectForm = forms.ModelForm[StoredObject]
else:
    _StoredObjectForm = forms.ModelForm

_JSON_TYPES = {list: "an array", str: "a string", int: "a number", float: "a number"}


def pretty(obj: Object) -> str:
    return json.dumps(obj, indent=2, ensure_ascii=False)


def skeleton(resource: Resource) -> Object:
    """What the add page starts from: the object's type and an empty name to fill in."""
    metadata: Object = {"name": ""}
    if resource.namespaced:
        metadata["namespace"] = "default"
    return {"apiVersion": resource.api_version, "kind": resource.kind, "metadata": metadata}


def error_messages(error: StoreError) -> list[str]:
    """A refused write as form errors: one per cause with its field path, else the message."""
    if isinstance(error, Invalid) and error.causes:
        return [f"{c.field}: {c.message}" if c.field else c.message for c in error.causes]
    return [error.message]


class ObjectForm(_StoredObjectForm):
    """Create or replace one object of ``resource`` from the JSON in ``manifest``."""

    resource: ClassVar[Resource]

    manifest = forms.CharField(
        label="Object (JSON)",
        strip=False,
        widget=forms.Textarea(
            attrs={
                "rows": 30,
                "class": "vLargeTextField",
                "spellcheck": "false",
                "style": "font-family: monospace",
            }
        ),
        help_text="Saving sends this object to the registry, as kubectl replace (or create) "
        "does. Keep metadata.resourceVersion: if the object has changed since, the save is "
        "refused with a conflict instead of overwriting that change.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.result: WriteResult | None = None
        current = decoded(self.instance) if self.instance.pk else skeleton(self.resource)
        self.fields["manifest"].initial = pretty(current)

    def clean_manifest(self) -> Object:
        text: str = self.cleaned_data["manifest"]
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as e:
            raise ValidationError(f"Invalid JSON: {e}") from e
        if not isinstance(obj, dict):
            what = _JSON_TYPES.get(type(obj), json.dumps(obj))
            raise ValidationError(f"The object must be a JSON object, not {what}.")
        return obj

    def clean(self) -> dict[str, Any]:
        super().clean()
        obj = self.cleaned_data.get("manifest")
        if isinstance(obj, dict):
            try:
                self.result = self._write(obj)
            except StoreError as e:
                self.add_error("manifest", error_messages(e))
        return self.cleaned_data

    def _write(self, obj: Object) -> WriteResult:
        self._refuse_other_type(obj)
        registry = default_registry()
        if self.instance.pk is None:
            return registry.create(self.resource, None, obj)
        self._refuse_other_object(obj)
        namespace = self.instance.namespace or None
        # The registry may call the transform again after losing a race; each call gets a copy.
        return registry.update(
            self.resource, namespace, self.instance.name, lambda old: copy.deepcopy(obj)
        )

    def _refuse_other_type(self, obj: Object) -> None:
        resource = self.resource
        api_version, kind = obj.get("apiVersion"), obj.get("kind")
        if api_version and api_version != resource.api_version:
            raise BadRequest(
                f"the API version in the data ({api_version}) does not match the expected API "
                f"version ({resource.api_version})"
            )
        if kind and kind != resource.kind:
            raise BadRequest(
                f"the kind in the data ({kind}) does not match the expected kind ({resource.kind})"
            )

    def _refuse_other_object(self, obj: Object) -> None:
        """An edit replaces this object; renaming or moving it is a create elsewhere."""
        metadata = obj.get("metadata")
        if not isinstance(metadata, dict):
            return  # the registry words what is wrong with it
        checked = [("name", self.instance.name)]
        if self.resource.namespaced:
            checked.append(("namespace", self.instance.namespace))
        for field, current in checked:
            given = metadata.get(field)
            if given and given != current:
                raise BadRequest(
                    f"the {field} of the object ({given}) does not match the {field} of the "
                    f"object being edited ({current})"
                )
