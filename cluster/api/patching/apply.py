"""Apply a PATCH request body to an object, choosing the format by Content-Type.

This is the one entry point the API layer calls: it never modifies its inputs, returns the
patched object, and raises a ``PatchError`` carrying the ``v1 Status`` kube-apiserver would
answer when the patch cannot be applied.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from cluster.api.patching.errors import PatchInvalid, UnsupportedPatchType
from cluster.api.patching.govalues import JSONObject, JSONValue
from cluster.api.patching.jsonpatch import apply_json_patch
from cluster.api.patching.kinds import schema_for_kind
from cluster.api.patching.mergepatch import apply_merge_patch
from cluster.api.patching.strategic import apply_strategic_merge_patch

JSON_PATCH = "application/json-patch+json"
MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_MERGE_PATCH = "application/strategic-merge-patch+json"
PATCH_TYPES = [JSON_PATCH, MERGE_PATCH, STRATEGIC_MERGE_PATCH]

KubeObject = dict[str, Any]
"""An object as the store and the API layer hold it (decoded JSON)."""


def patch_type(content_type: str) -> str:
    """The patch type a Content-Type names: kube-apiserver drops only ``;`` and what follows."""
    head, _, _ = content_type.partition(";")
    return head


def apply_patch(
    content_type: str, original: KubeObject, patch: bytes | str, *, kind: str
) -> KubeObject:
    """Return ``original`` patched by ``patch``, the body of a PATCH request of ``content_type``.

    ``kind`` (``Pod``, ``Service``, ``Lease``, ...) selects the strategic merge patch schema.
    Raises ``PatchError``: ``UnsupportedPatchType`` for another Content-Type (or a strategic
    merge patch of a kind without a schema), and the others as ``errors`` describes.
    """
    media_type = patch_type(content_type)
    if media_type not in PATCH_TYPES:
        raise UnsupportedPatchType(PATCH_TYPES)
    document: JSONObject = copy.deepcopy(original)
    result: JSONValue
    if media_type == JSON_PATCH:
        result = apply_json_patch(document, patch)
    elif media_type == MERGE_PATCH:
        result = apply_merge_patch(document, patch)
    else:
        schema = schema_for_kind(kind)
        if schema is None:
            raise UnsupportedPatchType([JSON_PATCH, MERGE_PATCH])
        result = apply_strategic_merge_patch(document, patch, schema)
    if not isinstance(result, dict):
        raise _not_an_object(result, kind)
    return result


def _not_an_object(result: JSONValue, kind: str) -> PatchInvalid:
    """kube fails to decode a patched document that is not an object into the kind's type."""
    found = "array" if isinstance(result, list) else "non-object value"
    detail = f"json: cannot unmarshal {found} into Go value of type v1.{kind}"
    text = json.dumps(result, separators=(",", ":"))
    # NewInvalid with an empty kind and name: the message starts with ' "" is invalid'.
    return PatchInvalid(
        f' "" is invalid: patch: Invalid value: "{text}": {detail}',
        detail=f'Invalid value: "{text}": {detail}',
        field="patch",
    )
