"""discovery.k8s.io/v1 EndpointSlices through kubectl: get, describe, explain, errors.

The API server runs without controllers here, so the slices are written as kube's
EndpointSlice controller would write them; ``kubectl describe svc`` then lists a Service's
endpoints from the slices labelled with its name, as it does against kube-apiserver.
"""

from __future__ import annotations

import re

import pytest
import yaml

from tests.e2e import manifests
from tests.e2e.cluster import AGE, Api, Kubectl, squeeze, table

pytestmark = pytest.mark.e2e

FOUR_IPS = ("10.244.1.5", "10.244.1.6", "10.244.1.7", "10.244.1.8")


def _slices(namespace: str) -> str:
    return f"/apis/discovery.k8s.io/v1/namespaces/{namespace}/endpointslices"


def test_get_endpointslices_shows_type_ports_and_the_first_three_addresses(
    kubectl: Kubectl, api: Api, namespace: str
) -> None:
    api.create(_slices(namespace), manifests.endpoint_slice("web-abcde", ips=FOUR_IPS))
    placeholder = manifests.endpoint_slice("idle-fghij", service="idle", ips=())
    del placeholder["ports"]
    api.create(_slices(namespace), placeholder)

    out = kubectl.ok("get", "endpointslices")

    assert out == table(
        out,
        [
            ["NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE"],
            ["idle-fghij", "IPv4", "<unset>", "<unset>", AGE],
            [
                "web-abcde",
                "IPv4",
                "8080",
                "10.244.1.5,10.244.1.6,10.244.1.7 + 1 more...",
                AGE,
            ],
        ],
    )


def test_get_endpointslice_as_yaml_shows_the_defaulted_object(
    kubectl: Kubectl, api: Api, namespace: str
) -> None:
    manifest = manifests.endpoint_slice("web-abcde")
    manifest["ports"] = [{"port": 8080}]
    api.create(_slices(namespace), manifest)

    stored = yaml.safe_load(kubectl.ok("get", "endpointslice", "web-abcde", "-o", "yaml"))

    assert stored["apiVersion"] == "discovery.k8s.io/v1"
    assert stored["kind"] == "EndpointSlice"
    assert stored["addressType"] == "IPv4"
    assert stored["ports"] == [{"name": "", "port": 8080, "protocol": "TCP"}]
    assert stored["metadata"]["generation"] == 1


def test_describe_service_lists_the_endpoints_of_its_slices(
    kubectl: Kubectl, api: Api, namespace: str
) -> None:
    service = manifests.service("front")
    service["spec"]["ports"][0]["name"] = "http"
    api.create(f"/api/v1/namespaces/{namespace}/services", service)
    api.create(
        _slices(namespace),
        manifests.endpoint_slice("front-abcde", service="front", ips=FOUR_IPS[:2]),
    )

    out = squeeze(kubectl.ok("describe", "service", "front"))

    assert "Endpoints:  10.244.1.5:8080,10.244.1.6:8080\n" in out


def test_describe_endpointslice_shows_ports_and_endpoints(
    kubectl: Kubectl, api: Api, namespace: str
) -> None:
    manifest = manifests.endpoint_slice("web-abcde")
    manifest["endpoints"][0]["nodeName"] = "worker-1"
    api.create(_slices(namespace), manifest)

    out = squeeze(kubectl.ok("describe", "endpointslice", "web-abcde"))

    assert out.startswith(f"Name:  web-abcde\nNamespace:  {namespace}\n")
    assert "AddressType:  IPv4\n" in out
    assert "http  8080  TCP\n" in out
    assert "- Addresses:  10.244.1.5\n" in out
    assert "NodeName:  worker-1\n" in out


def test_explain_endpointslice_documents_its_fields(kubectl: Kubectl) -> None:
    out = kubectl.ok("explain", "endpointslice")
    conditions = kubectl.ok("explain", "endpointslice.endpoints.conditions.ready")

    assert out.startswith(
        "GROUP:      discovery.k8s.io\nKIND:       EndpointSlice\nVERSION:    v1\n\n"
    )
    fields = dict(re.findall(r"^  (\w+)\t(.+)$", out, flags=re.MULTILINE))
    assert fields == {
        "addressType": "<string> -required-",
        "apiVersion": "<string>",
        "endpoints": "<[]Endpoint> -required-",
        "kind": "<string>",
        "metadata": "<ObjectMeta>",
        "ports": "<[]EndpointPort>",
    }
    assert "FIELD: ready <boolean>" in conditions


def test_an_invalid_slice_is_refused_with_the_field_it_is_about(
    kubectl: Kubectl, namespace: str
) -> None:
    manifest = manifests.endpoint_slice("web-abcde", ips=("127.0.0.1",))

    rc, _, err = kubectl("create", "-f", "-", input=yaml.safe_dump(manifest))

    assert rc == 1
    assert err == (
        'The EndpointSlice "web-abcde" is invalid: endpoints[0].addresses[0]: Invalid value: '
        '"127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)\n'
    )


def test_the_openapi_document_of_the_group_carries_the_kind(api: Api) -> None:
    document = api.get("/openapi/v3/apis/discovery.k8s.io/v1").body
    schema = document["components"]["schemas"]["io.k8s.api.discovery.v1.EndpointSlice"]

    assert schema["x-kubernetes-group-version-kind"] == [
        {"group": "discovery.k8s.io", "kind": "EndpointSlice", "version": "v1"}
    ]
    assert schema["required"] == ["addressType", "endpoints"]
