"""The three patch formats kube-apiserver accepts, applied exactly as it applies them.

``apply_patch(content_type, original, patch, kind=...)`` is the API layer's entry point:

- ``application/json-patch+json`` (RFC 6902, ``jsonpatch``),
- ``application/merge-patch+json`` (RFC 7386, ``mergepatch``),
- ``application/strategic-merge-patch+json`` (``strategic``), with the patch metadata of each
  kind in ``kinds`` (described by ``schema``), which also feeds the OpenAPI extensions through
  ``openapi_patch_extensions``.

Failures raise ``PatchError`` subclasses that carry the ``v1 Status`` kube-apiserver answers
(``errors``). Server-side apply (``application/apply-patch+yaml``) is not implemented here.
"""

from __future__ import annotations

from cluster.api.patching.apply import (
    JSON_PATCH,
    MERGE_PATCH,
    PATCH_TYPES,
    STRATEGIC_MERGE_PATCH,
    apply_patch,
    patch_type,
)
from cluster.api.patching.errors import (
    PatchBadRequest,
    PatchError,
    PatchFailed,
    PatchInvalid,
    PatchTooLarge,
    UnsupportedPatchType,
)
from cluster.api.patching.kinds import SCHEMAS, openapi_patch_extensions, schema_for_kind
from cluster.api.patching.schema import PatchMeta, PatchSchema

__all__ = [
    "JSON_PATCH",
    "MERGE_PATCH",
    "PATCH_TYPES",
    "SCHEMAS",
    "STRATEGIC_MERGE_PATCH",
    "PatchBadRequest",
    "PatchError",
    "PatchFailed",
    "PatchInvalid",
    "PatchMeta",
    "PatchSchema",
    "PatchTooLarge",
    "UnsupportedPatchType",
    "apply_patch",
    "openapi_patch_extensions",
    "patch_type",
    "schema_for_kind",
]
