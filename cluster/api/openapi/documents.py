"""The OpenAPI documents as kube-apiserver serves them, computed once per process.

drf-spectacular's document (``cluster.api.openapi.generator``) is reshaped into kube's:

- Path parameters shared by every operation of a path (``name``, ``namespace``) move to the
  path item, as kube publishes them.
- List fields get ``x-kubernetes-patch-merge-key`` and ``x-kubernetes-patch-strategy`` from
  the patch tables of ``cluster.api.patching`` (the same tables strategic merge patch applies),
  found by walking each kind's schema with kind-relative paths (``spec.containers[].ports``).
  kubectl reads them to compute the patches of ``kubectl apply``.
- The document is split per group version, as ``/openapi/v3/api/v1`` and
  ``/openapi/v3/apis/coordination.k8s.io/v1`` (and the discovery documents ``api``, ``apis``,
  ``apis/<group>`` and ``version``), each with only the components its paths reach.
- Each part is encoded once, and named in the ``/openapi/v3`` index by the upper-case hex
  SHA-512 of its bytes, as kube-openapi does, so that clients can cache it for good.

The whole document, unsplit, is what the human docs (``/api/docs/``) show.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from cluster.api.openapi.generator import generate
from cluster.api.openapi.operations import all_paths
from cluster.api.patching import SCHEMAS, openapi_patch_extensions
from cluster.api.schema.kinds import serializer_for
from cluster.api.schema.naming import TYPES
from cluster.registry.catalog import RESOURCES

REF_PREFIX = "#/components/schemas/"
HOISTED_PARAMETERS = ("name", "namespace")
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

Document = dict[str, Any]


@dataclass(frozen=True)
class Encoded:
    """A document as served: its bytes and their hash."""

    body: bytes
    hash: str

    @classmethod
    def of(cls, document: Document) -> Encoded:
        body = orjson.dumps(document)
        return cls(body, hashlib.sha512(body).hexdigest().upper())


@dataclass(frozen=True)
class Documents:
    """Everything the OpenAPI endpoints serve."""

    full: Encoded
    group_versions: dict[str, Encoded]  # "api/v1" -> the document of that group version
    index: Encoded  # the /openapi/v3 document listing them

    def get(self, group_version: str) -> Encoded | None:
        return self.group_versions.get(group_version)


_lock = threading.Lock()
_documents: Documents | None = None


def documents() -> Documents:
    """The documents of this process, generated on first use."""
    global _documents
    with _lock:
        if _documents is None:
            _documents = build()
        return _documents


def build() -> Documents:
    full = kube_document()
    encoded = {key: Encoded.of(part) for key, part in split(full)}
    index = {
        "paths": {
            key: {"serverRelativeURL": f"/openapi/v3/{key}?hash={e.hash}"}
            for key, e in sorted(encoded.items())
        }
    }
    return Documents(Encoded.of(full), encoded, Encoded.of(index))


def kube_document() -> Document:
    """drf-spectacular's document of every path we serve, in kube's shape."""
    document = generate(all_paths(RESOURCES))
    _hoist_path_parameters(document["paths"])
    schemas = document["components"]["schemas"]
    _add_patch_extensions(schemas)
    _tidy(document)
    return document


# -- path parameters --


def _hoist_path_parameters(paths: dict[str, Any]) -> None:
    for item in paths.values():
        operations = [item[m] for m in _METHODS if m in item]
        hoisted = [
            p
            for p in operations[0].get("parameters", [])
            if p["in"] == "path" and p["name"] in HOISTED_PARAMETERS
        ]
        for operation in operations:
            kept = [p for p in operation.get("parameters", []) if p not in hoisted]
            if kept:
                operation["parameters"] = kept
            else:
                operation.pop("parameters", None)
        if hoisted:
            item["parameters"] = hoisted


# -- patch metadata --


def _add_patch_extensions(schemas: dict[str, Any]) -> None:
    """Publish the patch tables on the list fields they are about.

    Components are shared between kinds (Container is in Pod and in ReplicationController's
    template), so every kind with a patch table is walked and the extensions a field gets must
    agree; a disagreement is a bug in the tables and fails generation.
    """
    decided: dict[tuple[str, str], dict[str, str]] = {}
    for kind in SCHEMAS:
        serializer = serializer_for(kind)
        if serializer is None:
            continue
        root = TYPES[serializer].component
        for component, field, path in _fields(schemas, root, "", set()):
            extensions = openapi_patch_extensions(kind, path)
            previous = decided.setdefault((component, field), extensions)
            if previous != extensions:
                raise ValueError(
                    f"{component}.{field}: {kind} {path} has patch metadata {extensions}, "
                    f"another kind {previous}"
                )
            schemas[component]["properties"][field].update(extensions)


def _fields(
    schemas: dict[str, Any], component: str, prefix: str, visiting: set[str]
) -> Iterator[tuple[str, str, str]]:
    """(component, field, kind-relative path) for every field reachable from ``component``."""
    if component in visiting:  # a recursive type: its fields are already being visited
        return
    visiting = visiting | {component}
    for field, schema in schemas[component].get("properties", {}).items():
        path = f"{prefix}.{field}" if prefix else field
        yield component, field, path
        target, path = _target(schema, path)
        if target is not None:
            yield from _fields(schemas, target, path, visiting)


def _target(schema: dict[str, Any], path: str) -> tuple[str | None, str]:
    """The component a field's schema leads to, and the path of its fields' parent."""
    if "items" in schema:
        return _target(schema["items"], path + "[]")
    if "allOf" in schema:
        return _target(schema["allOf"][0], path)
    ref = schema.get("$ref", "")
    return (ref.removeprefix(REF_PREFIX), path) if ref.startswith(REF_PREFIX) else (None, path)


# -- descriptions --


_SINGLE_NEWLINE = re.compile(r"(?<!\n)\n(?!\n)")


def _tidy(node: Any) -> None:
    """Unwrap the lines of descriptions (docstrings wrap them; kubectl explain wraps them
    itself) and drop ``nullable``: every serializer field accepts null, as kube's decoder
    does, and kube's documents do not say so either."""
    if isinstance(node, dict):
        if node.get("nullable") is True:
            del node["nullable"]
        for key, value in node.items():
            if key == "description" and isinstance(value, str):
                node[key] = _SINGLE_NEWLINE.sub(" ", value)
            else:
                _tidy(value)
    elif isinstance(node, list):
        for value in node:
            _tidy(value)


