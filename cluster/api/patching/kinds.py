"""The patch schemas of the kinds Pilothouse serves, from the Kubernetes Go types' struct tags.

Each table copies the ``patchStrategy``/``patchMergeKey`` tags of k8s.io/api core/v1 and
meta/v1 (and coordination.k8s.io/v1 and discovery.k8s.io/v1, which have none) for the fields
these kinds contain. Lists not named here carry no strategy and are replaced whole, as
kube-apiserver does (tolerations, args, command, envFrom, taints, endpoint subsets, container
statuses, an EndpointSlice's endpoints and ports, and so on).

This module is the single source of truth for patch metadata: strategic merge patch reads it
through ``schema_for_kind`` and the OpenAPI generator through ``openapi_patch_extensions``.
"""

from __future__ import annotations

from cluster.api.patching.schema import PatchMeta, PatchSchema, merge_by, nest

OBJECT_META = {
    "finalizers": merge_by(),
    "ownerReferences": merge_by("uid"),
}

# v1.Container; v1.EphemeralContainerCommon carries the same tags.
CONTAINER = {
    "ports": merge_by("containerPort"),
    "env": merge_by("name"),
    "volumeMounts": merge_by("mountPath"),
    "volumeDevices": merge_by("devicePath"),
}

POD_SPEC = {
    "volumes": merge_by("name", retain_keys=True),
    "initContainers": merge_by("name"),
    "containers": merge_by("name"),
    "ephemeralContainers": merge_by("name"),
    "imagePullSecrets": merge_by("name"),
    "hostAliases": merge_by("ip"),
    "topologySpreadConstraints": merge_by("topologyKey"),
    "schedulingGates": merge_by("name"),
    "resourceClaims": merge_by("name", retain_keys=True),
    **nest("initContainers[]", CONTAINER),
    **nest("containers[]", CONTAINER),
    **nest("ephemeralContainers[]", CONTAINER),
}

# v1.ContainerStatus. The status lists themselves are atomic, so these only reach OpenAPI.
CONTAINER_STATUS = {
    "volumeMounts": merge_by("mountPath"),
    "allocatedResourcesStatus": merge_by("name"),
}

POD_STATUS = {
    "conditions": merge_by("type"),
    "podIPs": merge_by("ip"),
    "hostIPs": merge_by("ip"),
    "resourceClaimStatuses": merge_by("name", retain_keys=True),
    **nest("initContainerStatuses[]", CONTAINER_STATUS),
    **nest("containerStatuses[]", CONTAINER_STATUS),
    **nest("ephemeralContainerStatuses[]", CONTAINER_STATUS),
}

CONDITIONS = {"conditions": merge_by("type")}


def _kind(kind: str, parts: dict[str, dict[str, PatchMeta]] | None = None) -> PatchSchema:
    """A kind's schema: ObjectMeta at ``metadata``, plus each table nested under its path."""
    fields = nest("metadata", OBJECT_META)
    for path, table in (parts or {}).items():
        fields.update(nest(path, table))
    return PatchSchema(kind, fields)


SCHEMAS: dict[str, PatchSchema] = {
    schema.kind: schema
    for schema in (
        _kind("Pod", {"spec": POD_SPEC, "status": POD_STATUS}),
        _kind(
            "ReplicationController",
            {
                "spec.template.metadata": OBJECT_META,
                "spec.template.spec": POD_SPEC,
                "status": CONDITIONS,
            },
        ),
        _kind("Service", {"spec": {"ports": merge_by("port")}, "status": CONDITIONS}),
        _kind("Endpoints"),
        _kind(
            "Node",
            {
                "spec": {"podCIDRs": merge_by()},
                "status": {**CONDITIONS, "addresses": merge_by("type")},
            },
        ),
        _kind("Namespace", {"status": CONDITIONS}),
        _kind("Event"),
        _kind("Lease"),
        _kind("EndpointSlice"),
        # autoscaling/v1 Scale, the view of an RC through its scale subresource.
        _kind("Scale"),
    )
}


def schema_for_kind(kind: str) -> PatchSchema | None:
    """The patch schema of ``kind`` (``Pod``, ``Lease``, ...), or None for an unknown kind."""
    return SCHEMAS.get(kind)


def openapi_patch_extensions(kind: str, path: str) -> dict[str, str]:
    """``x-kubernetes-patch-merge-key``/``-strategy`` of the field at ``path`` of ``kind``.

    ``path`` uses the schema's form: ``spec.containers``, ``spec.containers[].env``. A field
    without patch metadata (or an unknown kind) has no extensions: ``{}``.
    """
    schema = schema_for_kind(kind)
    if schema is None:
        return {}
    return schema.lookup(path).openapi_extensions()
