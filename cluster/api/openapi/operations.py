"""Every HTTP operation the API serves, declared as kube-apiserver names and describes it.

Resource paths are served by one async dispatcher (``cluster.api.views``), not by DRF views, so
there is nothing for drf-spectacular to discover. This module declares the operations instead:
for each resource of the catalog, the collection, object, subresource and all-namespaces
paths with their verbs, kube's operationIds (``listCoreV1NamespacedPod``,
``patchCoreV1NamespacedPodStatus``), ``x-kubernetes-action`` and
``x-kubernetes-group-version-kind``, the query parameters we honour, and the serializers of
request and response bodies. ``cluster.api.openapi.generator`` turns the declarations into
drf-spectacular input.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

from cluster.api.patching import PATCH_TYPES
from cluster.api.schema.discovery import (
    APIGroupListSerializer,
    APIGroupSerializer,
    APIResourceListSerializer,
    APIVersionsSerializer,
    VersionInfoSerializer,
)
from cluster.api.schema.kinds import serializer_for
from cluster.api.schema.meta import DeleteOptionsSerializer, PatchSerializer, StatusSerializer
from cluster.api.schema.naming import GroupVersionKind, Serializer
from cluster.api.target import EXTRA_SUBRESOURCES
from cluster.registry.resources import Resource, ResourceTable

JSON = "application/json"
YAML = "application/yaml"
WATCH_STREAM = "application/json;stream=watch"
# The media types of object bodies that cluster.api.options decodes.
BODY_TYPES = (JSON, YAML)


def _query(name: str, kind: OpenApiTypes, doc: str) -> OpenApiParameter:
    return OpenApiParameter(name, kind, OpenApiParameter.QUERY, description=doc)


DRY_RUN = _query(
    "dryRun",
    OpenApiTypes.STR,
    "When present, modifications are not persisted; every stage of the request runs. The only "
    "valid value is All.",
)
FIELD_MANAGER = _query(
    "fieldManager",
    OpenApiTypes.STR,
    "A name for the actor making the change: at most 128 printable characters.",
)
FIELD_VALIDATION = _query(
    "fieldValidation",
    OpenApiTypes.STR,
    "How the server treats unknown and duplicate fields in the body: Ignore drops them, Warn "
    "accepts the request with a Warning header for each, Strict (the default) fails the "
    "request.",
)
WRITE_PARAMETERS = (DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION)

LIST_PARAMETERS = (
    _query("labelSelector", OpenApiTypes.STR, "Only objects whose labels match this selector."),
    _query("fieldSelector", OpenApiTypes.STR, "Only objects whose fields match this selector."),
    _query(
        "watch",
        OpenApiTypes.BOOL,
        "Stream ADDED, MODIFIED and DELETED events instead of returning a list; start from "
        "resourceVersion.",
    ),
    _query(
        "allowWatchBookmarks",
        OpenApiTypes.BOOL,
        "Send BOOKMARK events carrying the current resourceVersion in a watch.",
    ),
    _query(
        "sendInitialEvents",
        OpenApiTypes.BOOL,
        "Start a watch with an ADDED event for every existing object, then a bookmark "
        "annotated k8s.io/initial-events-end.",
    ),
    _query(
        "resourceVersion",
        OpenApiTypes.STR,
        "Which resource version the list or watch is served from; see resourceVersionMatch.",
    ),
    _query(
        "resourceVersionMatch",
        OpenApiTypes.STR,
        "How resourceVersion applies to a list: NotOlderThan or Exact.",
    ),
    _query(
        "timeoutSeconds",
        OpenApiTypes.INT,
        "Limit on the duration of a list or watch call, whatever the activity.",
    ),
    _query(
        "limit",
        OpenApiTypes.INT,
        "The most objects to return; more are then announced by metadata.continue.",
    ),
    _query(
        "continue",
        OpenApiTypes.STR,
        "The metadata.continue token of the previous page of the same list. Expired tokens "
        "get 410 Gone.",
    ),
)

DELETE_PARAMETERS = (
    _query(
        "gracePeriodSeconds",
        OpenApiTypes.INT,
        "Seconds before the object is deleted; zero means at once. Unset means the default "
        "for the kind.",
    ),
    _query(
        "orphanDependents",
        OpenApiTypes.BOOL,
        "Deprecated: use propagationPolicy. Whether dependents are orphaned.",
    ),
    _query(
        "propagationPolicy",
        OpenApiTypes.STR,
        "How dependents are garbage collected: Orphan, Background or Foreground.",
    ),
    DRY_RUN,
)

NAMESPACE_PARAMETER = OpenApiParameter(
    "namespace",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="object name and auth scope, such as for teams and projects",
)


def name_parameter(kind: str) -> OpenApiParameter:
    return OpenApiParameter(
        "name", OpenApiTypes.STR, OpenApiParameter.PATH, description=f"name of the {kind}"
    )


@dataclass(frozen=True)
class Response:
    """One status code of an operation: its description and body per media type."""

    code: int
    description: str
    body: type[Serializer]
    media_types: tuple[str, ...] = (JSON,)


@dataclass(frozen=True)
class Operation:
    """One method on one path, with everything its OpenAPI operation says."""

    method: str
    operation_id: str
    description: str
    tag: str
    action: str = ""  # x-kubernetes-action; discovery operations have none
    gvk: GroupVersionKind | None = None
    parameters: tuple[OpenApiParameter, ...] = ()
    request: dict[str, type[Serializer]] = field(default_factory=dict)
    responses: tuple[Response, ...] = ()


@dataclass(frozen=True)
class PathItem:
    """A path, as a Django route (``api/v1/namespaces/<str:namespace>/pods``), and its
    operations. Path parameters are declared on every operation."""

    route: str
    operations: tuple[Operation, ...]
    path_parameters: tuple[OpenApiParameter, ...] = ()


def group_version_prefix(group: str, version: str) -> str:
    """kube's operationId infix: ``CoreV1``, ``CoordinationV1``, ``AutoscalingV1``."""
    words = ["core"] if not group else group.removesuffix(".k8s.io").split(".")
    return "".join(w[:1].upper() + w[1:] for w in words) + version[:1].upper() + version[1:]


