"""The patch metadata tables: what strategic merge patch merges by, and what OpenAPI publishes.

The expected values are the ``patchStrategy``/``patchMergeKey`` struct tags of k8s.io/api
core/v1 and meta/v1, which kube-apiserver publishes as ``x-kubernetes-patch-strategy`` and
``x-kubernetes-patch-merge-key``.
"""

from __future__ import annotations

import pytest

from cluster.api.patching import SCHEMAS, PatchMeta, openapi_patch_extensions, schema_for_kind


def merge_key(key: str, strategy: str = "merge") -> dict[str, str]:
    return {"x-kubernetes-patch-merge-key": key, "x-kubernetes-patch-strategy": strategy}


@pytest.mark.parametrize(
    ("kind", "path", "extensions"),
    [
        ("Pod", "spec.containers", merge_key("name")),
        ("Pod", "spec.initContainers", merge_key("name")),
        ("Pod", "spec.ephemeralContainers", merge_key("name")),
        ("Pod", "spec.volumes", merge_key("name", "merge,retainKeys")),
        ("Pod", "spec.imagePullSecrets", merge_key("name")),
        ("Pod", "spec.hostAliases", merge_key("ip")),
        ("Pod", "spec.topologySpreadConstraints", merge_key("topologyKey")),
        ("Pod", "spec.schedulingGates", merge_key("name")),
        ("Pod", "spec.resourceClaims", merge_key("name", "merge,retainKeys")),
        ("Pod", "spec.containers[].env", merge_key("name")),
        ("Pod", "spec.containers[].ports", merge_key("containerPort")),
        ("Pod", "spec.containers[].volumeMounts", merge_key("mountPath")),
        ("Pod", "spec.containers[].volumeDevices", merge_key("devicePath")),
        ("Pod", "spec.initContainers[].env", merge_key("name")),
        ("Pod", "spec.ephemeralContainers[].ports", merge_key("containerPort")),
        ("Pod", "status.conditions", merge_key("type")),
        ("Pod", "status.podIPs", merge_key("ip")),
        ("Pod", "status.hostIPs", merge_key("ip")),
        ("Pod", "status.containerStatuses[].volumeMounts", merge_key("mountPath")),
        ("Pod", "metadata.ownerReferences", merge_key("uid")),
        ("Pod", "metadata.finalizers", {"x-kubernetes-patch-strategy": "merge"}),
        ("ReplicationController", "spec.template.spec.containers", merge_key("name")),
        ("ReplicationController", "spec.template.spec.containers[].env", merge_key("name")),
        ("ReplicationController", "spec.template.metadata.ownerReferences", merge_key("uid")),
        ("ReplicationController", "status.conditions", merge_key("type")),
        ("Service", "spec.ports", merge_key("port")),
        ("Service", "status.conditions", merge_key("type")),
        ("Node", "status.addresses", merge_key("type")),
        ("Node", "status.conditions", merge_key("type")),
        ("Node", "spec.podCIDRs", {"x-kubernetes-patch-strategy": "merge"}),
        ("Namespace", "status.conditions", merge_key("type")),
        ("Lease", "metadata.finalizers", {"x-kubernetes-patch-strategy": "merge"}),
        ("Event", "metadata.ownerReferences", merge_key("uid")),
        ("Endpoints", "metadata.ownerReferences", merge_key("uid")),
    ],
)
def test_a_field_with_patch_metadata_publishes_it(
    kind: str, path: str, extensions: dict[str, str]
) -> None:
    assert openapi_patch_extensions(kind, path) == extensions


@pytest.mark.parametrize(
    ("kind", "path"),
    [
        ("Pod", "spec.tolerations"),
        ("Pod", "spec.containers[].args"),
        ("Pod", "spec.containers[].envFrom"),
        ("Pod", "spec.readinessGates"),
        ("Pod", "status.containerStatuses"),
        ("Pod", "spec.containers.env"),
        ("Node", "spec.taints"),
        ("Namespace", "spec.finalizers"),
        ("Endpoints", "subsets"),
        ("Lease", "spec.holderIdentity"),
        ("Service", "spec.containers"),
        ("Widget", "spec.containers"),
    ],
)
def test_a_field_without_patch_metadata_publishes_nothing(kind: str, path: str) -> None:
    assert openapi_patch_extensions(kind, path) == {}


def test_every_served_kind_has_a_schema_and_others_have_none() -> None:
    assert sorted(SCHEMAS) == [
        "EndpointSlice",
        "Endpoints",
        "Event",
        "Lease",
        "Namespace",
        "Node",
        "Pod",
        "ReplicationController",
        "Scale",
        "Service",
    ]
    assert schema_for_kind("Deployment") is None


def test_a_schema_lists_its_fields_in_path_order_for_the_openapi_generator() -> None:
    schema = schema_for_kind("Service")
    assert schema is not None

    assert list(schema) == [
        ("metadata.finalizers", PatchMeta(("merge",))),
        ("metadata.ownerReferences", PatchMeta(("merge",), "uid")),
        ("spec.ports", PatchMeta(("merge",), "port")),
        ("status.conditions", PatchMeta(("merge",), "type")),
    ]


def test_patch_meta_separates_retain_keys_from_the_merge_strategy() -> None:
    volumes = PatchMeta(("merge", "retainKeys"), "name")
    strategy = PatchMeta(("retainKeys",))

    assert volumes.strategy == "merge"
    assert strategy.strategy == ""
    assert strategy.openapi_extensions() == {"x-kubernetes-patch-strategy": "retainKeys"}
