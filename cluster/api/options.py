"""Query parameters and request bodies, read and checked the way kube-apiserver reads them.

Every malformed parameter is a 400 BadRequest naming the parameter; a body in a media type we
do not decode is a 415. Duplicate JSON fields are reported according to ``fieldValidation``
(Strict: 400; Warn: a ``Warning`` header; Ignore: silence), as kube's strict decoding does.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import yaml
from django.http import HttpRequest, QueryDict

from cluster.api.protobuf import PROTOBUF, ProtobufError, UnknownKind
from cluster.api.protobuf import decode_object as decode_protobuf
from cluster.api.schema.decoding import (
    cannot_handle,
    prune_unknown,
    strict_decoding_error,
    type_errors,
    unknown_field_message,
    unknown_fields,
)
from cluster.registry.errors import BadRequest, StoreError
from cluster.registry.vocabulary import (
    FieldSelector,
    LabelSelector,
    parse_field_selector,
    parse_label_selector,
)

FIELD_VALIDATION = ("Strict", "Warn", "Ignore")
JSON_TYPES = ("application/json", "")
YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml")


class UnsupportedMediaType(StoreError):
    reason = "UnsupportedMediaType"
    code = 415


def _bool(query: QueryDict, name: str) -> bool:
    value = query.get(name, "")
    if value in ("", "false", "0", "False"):
        return False
    if value in ("true", "1", "True"):
        return True
    raise BadRequest(f"invalid value for {name}: {value!r} is not a boolean")


def _int(query: QueryDict, name: str) -> int | None:
    value = query.get(name)
    if value in (None, ""):
        return None
    try:
        return int(value)
    except ValueError:
        raise BadRequest(f"invalid value for {name}: {value!r} is not an integer") from None


@dataclass
class Options:
    """Everything a request says besides its path and body."""

    dry_run: bool = False
    field_validation: str = "Strict"
    field_manager: str = ""
    label_selector: LabelSelector | None = None
    field_selector: FieldSelector | None = None
    limit: int = 0
    continue_token: str = ""
    resource_version: str = ""
    resource_version_match: str = ""
    watch: bool = False
    allow_bookmarks: bool = False
    timeout_seconds: int | None = None
    send_initial_events: bool | None = None
    grace_period_seconds: int | None = None
    propagation_policy: str | None = None
    warnings: list[str] = field(default_factory=list)


def parse_options(query: QueryDict) -> Options:
    opts = Options()
    dry_run = query.getlist("dryRun")
    for value in dry_run:
        if value != "All":
            raise BadRequest(f'Invalid dry run value "{value}": only "All" is supported')
    opts.dry_run = bool(dry_run)
    validation = query.get("fieldValidation") or "Strict"
    if validation not in FIELD_VALIDATION:
        raise BadRequest(
            f'fieldValidation must be one of "Ignore", "Warn" or "Strict", got "{validation}"'
        )
    opts.field_validation = validation
    opts.field_manager = query.get("fieldManager", "")
    if len(opts.field_manager) > 128:
        raise BadRequest("fieldManager: Too long: may not be more than 128 bytes")
    labels, fields = query.get("labelSelector", ""), query.get("fieldSelector", "")
    if labels:
        opts.label_selector = parse_label_selector(labels)
    if fields:
        opts.field_selector = parse_field_selector(fields)
    opts.limit = _int(query, "limit") or 0
    opts.continue_token = query.get("continue", "")
    opts.resource_version = query.get("resourceVersion", "")
    opts.resource_version_match = query.get("resourceVersionMatch", "")
    opts.watch = _bool(query, "watch")
    opts.allow_bookmarks = _bool(query, "allowWatchBookmarks")
    opts.timeout_seconds = _int(query, "timeoutSeconds")
    if "sendInitialEvents" in query:
        opts.send_initial_events = _bool(query, "sendInitialEvents")
    opts.grace_period_seconds = _int(query, "gracePeriodSeconds")
    opts.propagation_policy = query.get("propagationPolicy") or None
    if opts.propagation_policy is None and "orphanDependents" in query:
        opts.propagation_policy = "Orphan" if _bool(query, "orphanDependents") else "Background"
    return opts


def media_type(request: HttpRequest) -> str:
    return (request.content_type or "").split(";")[0].strip().lower()


def _pairs(found: list[str]) -> Any:
    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        obj = dict(pairs)  # the last of duplicate keys wins, as in Go's decoder
        if len(obj) != len(pairs):  # rare: only then look for the duplicates, in order
            seen: set[str] = set()
            for key, _ in pairs:
                if key in seen:
                    found.append(key)
                seen.add(key)
        return obj

    return hook


def decode_object(body: bytes, content_type: str, opts: Options) -> dict[str, Any]:
    """Decode a request body into an object, honouring ``fieldValidation`` for duplicates."""
    if not body.strip():
        raise BadRequest("the body of the request was empty")
    if content_type == PROTOBUF:
        return _decode_protobuf(body, opts)
    duplicates: list[str] = []
    try:
        if content_type in JSON_TYPES:
            obj = json.loads(body, object_pairs_hook=_pairs(duplicates))
        elif content_type in YAML_TYPES:
            obj = yaml.safe_load(body)
        else:
            raise UnsupportedMediaType(
                "the body of the request was in an unknown format - accepted media types "
                "include: application/json, application/yaml, application/vnd.kubernetes.protobuf"
            )
    except (ValueError, yaml.YAMLError) as exc:
        raise BadRequest(f"the body of the request could not be decoded: {exc}") from None
    if not isinstance(obj, dict):
        raise BadRequest("the body of the request must be a JSON object")
    if duplicates:
        messages = [f'json: duplicate field "{key}"' for key in duplicates]
        if opts.field_validation == "Strict":
            raise BadRequest("strict decoding error: " + ", ".join(messages))
        if opts.field_validation == "Warn":
            opts.warnings.extend(messages)
    return obj


def _decode_protobuf(body: bytes, opts: Options) -> dict[str, Any]:
    """A protobuf body, as kubectl's typed clients send them.

    kube-apiserver drops protobuf fields it does not know without complaint (it checks unknown
    fields only in JSON and YAML); we do the same but say so in a warning.
    """
    unknown: list[str] = []
    try:
        obj = decode_protobuf(body, unknown_fields=unknown)
    except UnknownKind as exc:
        raise UnsupportedMediaType(str(exc)) from None
    except ProtobufError as exc:
        if not exc.kind:
            raise BadRequest(f"the body of the request could not be decoded: {exc}") from None
        version = exc.api_version.rpartition("/")[2]
        raise BadRequest(cannot_handle(exc.kind, version, str(exc))) from None
    opts.warnings.extend(unknown_field_message(path) for path in unknown)
    return obj


def conform(kind: str, api_version: str, obj: dict[str, Any], opts: Options) -> dict[str, Any]:
    """Check a decoded object against the schema of ``kind`` as kube's decoder does.

    A value of the wrong JSON type is a 400; unknown fields are a 400 with Strict, a warning
    with Warn, and dropped in every case (kube prunes what it does not know).
    """
    version = api_version.rpartition("/")[2] or api_version
    errors = type_errors(kind, obj)
    if errors:
        raise BadRequest(cannot_handle(kind, version, errors[0]))
    unknown = unknown_fields(kind, obj)
    if not unknown:
        return obj
    if opts.field_validation == "Strict":
        raise BadRequest(cannot_handle(kind, version, strict_decoding_error(unknown)))
    if opts.field_validation == "Warn":
        opts.warnings.extend(unknown_field_message(path) for path in unknown)
    return prune_unknown(kind, obj)
