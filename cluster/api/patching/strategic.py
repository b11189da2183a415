"""Strategic merge patch (``application/strategic-merge-patch+json``) as kube-apiserver applies it.

This is what ``kubectl apply``, ``kubectl edit`` and ``kubectl patch`` (its default type) send.
It is a merge patch in which lists with a merge strategy in the kind's schema merge item by
item (containers by ``name``, ports by ``containerPort``, ...), scalar lists with one merge
as sets, and the ``$``-directives delete, replace, reorder and prune (see ``directives``).

The code follows k8s.io/apimachinery's ``strategicpatch.StrategicMergeMapPatch`` step for step,
including where its results are surprising, because kubectl computes its patches against that
behaviour:

- a value that lands where nothing was (or over a value of another type) is stored without its
  ``null`` members and ``$patch`` maps, but an item appended to a merged list is stored as sent;
- an item found by merge key is merged into the first live item with that key (two ports with
  the same ``containerPort`` and different protocols cannot be told apart);
- a map field whose schema strategy is ``replace`` takes the patch's map as sent;
- list order follows ``ordering``; with ``$setElementOrder`` the live list seen while ordering
  is the one the merge already rewrote in place (Go slices share storage), which this models.

Directive keys are handled in the order they appear in the patch where Go's order is random
(a map's ``$deleteFromPrimitiveList/x`` against ``x``), and fields the schema does not know are
merged like untyped maps where kube would fail to look them up.
"""

from __future__ import annotations

from cluster.api.patching import gojson
from cluster.api.patching.directives import (
    BAD_RETAIN_KEYS,
    DELETE,
    DELETE_FROM_PRIMITIVE_LIST,
    DIRECTIVE,
    LIST_TYPE,
    MAP_TYPE,
    MERGE,
    REPLACE,
    RETAIN_KEYS,
    SET_ELEMENT_ORDER,
    bad_arg_type,
    discard_nulls,
    extract_key,
    has_directive,
    no_merge_key,
    remove_directives,
)
from cluster.api.patching.errors import PatchBadRequest, PatchFailed
from cluster.api.patching.govalues import (
    JSONArray,
    JSONObject,
    JSONValue,
    Uncomparable,
    go_key,
    go_sprint,
    go_sprint_s,
)
from cluster.api.patching.ordering import (
    dedupe_scalars,
    delete_scalars,
    element_type,
    find_by_key,
    normalize_element_order,
    partition_maps,
    partition_scalars,
    same_item,
)
from cluster.api.patching.schema import (
    MERGE_STRATEGY,
    REPLACE_STRATEGY,
    PatchMeta,
    PatchSchema,
    child_path,
    item_path,
)


def apply_strategic_merge_patch(
    document: JSONObject, body: bytes | str, schema: PatchSchema
) -> JSONObject:
    """Apply the strategic merge patch ``body`` to ``document`` (modified in place)."""
    try:
        patch = gojson.decode(body, preserve_ints=True)
    except gojson.GoJSONError as error:
        raise PatchBadRequest(str(error)) from error
    if patch is None:
        return document
    if not isinstance(patch, dict):
        raise PatchBadRequest(gojson.type_error(patch, MAP_TYPE))
    try:
        return _Merger(schema).merge_map(document, patch, "")
    except Uncomparable as error:
        raise PatchFailed(str(error)) from error


class _GoSlice:
    """A Go slice of a live list: deletions shift items left in the same storage, and appends
    overwrite the slots freed behind it, which a wider view of that storage still sees."""

    def __init__(self, storage: JSONArray):
        self.storage = storage
        self.length = len(storage)

    def items(self) -> JSONArray:
        return self.storage[: self.length]

    def delete(self, position: int) -> None:
        self.storage[position : self.length - 1] = self.storage[position + 1 : self.length]
        self.length -= 1

    def append(self, item: JSONValue) -> None:
        if self.length < len(self.storage):
            self.storage[self.length] = item
        else:
            self.storage.append(item)
        self.length += 1


