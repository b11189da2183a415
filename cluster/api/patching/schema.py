"""Where a kind's lists merge by key: the patch metadata strategic merge patch relies on.

Kubernetes declares it on its Go types as struct tags, for example
``patchStrategy:"merge" patchMergeKey:"name"`` on ``PodSpec.Containers``; the apiserver merges
by those tags, and the OpenAPI document publishes them as ``x-kubernetes-patch-strategy`` and
``x-kubernetes-patch-merge-key``. Here the same facts are a table per kind, keyed by a field
path in which ``[]`` steps into list items: ``spec.containers[].env``. A field not in the table
has no strategy: its lists are replaced whole and its objects merged key by key.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

MERGE_STRATEGY = "merge"
REPLACE_STRATEGY = "replace"
RETAIN_KEYS_STRATEGY = "retainKeys"


@dataclass(frozen=True)
class PatchMeta:
    """One field's ``patchStrategy`` (comma-separated, as in the tag) and ``patchMergeKey``."""

    strategies: tuple[str, ...] = ()
    merge_key: str = ""

    @property
    def strategy(self) -> str:
        """The strategy other than ``retainKeys``: ``merge``, ``replace`` or ``""``."""
        others = [strategy for strategy in self.strategies if strategy != RETAIN_KEYS_STRATEGY]
        return others[0] if others else ""

    def openapi_extensions(self) -> dict[str, str]:
        """The OpenAPI vendor extensions kube-apiserver publishes for this field."""
        extensions: dict[str, str] = {}
        if self.merge_key:
            extensions["x-kubernetes-patch-merge-key"] = self.merge_key
        if self.strategies:
            extensions["x-kubernetes-patch-strategy"] = ",".join(self.strategies)
        return extensions


NO_STRATEGY = PatchMeta()


def merge_by(key: str = "", *, retain_keys: bool = False) -> PatchMeta:
    """``patchStrategy:"merge"`` (plus ``retainKeys``), merged by ``key`` if it has one."""
    strategies = (MERGE_STRATEGY, RETAIN_KEYS_STRATEGY) if retain_keys else (MERGE_STRATEGY,)
    return PatchMeta(strategies, key)


def nest(prefix: str, fields: Mapping[str, PatchMeta]) -> dict[str, PatchMeta]:
    """The same field table, placed under ``prefix`` (a field path, possibly ending in ``[]``)."""
    return {f"{prefix}.{path}": meta for path, meta in fields.items()}


def child_path(parent: str, field: str) -> str:
    """The path of ``field`` inside the object at ``parent`` (``""`` is the object itself)."""
    return f"{parent}.{field}" if parent else field


def item_path(list_path: str) -> str:
    """The path of the items of the list at ``list_path``."""
    return f"{list_path}[]"


@dataclass(frozen=True)
class PatchSchema:
    """The patch metadata of one kind: field path to ``PatchMeta``."""

    kind: str
    fields: Mapping[str, PatchMeta]

    def lookup(self, path: str) -> PatchMeta:
        return self.fields.get(path, NO_STRATEGY)

    def __iter__(self) -> Iterator[tuple[str, PatchMeta]]:
        return iter(sorted(self.fields.items()))
