"""The ``$``-directives of strategic merge patch, and the errors strategicpatch words for them.

kubectl writes these into the patches it sends: ``$patch`` (``delete``/``replace`` a map or a
list item, ``replace`` a whole list), ``$setElementOrder/<field>`` (the order of a merged
list), ``$deleteFromPrimitiveList/<field>`` (values to drop from a merged list of scalars) and
``$retainKeys`` (the only keys a map keeps). Error messages copy k8s.io/apimachinery's
``mergepatch`` and ``strategicpatch`` wording, since kube-apiserver returns them to clients.
"""

from __future__ import annotations

from cluster.api.patching.errors import PatchBadRequest, PatchFailed
from cluster.api.patching.govalues import JSONValue, go_sprint, go_type_name

DIRECTIVE = "$patch"
DELETE = "delete"
REPLACE = "replace"
MERGE = "merge"
RETAIN_KEYS = "$retainKeys"
SET_ELEMENT_ORDER = "$setElementOrder"
DELETE_FROM_PRIMITIVE_LIST = "$deleteFromPrimitiveList"

BAD_PRIMITIVE_LIST = "invalid patch format of primitive list"
BAD_RETAIN_KEYS = "invalid patch format of retainKeys"
BAD_SET_ELEMENT_ORDER = "invalid patch format of setElementOrder list"
LIST_OF_LISTS = "lists of lists are not supported"
MAP_TYPE = "map[string]interface {}"
LIST_TYPE = "[]interface {}"


def extract_key(key: str, prefix: str) -> str:
    """The field a parallel-list directive key names: ``$setElementOrder/env`` -> ``env``."""
    head, slash, field = key.partition("/")
    if not slash or head != prefix:
        primitive = prefix == DELETE_FROM_PRIMITIVE_LIST
        raise PatchBadRequest(BAD_PRIMITIVE_LIST if primitive else BAD_SET_ELEMENT_ORDER)
    return field


def has_directive(value: JSONValue) -> bool:
    return isinstance(value, dict) and DIRECTIVE in value


def remove_directives(value: JSONValue) -> tuple[JSONValue, bool]:
    """``value`` without the maps that carry ``$patch``, and whether to keep it at all.

    kube cleans a patch value this way where it lands with nothing to merge into, so a
    ``$patch`` map there is dropped rather than stored (other directive keys stay).
    """
    if isinstance(value, dict):
        if DIRECTIVE in value:
            return None, False
        cleaned: dict[str, JSONValue] = {}
        for key, item in value.items():
            item, keep = remove_directives(item)
            if keep:
                cleaned[key] = item
        return cleaned, True
    if isinstance(value, list):
        kept = [remove_directives(item) for item in value]
        return [item for item, keep in kept if keep], True
    return value, True


def discard_nulls(value: JSONValue) -> JSONValue:
    """``value`` without ``null`` map members at any depth (``null`` list items stay)."""
    if isinstance(value, dict):
        return {key: discard_nulls(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [discard_nulls(item) for item in value]
    return value


def no_merge_key(item: JSONValue, merge_key: str) -> PatchFailed:
    return PatchFailed(f"map: {go_sprint(item)} does not contain declared merge key: {merge_key}")


def bad_arg_type(expected: str, actual: JSONValue) -> PatchFailed:
    return PatchFailed(f"expected a {expected}, but received a {go_type_name(actual)}")