class _Merger:
    def __init__(self, schema: PatchSchema):
        self.schema = schema

    def merge_map(self, original: JSONObject, patch: JSONObject, path: str) -> JSONObject:
        """``mergeMap``: merge ``patch`` into ``original``, the object at ``path``."""
        if DIRECTIVE in patch:
            return _map_directive(patch)
        _apply_retain_keys(original, patch)
        self._merge_ordered_lists(original, patch, path)
        for key, value in list(patch.items()):
            field, deleting = key, key.startswith(DELETE_FROM_PRIMITIVE_LIST)
            if deleting:
                field = extract_key(key, DELETE_FROM_PRIMITIVE_LIST)
            if value is None:
                original.pop(field, None)
                continue
            current = original.get(field)
            if field not in original or type(current) is not type(value):
                if not deleting:
                    _store_cleaned(original, field, value)
                continue
            field_path = child_path(path, field)
            meta = self.schema.lookup(field_path)
            if isinstance(current, dict) and isinstance(value, dict):
                if meta.strategy == REPLACE_STRATEGY:
                    original[field] = value
                else:
                    original[field] = self.merge_map(current, value, field_path)
            elif isinstance(current, list) and isinstance(value, list):
                original[field] = self._merge_list(current, value, meta, field_path, deleting)
            else:
                original[field] = value
        return original

    def _merge_list(
        self,
        original: JSONArray,
        patch: JSONArray,
        meta: PatchMeta,
        path: str,
        deleting: bool,
    ) -> JSONArray:
        """``mergeSliceHandler``: merge lists that merge, else the patch list replaces."""
        if meta.strategy != MERGE_STRATEGY and not deleting:
            return patch
        if not original and not patch:
            return original
        kind = element_type(original, patch)
        if kind is not dict:
            if deleting:
                return delete_scalars(original, patch)
            merged = dedupe_scalars(original + patch)
            inside, outside = partition_scalars(merged, patch)
            return normalize_element_order(inside, outside, patch, original, "", maps=False)
        if not meta.merge_key:
            raise PatchFailed("cannot merge lists without merge key for struct")
        live, patch = _special_elements(_GoSlice(original), patch, meta.merge_key)
        # Go keeps the list as it was after the deletions; appends land past its end.
        server_length = live.length
        merged = self._merge_items(live, patch, meta.merge_key, item_path(path))
        inside, outside = partition_maps(merged, patch, meta.merge_key)
        server_order = live.storage[:server_length]
        return normalize_element_order(
            inside, outside, patch, server_order, meta.merge_key, maps=True
        )

    def _merge_items(
        self, live: _GoSlice, patch: JSONArray, merge_key: str, path: str
    ) -> JSONArray:
        """``mergeSliceWithoutSpecialElements``: merge into the item with the key, or append."""
        for item in patch:
            if not isinstance(item, dict) or merge_key not in item:
                raise no_merge_key(item, merge_key)
            position = find_by_key(live.items(), merge_key, item[merge_key])
            if position < 0:
                live.append(item)
                continue
            target = live.storage[position]
            assert isinstance(target, dict)  # find_by_key only matches maps
            live.storage[position] = self.merge_map(target, item, path)
        return live.items()

    def _merge_ordered_lists(self, original: JSONObject, patch: JSONObject, path: str) -> None:
        """``mergePatchIntoOriginal``: merge and order each list ``$setElementOrder`` names."""
        for key in [key for key in patch if key.startswith(SET_ELEMENT_ORDER)]:
            order = patch.pop(key)
            if not isinstance(order, list):
                raise bad_arg_type(LIST_TYPE, order)
            field = extract_key(key, SET_ELEMENT_ORDER)
            live = _list_member(original, field)
            sent = _list_member(patch, field)
            meta = self.schema.lookup(child_path(path, field))
            _check_order(sent or [], order, meta.merge_key)
            if live is None and sent is None:
                continue
            storage = live if live is not None else []
            length = len(storage)
            if sent is None:
                merged = storage
            elif live is None:
                cleaned, _ = remove_directives(sent)
                merged = cleaned if isinstance(cleaned, list) else []
            else:
                merged = self._merge_list(live, sent, meta, child_path(path, field), False)
            if meta.merge_key:
                inside, outside = partition_maps(merged, order, meta.merge_key)
            else:
                inside, outside = partition_scalars(merged, order)
            server_order = storage[:length]
            maps = element_type(server_order, sent or []) is dict
            original[field] = normalize_element_order(
                inside, outside, order, server_order, meta.merge_key, maps=maps
            )
            patch.pop(field, None)


