"""Kubernetes' names for the types we describe, and the table of kinds.

Each serializer is registered with ``kube_type`` under the name kube-apiserver gives its
OpenAPI component (``io.k8s.api.core.v1.Pod``) and, for top-level kinds, the group, version
and kind it carries in ``x-kubernetes-group-version-kind``. From that one name come the
drf-spectacular component name, the Go type decoding errors mention (``v1.Pod``) and the
struct name they start with (``Pod``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

CORE = "io.k8s.api.core.v1."
META = "io.k8s.apimachinery.pkg.apis.meta.v1."
COORDINATION = "io.k8s.api.coordination.v1."
DISCOVERY = "io.k8s.api.discovery.v1."
AUTOSCALING = "io.k8s.api.autoscaling.v1."

Serializer = serializers.Serializer[Any]
S = TypeVar("S", bound=type[Serializer])


@dataclass(frozen=True)
class GroupVersionKind:
    group: str
    version: str
    kind: str

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    def extension(self) -> dict[str, str]:
        """The value kube-apiserver publishes in ``x-kubernetes-group-version-kind``."""
        return {"group": self.group, "kind": self.kind, "version": self.version}


@dataclass(frozen=True)
class KubeType:
    """The OpenAPI component name of a serializer and the kinds it is the schema of."""

    component: str
    gvks: tuple[GroupVersionKind, ...] = ()

    @property
    def go_type(self) -> str:
        """``v1.Pod`` for ``io.k8s.api.core.v1.Pod``: the package and the type name."""
        package, name = self.component.split(".")[-2:]
        return f"{package}.{name}"

    @property
    def struct(self) -> str:
        return self.component.rsplit(".", 1)[1]


TYPES: dict[type[Serializer], KubeType] = {}


def kube_type(component: str, *gvks: GroupVersionKind) -> Callable[[S], S]:
    """Register a serializer as the Kubernetes type ``component`` (the kinds ``gvks``)."""

    def register(cls: S) -> S:
        extensions = (
            {"x-kubernetes-group-version-kind": [gvk.extension() for gvk in gvks]} if gvks else None
        )
        decorated: S = extend_schema_serializer(component_name=component, extensions=extensions)(
            cls
        )
        TYPES[decorated] = KubeType(component, gvks)
        return decorated

    return register


def core(kind: str) -> GroupVersionKind:
    return GroupVersionKind("", "v1", kind)


# -- constructors for fields that hold other Kubernetes types --


def nested(cls: type[Serializer], doc: str, *, required: bool = False) -> Serializer:
    return cls(help_text=doc, required=required, allow_null=True)


def nested_list(
    cls: type[Serializer], doc: str, *, required: bool = False
) -> serializers.ListSerializer[Any]:
    return serializers.ListSerializer(
        child=cls(), help_text=doc, required=required, allow_null=True
    )
