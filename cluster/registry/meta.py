"""ObjectMeta: what every kind shares on create and update, validated as kube validates it.

Clients may not set uid, resourceVersion (on create), creationTimestamp, deletionTimestamp or
generation; the registry and the store own them. Names follow the kind's grammar; labels,
annotations, finalizers and ownerReferences follow apimachinery's rules.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from cluster.registry import names
from cluster.registry.errors import Cause, forbidden, invalid, required, too_long
from cluster.store.types import Object

ANNOTATIONS_MAX_BYTES = 256 * 1024
STANDARD_FINALIZERS = frozenset({"kubernetes", "orphan", "foregroundDeletion"})
_GENERATE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
_NAME_RULES: dict[str, Callable[[str], list[str]]] = {
    "subdomain": names.dns1123_subdomain,
    "label": names.dns1123_label,
    "dns1035": names.dns1035_label,
    "segment": names.path_segment_name,
}
_SERVER_OWNED = (
    "uid",
    "resourceVersion",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "generation",
    "managedFields",
    "selfLink",
)


def generate_name(prefix: str) -> str:
    """``generateName`` plus five random characters, as kube's SimpleNameGenerator does."""
    base = prefix[: names.DNS1123_SUBDOMAIN_MAX - 5]
    return base + "".join(secrets.choice(_GENERATE_ALPHABET) for _ in range(5))


def drop_empty(meta: dict[str, Any]) -> None:
    """Empty maps and lists are absent, as kube's ``omitempty`` serialisation leaves them."""
    for field in ("labels", "annotations", "finalizers", "ownerReferences"):
        if field in meta and not meta[field]:
            del meta[field]


def prepare_for_create(obj: Object, *, has_generation: bool = True) -> None:
    meta = obj.setdefault("metadata", {})
    for field in _SERVER_OWNED:
        meta.pop(field, None)
    drop_empty(meta)
    if has_generation:
        meta["generation"] = 1


def prepare_for_update(new: Object, old: Object) -> None:
    meta = new.setdefault("metadata", {})
    old_meta = old.get("metadata") or {}
    for field in (
        "uid",
        "creationTimestamp",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "generation",
        "managedFields",
    ):
        if field in old_meta:
            meta[field] = old_meta[field]
        else:
            meta.pop(field, None)
    meta.pop("selfLink", None)
    drop_empty(meta)


def bump_generation(new: Object, old: Object, generation_fields: tuple[str, ...]) -> None:
    """metadata.generation counts changes of the desired state (run after all defaulting)."""
    if any(new.get(f) != old.get(f) for f in generation_fields):
        old_generation = (old.get("metadata") or {}).get("generation") or 0
        new.setdefault("metadata", {})["generation"] = int(old_generation) + 1


def _each(field: str, problems: list[str], value: Any) -> list[Cause]:
    return [invalid(field, value, p) for p in problems]


def validate(obj: Object, *, name_rule: str, namespaced: bool) -> list[Cause]:
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        return [required("metadata")]
    causes: list[Cause] = []
    name = meta.get("name")
    if not name:
        causes.append(required("metadata.name", "name or generateName is required"))
    elif not isinstance(name, str):
        causes.append(invalid("metadata.name", name, "must be a string"))
    else:
        causes.extend(_each("metadata.name", _NAME_RULES[name_rule](name), name))
    namespace = meta.get("namespace")
    if namespaced and not namespace:
        causes.append(required("metadata.namespace"))
    elif not namespaced and namespace:
        causes.append(forbidden("metadata.namespace", "not allowed on this type"))
    causes.extend(_validate_labels(meta.get("labels")))
    causes.extend(_validate_annotations(meta.get("annotations")))
    causes.extend(_validate_finalizers(meta.get("finalizers")))
    causes.extend(_validate_owner_references(meta.get("ownerReferences")))
    return causes


def _validate_labels(labels: Any) -> list[Cause]:
    if labels is None:
        return []
    if not isinstance(labels, dict):
        return [invalid("metadata.labels", labels, "must be a map of string keys and values")]
    causes: list[Cause] = []
    for key, value in labels.items():
        causes.extend(_each("metadata.labels", names.qualified_name(key), key))
        if not isinstance(value, str):
            causes.append(invalid(f"metadata.labels[{key}]", value, "must be a string"))
        else:
            causes.extend(_each("metadata.labels", names.label_value(value), value))
    return causes


def _validate_annotations(annotations: Any) -> list[Cause]:
    if annotations is None:
        return []
    if not isinstance(annotations, dict):
        return [invalid("metadata.annotations", annotations, "must be a map of strings")]
    causes: list[Cause] = []
    size = 0
    for key, value in annotations.items():
        problems = names.qualified_name(key.lower())
        causes.extend(_each("metadata.annotations", problems, key))
        if not isinstance(value, str):
            causes.append(invalid(f"metadata.annotations[{key}]", value, "must be a string"))
            continue
        size += len(key.encode()) + len(value.encode())
    if size > ANNOTATIONS_MAX_BYTES:
        causes.append(too_long("metadata.annotations", ANNOTATIONS_MAX_BYTES))
    return causes


def _validate_finalizers(finalizers: Any) -> list[Cause]:
    if finalizers is None:
        return []
    if not isinstance(finalizers, list):
        return [invalid("metadata.finalizers", finalizers, "must be a list of strings")]
    causes: list[Cause] = []
    for i, finalizer in enumerate(finalizers):
        field = f"metadata.finalizers[{i}]"
        if not isinstance(finalizer, str):
            causes.append(invalid(field, finalizer, "must be a string"))
            continue
        causes.extend(_each(field, names.qualified_name(finalizer), finalizer))
        if "/" not in finalizer and finalizer not in STANDARD_FINALIZERS:
            causes.append(
                invalid(
                    field,
                    finalizer,
                    "name is neither a standard finalizer name nor is it fully qualified",
                )
            )
    return causes


def _validate_owner_references(refs: Any) -> list[Cause]:
    if refs is None:
        return []
    if not isinstance(refs, list):
        return [invalid("metadata.ownerReferences", refs, "must be a list")]
    causes: list[Cause] = []
    controllers = 0
    for i, ref in enumerate(refs):
        field = f"metadata.ownerReferences[{i}]"
        if not isinstance(ref, dict):
            causes.append(invalid(field, ref, "must be an object"))
            continue
        for key in ("apiVersion", "kind", "name", "uid"):
            if not ref.get(key):
                causes.append(required(f"{field}.{key}", f"{key} must not be empty"))
        if ref.get("controller"):
            controllers += 1
    if controllers > 1:
        causes.append(
            invalid(
                "metadata.ownerReferences",
                refs,
                "Only one reference can have Controller set to true",
            )
        )
    return causes


def validate_update(new: Object, old: Object) -> list[Cause]:
    meta = new.get("metadata") or {}
    old_meta = old.get("metadata") or {}
    causes = []
    for field in ("name", "namespace"):
        if meta.get(field) != old_meta.get(field):
            causes.append(invalid(f"metadata.{field}", meta.get(field), "field is immutable"))
    return causes
