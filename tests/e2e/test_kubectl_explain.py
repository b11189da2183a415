"""``kubectl explain``: field documentation read from the server's OpenAPI v3."""

from __future__ import annotations

import re

import pytest

from tests.e2e.cluster import Kubectl

pytestmark = pytest.mark.e2e

# kube's Container fields with the types explain prints for them.
CONTAINER_FIELDS = {
    "args": "<[]string>",
    "command": "<[]string>",
    "env": "<[]EnvVar>",
    "envFrom": "<[]EnvFromSource>",
    "image": "<string>",
    "imagePullPolicy": "<string>",
    "lifecycle": "<Lifecycle>",
    "livenessProbe": "<Probe>",
    "name": "<string> -required-",
    "ports": "<[]ContainerPort>",
    "readinessProbe": "<Probe>",
    "resizePolicy": "<[]ContainerResizePolicy>",
    "resources": "<ResourceRequirements>",
    "restartPolicy": "<string>",
    "restartPolicyRules": "<[]ContainerRestartRule>",
    "securityContext": "<SecurityContext>",
    "startupProbe": "<Probe>",
    "stdin": "<boolean>",
    "stdinOnce": "<boolean>",
    "terminationMessagePath": "<string>",
    "terminationMessagePolicy": "<string>",
    "tty": "<boolean>",
    "volumeDevices": "<[]VolumeDevice>",
    "volumeMounts": "<[]VolumeMount>",
    "workingDir": "<string>",
}


def _fields(out: str) -> dict[str, str]:
    """The ``name<TAB>type`` lines of explain's FIELDS section."""
    return dict(re.findall(r"^  (\w+)\t(.+)$", out, flags=re.MULTILINE))


def test_explain_pod_spec_containers_documents_every_container_field(kubectl: Kubectl) -> None:
    out = kubectl.ok("explain", "pod.spec.containers")

    assert out.startswith("KIND:       Pod\nVERSION:    v1\n\nFIELD: containers <[]Container>\n")
    assert "\nDESCRIPTION:\n" in out
    assert _fields(out) == CONTAINER_FIELDS


def test_explain_a_kind_lists_its_top_level_fields(kubectl: Kubectl) -> None:
    out = kubectl.ok("explain", "pods")

    assert out.startswith("KIND:       Pod\nVERSION:    v1\n\nDESCRIPTION:\n")
    assert _fields(out) == {
        "apiVersion": "<string>",
        "kind": "<string>",
        "metadata": "<ObjectMeta>",
        "spec": "<PodSpec>",
        "status": "<PodStatus>",
    }


def test_explain_a_scalar_field_and_a_field_in_another_group(kubectl: Kubectl) -> None:
    replicas = kubectl.ok("explain", "rc.spec.replicas")
    renew = kubectl.ok("explain", "leases.spec.renewTime")

    assert replicas.startswith(
        "KIND:       ReplicationController\nVERSION:    v1\n\nFIELD: replicas <integer>\n"
    )
    assert renew.startswith(
        "GROUP:      coordination.k8s.io\nKIND:       Lease\nVERSION:    v1\n\n"
        "FIELD: renewTime <string>\n"
    )


def test_explain_an_unknown_field_says_so(kubectl: Kubectl) -> None:
    assert kubectl("explain", "pod.spec.nosuchfield") == (
        1,
        "KIND:       Pod\nVERSION:    v1\n\n",
        'error: field "nosuchfield" does not exist\n',
    )
