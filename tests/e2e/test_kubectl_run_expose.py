"""``kubectl run`` (a pod from flags) and ``kubectl expose`` (a service for an RC or a pod)."""

from __future__ import annotations

import pytest

from tests.e2e import manifests
from tests.e2e.cluster import Api, Kubectl

pytestmark = pytest.mark.e2e


def test_run_creates_a_pod_with_the_image_labels_env_and_port(kubectl: Kubectl) -> None:
    assert kubectl(
        "run",
        "runner",
        "--image=busybox:1.36",
        "--labels=app=runner,tier=batch",
        "--env=MODE=fast",
        "--env=LEVEL=3",
        "--port=8080",
    ) == (0, "pod/runner created\n", "")

    pod = kubectl.json("pod", "runner")
    assert pod["metadata"]["labels"] == {"app": "runner", "tier": "batch"}
    (container,) = pod["spec"]["containers"]
    assert container == {
        "name": "runner",
        "image": "busybox:1.36",
        "imagePullPolicy": "IfNotPresent",
        "env": [{"name": "MODE", "value": "fast"}, {"name": "LEVEL", "value": "3"}],
        "ports": [{"containerPort": 8080, "protocol": "TCP"}],
        "resources": {},
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
    }
    assert pod["spec"]["restartPolicy"] == "Always"
    assert pod["status"]["phase"] == "Pending"


def test_run_labels_the_pod_run_name_by_default_and_passes_a_command(kubectl: Kubectl) -> None:
    kubectl.ok("run", "once", "--image=busybox", "--restart=Never", "--command", "--", "sleep", "5")

    pod = kubectl.json("pod", "once")
    assert pod["metadata"]["labels"] == {"run": "once"}
    assert pod["spec"]["restartPolicy"] == "Never"
    (container,) = pod["spec"]["containers"]
    assert container["command"] == ["sleep", "5"]
    # An image without a tag means :latest, which kube always pulls.
    assert container["imagePullPolicy"] == "Always"


def test_run_with_an_existing_name_is_already_exists(kubectl: Kubectl) -> None:
    kubectl.ok("run", "dup", "--image=busybox:1.36")

    assert kubectl("run", "dup", "--image=busybox:1.36") == (
        1,
        "",
        'Error from server (AlreadyExists): pods "dup" already exists\n',
    )


def test_expose_rc_creates_a_service_selecting_its_pods(
    kubectl: Kubectl, api: Api, namespace: str
) -> None:
    api.create(
        f"/api/v1/namespaces/{namespace}/replicationcontrollers",
        manifests.replication_controller("front"),
    )

    assert kubectl("expose", "rc", "front", "--port=80", "--target-port=8080") == (
        0,
        "service/front exposed\n",
        "",
    )

    svc = kubectl.json("service", "front")
    assert svc["metadata"]["labels"] == {"app": "front"}
    spec = svc["spec"]
    assert spec["selector"] == {"app": "front"}
    assert spec["ports"] == [{"port": 80, "protocol": "TCP", "targetPort": 8080}]
    assert spec["type"] == "ClusterIP"
    assert spec["clusterIPs"] == [spec["clusterIP"]]
    assert spec["clusterIP"].startswith("10.")


def test_expose_rc_as_a_node_port_service_with_another_name(
    kubectl: Kubectl, api: Api, namespace: str
) -> None:
    api.create(
        f"/api/v1/namespaces/{namespace}/replicationcontrollers",
        manifests.replication_controller("front"),
    )

    assert kubectl("expose", "rc", "front", "--name=front-np", "--type=NodePort", "--port=80") == (
        0,
        "service/front-np exposed\n",
        "",
    )

    spec = kubectl.json("service", "front-np")["spec"]
    assert spec["type"] == "NodePort"
    (port,) = spec["ports"]
    assert (port["port"], port["targetPort"], port["protocol"]) == (80, 80, "TCP")
    assert 30000 <= port["nodePort"] <= 32767
    assert spec["externalTrafficPolicy"] == "Cluster"


def test_expose_pod_uses_its_labels_as_the_selector(
    kubectl: Kubectl, api: Api, namespace: str
) -> None:
    api.create(
        f"/api/v1/namespaces/{namespace}/pods",
        manifests.pod("web", labels={"app": "web", "tier": "front"}),
    )

    assert kubectl("expose", "pod", "web", "--port=80") == (0, "service/web exposed\n", "")

    spec = kubectl.json("service", "web")["spec"]
    assert spec["selector"] == {"app": "web", "tier": "front"}
    assert spec["ports"] == [{"port": 80, "protocol": "TCP", "targetPort": 80}]


def test_expose_a_missing_rc_is_not_found(kubectl: Kubectl) -> None:
    assert kubectl("expose", "rc", "ghost", "--port=80") == (
        1,
        "",
        'Error from server (NotFound): replicationcontrollers "ghost" not found\n',
    )