# -- splitting --


def group_version_of(path: str) -> str:
    """The document a path belongs in: ``/api/v1/pods`` is in ``api/v1``."""
    parts = path.strip("/").split("/")
    if parts[0] == "api":
        return "/".join(parts[:2])
    if parts[0] == "apis":
        return "/".join(parts[:3])
    return parts[0]


def split(document: Document) -> Iterator[tuple[str, Document]]:
    """One document per group version, each with the components its paths reach."""
    by_group_version: dict[str, dict[str, Any]] = {}
    for path, item in document["paths"].items():
        by_group_version.setdefault(group_version_of(path), {})[path] = item
    schemas = document["components"]["schemas"]
    for key, paths in by_group_version.items():
        part = {k: v for k, v in document.items() if k not in ("paths", "components")}
        part["paths"] = paths
        components = {k: v for k, v in document["components"].items() if k != "schemas"}
        components["schemas"] = {name: schemas[name] for name in sorted(_reached(paths, schemas))}
        part["components"] = components
        yield key, part


def _reached(node: Any, schemas: dict[str, Any]) -> set[str]:
    found: set[str] = set()
    pending = [node]
    while pending:
        current = pending.pop()
        if isinstance(current, dict):
            ref = current.get("$ref")
            if isinstance(ref, str) and ref.startswith(REF_PREFIX):
                name = ref.removeprefix(REF_PREFIX)
                if name not in found:
                    found.add(name)
                    pending.append(schemas[name])
            pending.extend(current.values())
        elif isinstance(current, list):
            pending.extend(current)
    return found