def group_version_tag(group: str, version: str) -> str:
    """kube's tag for the operations of a group version: ``core_v1``, ``coordination_v1``."""
    name = "core" if not group else group.removesuffix(".k8s.io").replace(".", "_")
    return f"{name}_{version}"


def root_route(group: str, version: str) -> str:
    return f"api/{version}" if not group else f"apis/{group}/{version}"


# -- resources --


@dataclass(frozen=True)
class _Kind:
    """What the operations of one resource (or subresource) need to know."""

    resource: Resource
    prefix: str  # CoreV1
    tag: str
    scope: str  # "Namespaced" or ""

    @property
    def kind(self) -> str:
        return self.resource.kind

    @property
    def gvk(self) -> GroupVersionKind:
        r = self.resource
        return GroupVersionKind(r.group, r.version, r.kind)

    @property
    def object_schema(self) -> type[Serializer]:
        return _schema(self.kind)

    @property
    def list_schema(self) -> type[Serializer]:
        return _schema(self.resource.list_kind)

    def operation(
        self,
        method: str,
        verb: str,
        *,
        description: str,
        action: str,
        gvk: GroupVersionKind,
        responses: tuple[Response, ...],
        parameters: tuple[OpenApiParameter, ...] = (),
        request: dict[str, type[Serializer]] | None = None,
        infix: str = "",
        suffix: str = "",
    ) -> Operation:
        """An operation named as kube names it: ``deleteCoreV1CollectionNamespacedPod``."""
        return Operation(
            method,
            f"{verb}{self.prefix}{infix}{self.scope}{self.kind}{suffix}",
            description,
            self.tag,
            action=action,
            gvk=gvk,
            parameters=parameters,
            request=request or {},
            responses=responses,
        )


def _schema(kind: str) -> type[Serializer]:
    serializer = serializer_for(kind)
    if serializer is None:
        raise LookupError(f"no schema for the kind {kind}: add its serializer")
    return serializer


def _ok(body: type[Serializer], *codes: int) -> tuple[Response, ...]:
    names = {200: "OK", 201: "Created", 202: "Accepted"}
    return tuple(Response(code, names[code], body) for code in codes)


