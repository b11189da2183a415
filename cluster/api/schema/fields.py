"""The field types of Kubernetes objects, as DRF fields that drf-spectacular can describe.

Kubernetes has a few types that JSON has no word for: quantities (``"500m"``, ``"1Gi"`` or a
bare number), int-or-string (a port number or a port name), timestamps, and free-form JSON such
as a managed-fields entry's ``fieldsV1``. Each is a small field class here that carries the
OpenAPI schema kube-apiserver publishes for it (as a named component, as kube does) and
converts values without changing them: the registry, not these fields, validates objects.

Every field also knows its Go type (``go_type``), because kube-apiserver's decoding errors name
it: ``json: cannot unmarshal string into Go struct field ... of type int32``. The constructors
at the bottom keep the serializers declarative: every field is optional unless Kubernetes
requires it, and carries its description as ``help_text``.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cluster.api.schema.naming import META

QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"
INT_OR_STRING = "io.k8s.apimachinery.pkg.util.intstr.IntOrString"

INT32_RANGE = (-(2**31), 2**31 - 1)
INT64_RANGE = (-(2**63), 2**63 - 1)


class StringField(serializers.CharField):
    """A string, kept exactly as sent; ``go_type`` names Kubernetes' string types."""

    def __init__(self, *, go_type: str = "string", **kwargs: Any) -> None:
        self.go_type = go_type
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)


@extend_schema_field({"type": "integer", "format": "int32"})
class Int32Field(serializers.IntegerField):
    go_type = "int32"
    bounds = INT32_RANGE


@extend_schema_field({"type": "integer", "format": "int64"})
class Int64Field(serializers.IntegerField):
    go_type = "int64"
    bounds = INT64_RANGE


class BoolField(serializers.BooleanField):
    go_type = "bool"


class _Verbatim(serializers.Field):  # type: ignore[type-arg]
    """A value that is stored as it was sent, once it has the right JSON type."""

    accepts: tuple[type, ...] = ()
    type_error = "has the wrong type"

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, bool) or not isinstance(data, self.accepts):
            raise serializers.ValidationError(self.type_error)
        return data

    def to_representation(self, value: Any) -> Any:
        return value


@extend_schema_field(
    {
        "description": (
            "A fixed-point number with an optional unit suffix: a string such as '100m', "
            "'1.5', '128Mi' or '1e3', or a plain JSON number. Binary suffixes are Ki, Mi, Gi, "
            "Ti, Pi, Ei; decimal ones are n, u, m, k, M, G, T, P, E."
        ),
        "oneOf": [{"type": "string"}, {"type": "number"}],
    },
    component_name=QUANTITY,
)
class QuantityField(_Verbatim):
    go_type = "resource.Quantity"
    accepts = (str, int, float)
    type_error = "must be a quantity: a string or a number"


@extend_schema_field(
    {
        "description": (
            "Either a 32-bit integer or a string: a port number or a port name, a count or a "
            "percentage."
        ),
        "format": "int-or-string",
        "oneOf": [{"type": "integer"}, {"type": "string"}],
        "x-kubernetes-int-or-string": True,
    },
    component_name=INT_OR_STRING,
)
class IntOrStringField(_Verbatim):
    go_type = "intstr.IntOrString"
    accepts = (int, str)
    type_error = "must be an integer or a string"


@extend_schema_field(
    {
        "description": (
            "A timestamp in RFC 3339 form with second precision, for example "
            "'2026-01-02T15:04:05Z'."
        ),
        "format": "date-time",
        "type": "string",
    },
    component_name=META + "Time",
)
class TimeField(_Verbatim):
    go_type = "v1.Time"
    accepts = (str,)
    type_error = "must be an RFC 3339 timestamp"


@extend_schema_field(
    {
        "description": (
            "A timestamp in RFC 3339 form with microsecond precision, for example "
            "'2026-01-02T15:04:05.000000Z'."
        ),
        "format": "date-time",
        "type": "string",
    },
    component_name=META + "MicroTime",
)
class MicroTimeField(_Verbatim):
    go_type = "v1.MicroTime"
    accepts = (str,)
    type_error = "must be an RFC 3339 timestamp"


@extend_schema_field(
    {
        "description": (
            "The set of fields a manager owns, in the FieldsV1 trie format: an object whose "
            "keys are 'f:<name>', 'k:<keys>', 'v:<value>', 'i:<index>' or '.'."
        ),
        "type": "object",
    },
    component_name=META + "FieldsV1",
)
class FieldsV1Field(_Verbatim):
    go_type = "v1.FieldsV1"
    accepts = (dict,)
    type_error = "must be an object"


@extend_schema_field({"type": "object", "x-kubernetes-preserve-unknown-fields": True})
class OpaqueObjectField(_Verbatim):
    """An object whose inside is not described here: any content is accepted and kept."""

    accepts = (dict,)
    type_error = "must be an object"

    def __init__(self, *, go_type: str, **kwargs: Any) -> None:
        self.go_type = go_type
        super().__init__(**kwargs)


class StringMapField(serializers.DictField):
    """``map[string]string``, such as labels and annotations."""

    go_type = "map[string]string"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(child=StringField(), **kwargs)


class ResourceListField(serializers.DictField):
    """``v1.ResourceList``: resource names (cpu, memory, ...) to quantities."""

    go_type = "v1.ResourceList"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(child=QuantityField(), **kwargs)


# -- constructors used by the serializers --
#
# Every field accepts null, as kube's decoder does (null leaves a Go field at its zero value).


def string(doc: str, *, required: bool = False, go_type: str = "string") -> StringField:
    return StringField(help_text=doc, required=required, allow_null=True, go_type=go_type)


def int32(doc: str, *, required: bool = False) -> Int32Field:
    return Int32Field(help_text=doc, required=required, allow_null=True)


def int64(doc: str, *, required: bool = False) -> Int64Field:
    return Int64Field(help_text=doc, required=required, allow_null=True)


def boolean(doc: str, *, required: bool = False) -> BoolField:
    return BoolField(help_text=doc, required=required, allow_null=True)


def strings(doc: str, *, required: bool = False) -> serializers.ListField:
    return serializers.ListField(
        child=StringField(), help_text=doc, required=required, allow_null=True
    )


def int32s(doc: str) -> serializers.ListField:
    return serializers.ListField(child=Int32Field(), help_text=doc, required=False, allow_null=True)


def int64s(doc: str) -> serializers.ListField:
    return serializers.ListField(child=Int64Field(), help_text=doc, required=False, allow_null=True)


def string_map(doc: str) -> StringMapField:
    return StringMapField(help_text=doc, required=False, allow_null=True)


def resource_list(doc: str) -> ResourceListField:
    return ResourceListField(help_text=doc, required=False, allow_null=True)


def quantity(doc: str) -> QuantityField:
    return QuantityField(help_text=doc, required=False, allow_null=True)


def int_or_string(doc: str, *, required: bool = False) -> IntOrStringField:
    return IntOrStringField(help_text=doc, required=required, allow_null=True)


def time(doc: str, *, required: bool = False) -> TimeField:
    return TimeField(help_text=doc, required=required, allow_null=True)


def micro_time(doc: str) -> MicroTimeField:
    return MicroTimeField(help_text=doc, required=False, allow_null=True)


def opaque(doc: str, *, go_type: str) -> OpaqueObjectField:
    return OpaqueObjectField(help_text=doc, required=False, allow_null=True, go_type=go_type)


def opaque_list(doc: str, *, go_type: str) -> serializers.ListField:
    return serializers.ListField(
        child=OpaqueObjectField(go_type=go_type), help_text=doc, required=False, allow_null=True
    )
