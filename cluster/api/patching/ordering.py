"""List helpers of strategic merge patch: partitioning, de-duplication and element order.

After a merged list is built, strategicpatch puts it in order: the items named by the patch
(or by ``$setElementOrder``) keep the patch's order, the items only the server had keep the
server's order, and the two runs are interleaved by walking both and taking a server item
first only while it stood before the next patch item in the live list. New items therefore
often come before the server's: merging ``C`` into ``[A, B]`` gives ``[A, C, B]`` if the patch
names ``A, C``, and ``[C, A, B]`` if it names only ``C``. These functions reproduce that walk.
"""

from __future__ import annotations

from cluster.api.patching.directives import (
    DELETE,
    DIRECTIVE,
    LIST_OF_LISTS,
    MAP_TYPE,
    bad_arg_type,
    no_merge_key,
)
from cluster.api.patching.errors import PatchFailed, PatchInvalid
from cluster.api.patching.gosort import go_stable_sort
from cluster.api.patching.govalues import JSONArray, JSONValue, go_equal, go_key, go_sprint


def element_type(*lists: JSONArray) -> type:
    """The one Python type of all items (Go's ``sliceElementType``), or the error it raises."""
    found: type | None = None
    for items in lists:
        for item in items:
            if found is None:
                found = type(item)
                if found is list:
                    raise PatchInvalid.rejected(LIST_OF_LISTS)
            elif type(item) is not found:
                raise PatchFailed(f"list element types are not identical: {go_sprint(list(lists))}")
    if found is None:
        raise PatchFailed("no elements in any of the given slices")
    return found


def find_by_key(items: JSONArray, merge_key: str, value: JSONValue) -> int:
    """The position of the first map whose ``merge_key`` is ``value``, or -1."""
    for position, item in enumerate(items):
        if not isinstance(item, dict):
            raise PatchFailed(f"value for key {position} is not a map.")
        if merge_key in item and go_equal(item[merge_key], value):
            return position
    return -1


def merge_key_value(item: JSONValue, merge_key: str) -> JSONValue:
    """The merge key of a list item, which must be a map that has it."""
    if not isinstance(item, dict):
        raise bad_arg_type(MAP_TYPE, item)
    if merge_key not in item:
        raise no_merge_key(item, merge_key)
    return item[merge_key]


def same_item(left: JSONValue, right: JSONValue, merge_key: str) -> bool:
    """Whether two list items are the same item: same merge key value, or equal scalars."""
    if not merge_key:
        return go_equal(left, right)
    left_key = merge_key_value(left, merge_key)
    return go_equal(left_key, merge_key_value(right, merge_key))


def dedupe_scalars(items: JSONArray) -> JSONArray:
    """Go's in-place de-duplication: a repeat is overwritten by the current last item."""
    result = list(items)
    last = len(result) - 1
    i = 0
    while i < last:
        j = i + 1
        while j <= last:
            if go_equal(result[i], result[j]):
                result[j] = result[last]
                result = result[:last]
                last -= 1
                j -= 1
            j += 1
        i += 1
    return result


def delete_scalars(items: JSONArray, unwanted: JSONArray) -> JSONArray:
    gone = {go_key(value) for value in unwanted}
    return [item for item in items if go_key(item) not in gone]


def partition_scalars(items: JSONArray, by: JSONArray) -> tuple[JSONArray, JSONArray]:
    """The items that are in ``by``, and the others, each in their current order."""
    wanted = {go_key(value) for value in by}
    inside = [item for item in items if go_key(item) in wanted]
    return inside, [item for item in items if go_key(item) not in wanted]


def partition_maps(items: JSONArray, by: JSONArray, merge_key: str) -> tuple[JSONArray, JSONArray]:
    """The maps whose merge key appears in ``by``, and the others."""
    inside: JSONArray = []
    outside: JSONArray = []
    for item in items:
        value = merge_key_value(item, merge_key)
        (inside if find_by_key(by, merge_key, value) >= 0 else outside).append(item)
    return inside, outside


def normalize_element_order(
    patch_items: JSONArray,
    server_only: JSONArray,
    patch_order: JSONArray,
    server_order: JSONArray,
    merge_key: str,
    *,
    maps: bool,
) -> JSONArray:
    """Sort each run by its reference order, then interleave them (``normalizeElementOrder``)."""
    patch_items = _sort_by(patch_items, patch_order, merge_key, maps=maps)
    server_only = _sort_by(server_only, server_order, merge_key, maps=maps)
    return _interleave(server_only, patch_items, server_order, merge_key, maps=maps)


def _position(items: JSONArray, value: JSONValue, merge_key: str, *, maps: bool) -> int:
    """Where ``value`` sits in ``items``, comparing merge keys for maps; -1 if absent."""
    wanted = _identity(value, merge_key, maps=maps)
    for position, item in enumerate(items):
        if go_equal(wanted, _identity(item, merge_key, maps=maps)):
            return position
    return -1


def _identity(item: JSONValue, merge_key: str, *, maps: bool) -> JSONValue:
    if maps:
        return item.get(merge_key) if isinstance(item, dict) else None
    return item


def _sort_by(items: JSONArray, order: JSONArray, merge_key: str, *, maps: bool) -> JSONArray:
    """``normalizeSliceOrder``: sort by position in ``order``; ``$patch: delete`` items last.

    Go's comparator calls an item missing from ``order`` smaller than anything, which is no
    ordering at all, so the result depends on the sort algorithm: Go's ``sort.SliceStable``.
    This happens, for example, with an empty ``$setElementOrder`` list.
    """
    deleted: JSONArray = []
    if maps:
        for item in [*items, *order]:
            merge_key_value(item, merge_key)
        deleted = [item for item in items if isinstance(item, dict) and _is_delete(item)]
        items = [item for item in items if not (isinstance(item, dict) and _is_delete(item))]

    def less(left: JSONValue, right: JSONValue) -> bool:
        left_at = _position(order, left, merge_key, maps=maps)
        if left_at >= 0:
            right_at = _position(order, right, merge_key, maps=maps)
            if right_at >= 0:
                return left_at < right_at
        return True

    return go_stable_sort(items, less) + deleted


def _is_delete(item: dict[str, JSONValue]) -> bool:
    directive = item.get(DIRECTIVE)
    return isinstance(directive, str) and directive == DELETE


def _interleave(
    server_only: JSONArray,
    patch_items: JSONArray,
    server_order: JSONArray,
    merge_key: str,
    *,
    maps: bool,
) -> JSONArray:
    """``mergeSortedSlice``: a server item goes first only if both are live and it stood earlier."""
    merged: JSONArray = []
    i = j = 0
    while i < len(server_only) and j < len(patch_items):
        left = _position(server_order, server_only[i], merge_key, maps=maps)
        right = _position(server_order, patch_items[j], merge_key, maps=maps)
        if 0 <= left < right:
            merged.append(server_only[i])
            i += 1
        else:
            merged.append(patch_items[j])
            j += 1
    return merged + server_only[i:] + patch_items[j:]
