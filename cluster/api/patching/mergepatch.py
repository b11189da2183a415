"""JSON merge patch (RFC 7386, ``application/merge-patch+json``) as kube-apiserver applies it.

``kubectl label``, ``kubectl annotate`` and ``kubectl patch --type=merge`` send these. A
``null`` member deletes, an object merges member by member, anything else (lists included)
replaces. kube-apiserver uses evanphx/json-patch's ``MergePatch``, whose details this follows:

- a value that lands where there was nothing (or ``null``, or a non-object) is stored with the
  ``null`` members of its objects removed, at any depth; ``null`` items of lists are kept;
- a non-object patch value over an existing object replaces it as sent, nulls and all;
- a patch that is a list replaces the whole document (which then is not an object);
- a patch that is not JSON, is ``null``, a string, a number or a boolean is refused
  ("Invalid JSON Patch", 400).
"""

from __future__ import annotations

from cluster.api.patching import gojson
from cluster.api.patching.errors import PatchBadRequest
from cluster.api.patching.govalues import JSONObject, JSONValue

BAD_PATCH = "Invalid JSON Patch"


def apply_merge_patch(document: JSONObject, body: bytes | str) -> JSONValue:
    """Apply the merge patch ``body`` to ``document`` (modified in place) and return the result."""
    try:
        patch = gojson.decode(body)
    except gojson.GoJSONError as error:
        raise PatchBadRequest(BAD_PATCH, detail=str(error)) from error
    if isinstance(patch, dict):
        _merge_into(document, patch)
        return document
    if isinstance(patch, list):
        return _without_nulls(patch)
    raise PatchBadRequest(BAD_PATCH)


def _merge_into(document: JSONObject, patch: JSONObject) -> None:
    for key, value in patch.items():
        if value is None:
            document.pop(key, None)
            continue
        current = document.get(key)
        document[key] = _without_nulls(value) if current is None else _merge(current, value)


def _merge(current: JSONValue, patch: JSONValue) -> JSONValue:
    if not isinstance(current, dict):
        return _without_nulls(patch)
    if not isinstance(patch, dict):
        return patch
    _merge_into(current, patch)
    return current


def _without_nulls(value: JSONValue) -> JSONValue:
    """Drop ``null`` object members at every depth (list items that are ``null`` stay)."""
    if isinstance(value, dict):
        return {key: _without_nulls(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [None if item is None else _without_nulls(item) for item in value]
    return value