def _collection_operations(k: _Kind) -> Iterator[Operation]:
    verbs = k.resource.verbs
    if "list" in verbs:
        yield k.operation(
            "get",
            "list",
            description=f"list or watch objects of kind {k.kind}",
            action="list",
            gvk=k.gvk,
            parameters=LIST_PARAMETERS,
            responses=(Response(200, "OK", k.list_schema, (JSON, WATCH_STREAM)),),
        )
    if "create" in verbs:
        yield k.operation(
            "post",
            "create",
            description=f"create a {k.kind}",
            action="post",
            gvk=k.gvk,
            parameters=WRITE_PARAMETERS,
            request=dict.fromkeys(BODY_TYPES, k.object_schema),
            responses=_ok(k.object_schema, 200, 201, 202),
        )
    if "deletecollection" in verbs:
        yield k.operation(
            "delete",
            "delete",
            infix="Collection",
            description=f"delete collection of {k.kind}",
            action="deletecollection",
            gvk=k.gvk,
            parameters=(*DELETE_PARAMETERS, *LIST_PARAMETERS),
            request={JSON: DeleteOptionsSerializer},
            responses=_ok(k.list_schema, 200),
        )


def _object_operations(k: _Kind) -> Iterator[Operation]:
    verbs = k.resource.verbs
    if "get" in verbs:
        yield k.operation(
            "get",
            "read",
            description=f"read the specified {k.kind}",
            action="get",
            gvk=k.gvk,
            responses=_ok(k.object_schema, 200),
        )
    if "update" in verbs:
        yield k.operation(
            "put",
            "replace",
            description=f"replace the specified {k.kind}",
            action="put",
            gvk=k.gvk,
            parameters=WRITE_PARAMETERS,
            request=dict.fromkeys(BODY_TYPES, k.object_schema),
            responses=_ok(k.object_schema, 200, 201),
        )
    if "patch" in verbs:
        yield _patch(k, k.object_schema, k.gvk, suffix="", what=f"the specified {k.kind}")
    if "delete" in verbs:
        yield k.operation(
            "delete",
            "delete",
            description=f"delete a {k.kind}",
            action="delete",
            gvk=k.gvk,
            parameters=DELETE_PARAMETERS,
            request={JSON: DeleteOptionsSerializer},
            responses=_ok(k.object_schema, 200, 202),
        )


def _patch(
    k: _Kind, body: type[Serializer], gvk: GroupVersionKind, *, suffix: str, what: str
) -> Operation:
    # kubectl looks for fieldValidation among the parameters of the PATCH operations of a
    # kind to decide that the server validates fields itself.
    return k.operation(
        "patch",
        "patch",
        suffix=suffix,
        description=f"partially update {what}",
        action="patch",
        gvk=gvk,
        parameters=WRITE_PARAMETERS,
        request=dict.fromkeys(PATCH_TYPES, PatchSerializer),
        responses=_ok(body, 200, 201),
    )


def _status_operations(k: _Kind) -> Iterator[Operation]:
    what = f"status of the specified {k.kind}"
    yield k.operation(
        "get",
        "read",
        suffix="Status",
        description=f"read {what}",
        action="get",
        gvk=k.gvk,
        responses=_ok(k.object_schema, 200),
    )
    yield k.operation(
        "put",
        "replace",
        suffix="Status",
        description=f"replace {what}",
        action="put",
        gvk=k.gvk,
        parameters=WRITE_PARAMETERS,
        request=dict.fromkeys(BODY_TYPES, k.object_schema),
        responses=_ok(k.object_schema, 200, 201),
    )
    yield _patch(k, k.object_schema, k.gvk, suffix="Status", what=what)


def _scale_operations(k: _Kind) -> Iterator[Operation]:
    scale = _schema("Scale")
    gvk = GroupVersionKind("autoscaling", "v1", "Scale")
    what = f"scale of the specified {k.kind}"
    yield k.operation(
        "get",
        "read",
        suffix="Scale",
        description=f"read {what}",
        action="get",
        gvk=gvk,
        responses=_ok(scale, 200),
    )
    yield k.operation(
        "put",
        "replace",
        suffix="Scale",
        description=f"replace {what}",
        action="put",
        gvk=gvk,
        parameters=WRITE_PARAMETERS,
        request=dict.fromkeys(BODY_TYPES, scale),
        responses=_ok(scale, 200, 201),
    )
    yield _patch(k, scale, gvk, suffix="Scale", what=what)


