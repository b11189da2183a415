"""A pod's volumes: defaults and kube's validation.

Each volume has a DNS-label name, unique in the pod, and exactly one source. A volume that names
no source is an emptyDir. The common sources (emptyDir, hostPath, configMap, secret,
persistentVolumeClaim, projected, downwardAPI, nfs) are checked in depth; the rest are counted,
so that two sources on one volume are refused whatever they are.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cluster.registry import names
from cluster.registry.errors import Cause, duplicate, forbidden, invalid, not_supported, required
from cluster.registry.kinds import quantity
from cluster.registry.kinds.envvars import (
    VOLUME_FIELD_PATHS,
    default_field_ref,
    field_ref_causes,
    resource_field_ref_causes,
)
from cluster.registry.kinds.formats import each
from cluster.registry.kinds.shapes import child, entries, index, is_int, mapping, text, wrong_type

# Every source kube knows, in the order it checks them: the first one set wins and each further
# one is "more than 1 volume type". Two error paths are spelled as kube spells them.
_SOURCES = [
    "emptyDir",
    "hostPath",
    "gitRepo",
    "gcePersistentDisk",
    "awsElasticBlockStore",
    "secret",
    "nfs",
    "iscsi",
    "glusterfs",
    "flocker",
    "persistentVolumeClaim",
    "rbd",
    "cinder",
    "cephfs",
    "quobyte",
    "downwardAPI",
    "fc",
    "flexVolume",
    "configMap",
    "azureFile",
    "vsphereVolume",
    "photonPersistentDisk",
    "portworxVolume",
    "azureDisk",
    "storageos",
    "projected",
    "scaleIO",
    "csi",
    "ephemeral",
    "image",
]
_ERROR_SPELLING = {"cephfs": "cephFS", "downwardAPI": "downwarAPI"}
HOST_PATH_TYPES = [
    "",
    "BlockDevice",
    "CharDevice",
    "Directory",
    "DirectoryOrCreate",
    "File",
    "FileOrCreate",
    "Socket",
]
DEFAULT_MODE = 0o644
_MODE_PROBLEM = "must be a number between 0 and 0777 (octal), both inclusive"
_TOKEN_DEFAULT_SECONDS = 3600

Check = Callable[[dict[str, Any], str], list[Cause]]


def default_volumes(volumes: Any) -> None:
    for _, volume in entries(volumes):
        if not any(volume.get(source) is not None for source in _SOURCES):
            volume["emptyDir"] = {}
        if isinstance(volume.get("hostPath"), dict):
            volume["hostPath"].setdefault("type", "")
        for source in ("secret", "configMap", "downwardAPI", "projected"):
            if isinstance(volume.get(source), dict) and volume[source].get("defaultMode") is None:
                volume[source]["defaultMode"] = DEFAULT_MODE
        for _, item in entries(mapping(volume.get("downwardAPI")).get("items")):
            default_field_ref(item.get("fieldRef"))
        for _, projection in entries(mapping(volume.get("projected")).get("sources")):
            for _, item in entries(mapping(projection.get("downwardAPI")).get("items")):
                default_field_ref(item.get("fieldRef"))
            token = projection.get("serviceAccountToken")
            if isinstance(token, dict) and token.get("expirationSeconds") is None:
                token["expirationSeconds"] = _TOKEN_DEFAULT_SECONDS


def validate_volumes(volumes: Any, path: str) -> tuple[dict[str, dict[str, Any]], list[Cause]]:
    """Causes, and the valid volumes by name (containers may only mount those)."""
    if volumes is None:
        return {}, []
    if not isinstance(volumes, list):
        return {}, [wrong_type(path, volumes, "a list")]
    valid: dict[str, dict[str, Any]] = {}
    causes: list[Cause] = []
    seen: set[str] = set()
    for i, volume in entries(volumes):
        volume_path = index(path, i)
        name = volume.get("name")
        found = _source_causes(volume, volume_path)
        if not name:
            found.append(required(child(volume_path, "name")))
        elif not isinstance(name, str):
            found.append(wrong_type(child(volume_path, "name"), name, "a string"))
        else:
            found += each(child(volume_path, "name"), names.dns1123_label(name), name)
            if name in seen:
                found.append(duplicate(child(volume_path, "name"), name))
        if found or not isinstance(name, str):
            causes += found
        else:
            seen.add(name)
            valid[name] = volume
    return valid, causes


def _source_causes(volume: dict[str, Any], path: str) -> list[Cause]:
    chosen = [source for source in _SOURCES if volume.get(source) is not None]
    if not chosen:
        return [required(path, "must specify a volume type")]
    causes = [
        forbidden(child(path, _ERROR_SPELLING.get(s, s)), "may not specify more than 1 volume type")
        for s in chosen[1:]
    ]
    source = chosen[0]
    value, source_path = volume[source], child(path, source)
    if not isinstance(value, dict):
        return [*causes, wrong_type(source_path, value, "an object")]
    check = _CHECKS.get(source)
    return causes + (check(value, source_path) if check else [])


def _empty_dir(source: dict[str, Any], path: str) -> list[Cause]:
    limit = source.get("sizeLimit")
    if limit is None:
        return []
    try:
        negative = quantity.parse(limit).value < 0
    except quantity.QuantityError as err:
        return [invalid(child(path, "sizeLimit"), limit, str(err))]
    if negative:
        return [
            forbidden(child(path, "sizeLimit"), "SizeLimit field must be a valid resource quantity")
        ]
    return []


def _host_path(source: dict[str, Any], path: str) -> list[Cause]:
    host_path = text(source.get("path"))
    if not host_path:
        return [required(child(path, "path"))]
    causes = _no_backsteps(host_path, child(path, "path"))
    kind = source.get("type")
    if kind is not None and kind not in HOST_PATH_TYPES:
        causes.append(not_supported(child(path, "type"), kind, HOST_PATH_TYPES))
    return causes


def _no_backsteps(target: str, path: str) -> list[Cause]:
    if ".." in target.replace("\\", "/").split("/"):
        return [invalid(path, target, "must not contain '..'")]
    return []


def descending_path_causes(target: str, path: str) -> list[Cause]:
    """Kube's ``validateLocalDescendingPath``: relative, with no '..' element."""
    causes = [invalid(path, target, "must be a relative path")] if target.startswith("/") else []
    return causes + _no_backsteps(target, path)