def _store_cleaned(original: JSONObject, field: str, value: JSONValue) -> None:
    cleaned, keep = remove_directives(discard_nulls(value))
    if keep:
        original[field] = cleaned
    else:
        original.pop(field, None)


def _map_directive(patch: JSONObject) -> JSONObject:
    """``$patch`` on a map: ``replace`` stores the patch, ``delete`` empties the map."""
    directive = patch[DIRECTIVE]
    if directive == REPLACE:
        del patch[DIRECTIVE]
        return patch
    if directive == DELETE:
        return {}
    raise _unknown_directive(directive, patch)


def _unknown_directive(directive: JSONValue, item: JSONObject) -> PatchFailed:
    return PatchFailed(f"unknown patch type: {go_sprint_s(directive)} in map: {go_sprint(item)}")


def _apply_retain_keys(original: JSONObject, patch: JSONObject) -> None:
    """``$retainKeys``: drop every live key it does not list; the patch may only set those."""
    if RETAIN_KEYS not in patch:
        return
    retained = patch.pop(RETAIN_KEYS)
    if not isinstance(retained, list):
        raise PatchBadRequest(BAD_RETAIN_KEYS)
    allowed = {go_key(key) for key in retained}
    for key, value in patch.items():
        if value is None or key.startswith((DELETE_FROM_PRIMITIVE_LIST, SET_ELEMENT_ORDER)):
            continue
        if go_key(key) not in allowed:
            raise PatchBadRequest(BAD_RETAIN_KEYS)
    for key in [key for key in original if go_key(key) not in allowed]:
        del original[key]


def _list_member(container: JSONObject, field: str) -> JSONArray | None:
    """The list at ``field``, None if absent, or the type error kube gives for a non-list."""
    if field not in container:
        return None
    value = container[field]
    if not isinstance(value, list):
        raise bad_arg_type(LIST_TYPE, value)
    return value


def _check_order(sent: JSONArray, order: JSONArray, merge_key: str) -> None:
    """The patch list's items (deletions aside) must appear in ``$setElementOrder``, in order."""
    if not order or not sent:
        return
    remaining = sent
    if merge_key:
        for item in sent:
            if not isinstance(item, dict):
                raise bad_arg_type(MAP_TYPE, item)
        remaining = [item for item in sent if not _is_delete(item)]
    sent_index = order_index = 0
    while sent_index < len(remaining) and order_index < len(order):
        if has_directive(remaining[sent_index]):
            sent_index += 1
            continue
        if same_item(remaining[sent_index], order[order_index], merge_key):
            sent_index += 1
        order_index += 1
    if sent_index < len(remaining):
        raise PatchFailed(
            f"The order in patch list:\n{go_sprint(sent)}\n doesn't match "
            f"{SET_ELEMENT_ORDER} list:\n{go_sprint(order)}\n"
        )


def _is_delete(item: JSONValue) -> bool:
    return isinstance(item, dict) and item.get(DIRECTIVE) == DELETE


def _special_elements(
    live: _GoSlice, patch: JSONArray, merge_key: str
) -> tuple[_GoSlice, JSONArray]:
    """``mergeSliceWithSpecialElements``: apply ``$patch`` items, return the rest of the patch."""
    rest: JSONArray = []
    replace = False
    for item in patch:
        assert isinstance(item, dict)  # element_type() made every item a map
        if DIRECTIVE not in item:
            rest.append(item)
            continue
        directive = item[DIRECTIVE]
        if directive == DELETE:
            if merge_key not in item:
                raise no_merge_key(item, merge_key)
            while (position := find_by_key(live.items(), merge_key, item[merge_key])) >= 0:
                live.delete(position)
        elif directive == REPLACE:
            replace = True
        elif directive == MERGE:
            raise PatchFailed("merging lists cannot yet be specified in the patch")
        else:
            raise _unknown_directive(directive, item)
    if replace:
        return _GoSlice(rest), []
    return live, rest