def _binding_operations(k: _Kind) -> Iterator[Operation]:
    binding = _schema("Binding")
    yield k.operation(
        "post",
        "create",
        suffix="Binding",
        description=f"create binding of a {k.kind}",
        action="post",
        gvk=GroupVersionKind("", "v1", "Binding"),
        parameters=WRITE_PARAMETERS,
        request=dict.fromkeys(BODY_TYPES, binding),
        responses=(Response(201, "Created", StatusSerializer),),
    )


def _finalize_operations(k: _Kind) -> Iterator[Operation]:
    yield k.operation(
        "put",
        "replace",
        suffix="Finalize",
        description=f"replace finalize of the specified {k.kind}",
        action="put",
        gvk=k.gvk,
        parameters=WRITE_PARAMETERS,
        request=dict.fromkeys(BODY_TYPES, k.object_schema),
        responses=_ok(k.object_schema, 200, 201),
    )


_SUBRESOURCE_OPERATIONS = {
    "status": _status_operations,
    "finalize": _finalize_operations,
    "scale": _scale_operations,
    "binding": _binding_operations,
}


def resource_paths(resource: Resource) -> Iterator[PathItem]:
    """The paths of one resource: collection, object, subresources, all namespaces."""
    prefix = group_version_prefix(resource.group, resource.version)
    tag = group_version_tag(resource.group, resource.version)
    base = root_route(resource.group, resource.version)
    k = _Kind(resource, prefix, tag, "Namespaced" if resource.namespaced else "")
    scope = f"{base}/namespaces/<str:namespace>" if resource.namespaced else base
    scoped = (NAMESPACE_PARAMETER,) if resource.namespaced else ()
    named = (name_parameter(resource.kind), *scoped)
    collection = f"{scope}/{resource.plural}"
    yield PathItem(collection, tuple(_collection_operations(k)), scoped)
    yield PathItem(f"{collection}/<str:name>", tuple(_object_operations(k)), named)
    subresources = (*resource.subresources, *EXTRA_SUBRESOURCES.get(resource.kind, ()))
    for sub in subresources:
        operations = _SUBRESOURCE_OPERATIONS.get(sub)
        if operations is not None:
            yield PathItem(f"{collection}/<str:name>/{sub}", tuple(operations(k)), named)
    if resource.namespaced and "list" in resource.verbs:
        everywhere = _Kind(resource, prefix, tag, "")
        listing = next(_collection_operations(everywhere))
        yield PathItem(
            f"{base}/{resource.plural}",
            (
                Operation(
                    "get",
                    f"{listing.operation_id}ForAllNamespaces",
                    listing.description,
                    tag,
                    action="list",
                    gvk=listing.gvk,
                    parameters=listing.parameters,
                    responses=listing.responses,
                ),
            ),
        )


# -- discovery --


def _discovery(
    route: str, operation_id: str, description: str, tag: str, body: type[Serializer]
) -> PathItem:
    operation = Operation("get", operation_id, description, tag, responses=_ok(body, 200))
    return PathItem(route, (operation,))


def discovery_paths(table: ResourceTable) -> Iterator[PathItem]:
    """``/version``, ``/api``, ``/apis`` and each group's and group version's document."""
    yield _discovery(
        "version",
        "getCodeVersion",
        "get the version information for this server",
        "version",
        VersionInfoSerializer,
    )
    yield _discovery(
        "api", "getCoreAPIVersions", "get available API versions", "core", APIVersionsSerializer
    )
    yield _discovery(
        "apis", "getAPIVersions", "get available API versions", "apis", APIGroupListSerializer
    )
    for group, versions in table.groups().items():
        if group:
            name = group_version_prefix(group, "")
            yield _discovery(
                f"apis/{group}",
                f"get{name}APIGroup",
                "get information of a group",
                group.removesuffix(".k8s.io").replace(".", "_"),
                APIGroupSerializer,
            )
        for version in versions:
            yield _discovery(
                root_route(group, version),
                f"get{group_version_prefix(group, version)}APIResources",
                "get available resources",
                group_version_tag(group, version),
                APIResourceListSerializer,
            )


def all_paths(table: ResourceTable) -> list[PathItem]:
    """Every path the API serves, discovery first."""
    return [
        *discovery_paths(table),
        *(item for resource in table.all for item in resource_paths(resource)),
    ]