def relative_unreserved_causes(target: str, path: str) -> list[Cause]:
    """Kube's ``ValidateLocalNonReservedPath``: relative, no '..' element, not starting '..'."""
    causes = descending_path_causes(target, path)
    if target.startswith("..") and not target.startswith("../"):
        causes.append(invalid(path, target, "must not start with '..'"))
    return causes


def _mode(value: Any, path: str) -> list[Cause]:
    if value is None:
        return []
    if not is_int(value):
        return [wrong_type(path, value, "an integer")]
    return [] if 0 <= value <= 0o777 else [invalid(path, value, _MODE_PROBLEM)]


def _items(items: Any, path: str) -> list[Cause]:
    causes: list[Cause] = []
    for i, item in entries(items):
        item_path, item_key, item_file = index(path, i), item.get("key"), text(item.get("path"))
        if not item_key:
            causes.append(required(child(item_path, "key")))
        if not item_file:
            causes.append(required(child(item_path, "path")))
        causes += relative_unreserved_causes(item_file, child(item_path, "path"))
        causes += _mode(item.get("mode"), child(item_path, "mode"))
    return causes


def _named(field: str) -> Check:
    def check(source: dict[str, Any], path: str) -> list[Cause]:
        causes = [] if source.get(field) else [required(child(path, field))]
        causes += _mode(source.get("defaultMode"), child(path, "defaultMode"))
        return causes + _items(source.get("items"), child(path, "items"))

    return check


def _claim(source: dict[str, Any], path: str) -> list[Cause]:
    return [] if source.get("claimName") else [required(child(path, "claimName"))]


def _nfs(source: dict[str, Any], path: str) -> list[Cause]:
    causes = [] if source.get("server") else [required(child(path, "server"))]
    export = text(source.get("path"))
    if not export:
        causes.append(required(child(path, "path")))
    if not export.startswith("/"):
        causes.append(invalid(child(path, "path"), export, "must be an absolute path"))
    return causes


def _downward_files(items: Any, path: str) -> list[Cause]:
    """Files of a downward-API volume; kube reports their fields under the volume's path."""
    causes: list[Cause] = []
    for _, item in entries(items):
        file_path = text(item.get("path"))
        if not file_path:
            causes.append(required(child(path, "path")))
        causes += relative_unreserved_causes(file_path, child(path, "path"))
        field_ref, resource_ref = item.get("fieldRef"), item.get("resourceFieldRef")
        if isinstance(field_ref, dict):
            causes += field_ref_causes(field_ref, child(path, "fieldRef"), VOLUME_FIELD_PATHS)
            if resource_ref is not None:
                detail = "fieldRef and resourceFieldRef can not be specified simultaneously"
                causes.append(invalid(path, "resource", detail))
        elif isinstance(resource_ref, dict):
            ref_path = child(path, "resourceFieldRef")
            causes += resource_field_ref_causes(resource_ref, ref_path, in_volume=True)
        else:
            causes.append(required(path, "one of fieldRef and resourceFieldRef is required"))
        causes += _mode(item.get("mode"), child(path, "mode"))
    return causes


def _downward_api(source: dict[str, Any], path: str) -> list[Cause]:
    causes = _mode(source.get("defaultMode"), child(path, "defaultMode"))
    return causes + _downward_files(source.get("items"), path)


def _projected(source: dict[str, Any], path: str) -> list[Cause]:
    causes = _mode(source.get("defaultMode"), child(path, "defaultMode"))
    paths: set[str] = set()
    for i, projection in entries(source.get("sources")):
        source_path = index(child(path, "sources"), i)
        kinds = [k for k, v in projection.items() if v is not None]
        if len(kinds) > 1:
            detail = "may not specify more than 1 volume type per source"
            causes.append(forbidden(source_path, detail))
        for kind in kinds:
            causes += _projection(kind, mapping(projection[kind]), path, source_path, paths)
    return causes


def _projection(
    kind: str, value: dict[str, Any], path: str, source_path: str, paths: set[str]
) -> list[Cause]:
    causes: list[Cause] = []
    kind_path = child(source_path, kind)
    files: list[str] = []
    if kind in ("secret", "configMap"):
        if not value.get("name"):
            causes.append(required(child(kind_path, "name")))
        causes += _items(value.get("items"), child(kind_path, "items"))
        files = [text(item.get("path")) for _, item in entries(value.get("items"))]
        label = text(value.get("name"))
    elif kind == "downwardAPI":
        causes += _downward_files(value.get("items"), kind_path)
        files = [text(item.get("path")) for _, item in entries(value.get("items"))]
        label = ""
    elif kind == "serviceAccountToken":
        causes += _token(value, path, kind_path)
    for file in filter(None, files):
        if file in paths:
            causes.append(invalid(path, label or file, "conflicting duplicate paths"))
        paths.add(file)
    return causes


def _token(value: dict[str, Any], path: str, kind_path: str) -> list[Cause]:
    causes: list[Cause] = []
    seconds = value.get("expirationSeconds")
    seconds_path = child(kind_path, "expirationSeconds")
    if is_int(seconds) and seconds < 600:
        causes.append(
            invalid(seconds_path, seconds, "may not specify a duration less than 10 minutes")
        )
    if is_int(seconds) and seconds > 1 << 32:
        causes.append(
            invalid(seconds_path, seconds, "may not specify a duration larger than 2^32 seconds")
        )
    token_file = text(value.get("path"))
    if not token_file:
        causes.append(required(child(path, "path")))
    else:
        causes += relative_unreserved_causes(token_file, child(path, "path"))
    return causes


_CHECKS: dict[str, Check] = {
    "emptyDir": _empty_dir,
    "hostPath": _host_path,
    "secret": _named("secretName"),
    "configMap": _named("name"),
    "persistentVolumeClaim": _claim,
    "downwardAPI": _downward_api,
    "projected": _projected,
    "nfs": _nfs,
}
