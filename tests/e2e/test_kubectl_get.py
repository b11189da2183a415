"""``kubectl get``: the server-side tables per kind, output formats, selectors, namespaces.

Objects are arranged through the REST API, so that these tests depend on reading only.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from tests.e2e import manifests
from tests.e2e.cluster import AGE, Api, Kubectl, sibling, table

pytestmark = pytest.mark.e2e

POD_HEADER = ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
WIDE_POD_HEADER = [*POD_HEADER, "IP", "NODE", "NOMINATED NODE", "READINESS GATES"]


def _pods(api: Api, namespace: str, *names: str, **labels: str) -> list[dict[str, Any]]:
    path = f"/api/v1/namespaces/{namespace}/pods"
    return [api.create(path, manifests.pod(name, labels={"app": name, **labels})) for name in names]


def test_get_pods_prints_the_pod_table(kubectl: Kubectl, api: Api, namespace: str) -> None:
    _pods(api, namespace, "alpha", "beta")

    out = kubectl.ok("get", "pods")

    assert out == table(
        out,
        [
            POD_HEADER,
            ["alpha", "0/1", "Pending", "0", AGE],
            ["beta", "0/1", "Pending", "0", AGE],
        ],
    )


def test_get_pods_wide_adds_ip_node_and_the_scheduling_columns(
    kubectl: Kubectl, api: Api, namespace: str
) -> None:
    _pods(api, namespace, "alpha")

    out = kubectl.ok("get", "pods", "-o", "wide")

    none = "<none>"
    assert out == table(
        out, [WIDE_POD_HEADER, ["alpha", "0/1", "Pending", "0", AGE, none, none, none, none]]
    )


def test_get_pod_as_json_is_the_stored_object_with_kube_defaults(
    kubectl: Kubectl, api: Api, namespace: str
) -> None:
    (created,) = _pods(api, namespace, "alpha")

    got = json.loads(kubectl.ok("get", "pod", "alpha", "-o", "json"))

    meta = created["metadata"]
    assert got == {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "alpha",
            "namespace": namespace,
            "labels": {"app": "alpha"},
            "uid": meta["uid"],
            "resourceVersion": meta["resourceVersion"],
            "creationTimestamp": meta["creationTimestamp"],
            "generation": 1,
        },
        "spec": {
            "containers": [
                {
                    "name": "web",
                    "image": "nginx:1.25",
                    "imagePullPolicy": "IfNotPresent",
                    "ports": [{"containerPort": 80, "protocol": "TCP"}],
                    "resources": {},
                    "terminationMessagePath": "/dev/termination-log",
                    "terminationMessagePolicy": "File",
                }
            ],
            "dnsPolicy": "ClusterFirst",
            "enableServiceLinks": True,
            "preemptionPolicy": "PreemptLowerPriority",
            "priority": 0,
            "restartPolicy": "Always",
            "schedulerName": "default-scheduler",
            "securityContext": {},
            "terminationGracePeriodSeconds": 30,
            "tolerations": [
                {
                    "effect": "NoExecute",
                    "key": f"node.kubernetes.io/{taint}",
                    "operator": "Exists",
                    "tolerationSeconds": 300,
                }
                for taint in ("not-ready", "unreachable")
            ],
        },
        "status": {"phase": "Pending", "qosClass": "BestEffort"},
    }


def test_get_pod_as_yaml_is_the_same_object(kubectl: Kubectl, api: Api, namespace: str) -> None:
    _pods(api, namespace, "alpha")

    out = kubectl.ok("get", "pod", "alpha", "-o", "yaml")

    assert out.startswith("apiVersion: v1\nkind: Pod\nmetadata:\n")
    assert yaml.safe_load(out) == kubectl.json("pod", "alpha")


def test_get_a_list_as_json_is_a_kube_list(kubectl: Kubectl, api: Api, namespace: str) -> None:
    _pods(api, namespace, "alpha", "beta")

    got = kubectl.json("pods")

    assert (got["apiVersion"], got["kind"], got["metadata"]) == (
        "v1",
        "List",
        {"resourceVersion": ""},
    )
    assert [item["metadata"]["name"] for item in got["items"]] == ["alpha", "beta"]
    assert all(item["kind"] == "Pod" for item in got["items"])


def test_get_with_jsonpath_prints_the_selected_fields(
    kubectl: Kubectl, api: Api, namespace: str
) -> None:
    _pods(api, namespace, "alpha", "beta")

    out = kubectl.ok(
        "get",
        "pods",
        "-o",
        'jsonpath={range .items[*]}{.metadata.name}={.spec.containers[0].image}{"\\n"}{end}',
    )

    assert out == "alpha=nginx:1.25\nbeta=nginx:1.25\n"
    assert kubectl.ok("get", "pod", "alpha", "-o", "jsonpath={.status.phase}") == "Pending"


def test_get_with_output_name_prints_kind_slash_name(
    kubectl: Kubectl, api: Api, namespace: str
) -> None:
    _pods(api, namespace, "alpha", "beta")
    api.create(f"/api/v1/namespaces/{namespace}/services", manifests.service("front"))

    assert kubectl.ok("get", "pods,services", "-o", "name") == (
        "pod/alpha\npod/beta\nservice/front\n"
    )


def test_get_filters_by_label_selector(kubectl: Kubectl, api: Api, namespace: str) -> None:
    _pods(api, namespace, "alpha", tier="front")
    _pods(api, namespace, "beta", tier="back")
    _pods(api, namespace, "gamma")

    def names(selector: str) -> str:
        return kubectl.ok("get", "pods", "-l", selector, "-o", "name")

    assert names("tier=front") == "pod/alpha\n"
    assert names("tier!=front") == "pod/beta\npod/gamma\n"
    assert names("tier in (front,back)") == "pod/alpha\npod/beta\n"
    assert names("!tier") == "pod/gamma\n"
    assert names("tier,app=beta") == "pod/beta\n"
    assert kubectl("get", "pods", "-l", "tier=middle") == (
        0,
        "",
        f"No resources found in {namespace} namespace.\n",
    )


def test_get_filters_by_field_selector(kubectl: Kubectl, api: Api, namespace: str) -> None:
    _pods(api, namespace, "alpha", "beta")
    bound = manifests.pod("gamma", node_name=sibling(namespace, "node"))
    api.create(f"/api/v1/namespaces/{namespace}/pods", bound)

    def names(selector: str) -> str:
        return kubectl.ok("get", "pods", "--field-selector", selector, "-o", "name")

    assert names("metadata.name=beta") == "pod/beta\n"
    assert names("metadata.name!=beta") == "pod/alpha\npod/gamma\n"
    assert names(f"spec.nodeName={sibling(namespace, 'node')}") == "pod/gamma\n"
    assert names("spec.nodeName=") == "pod/alpha\npod/beta\n"
    assert names("status.phase=Pending,metadata.name!=alpha") == "pod/beta\npod/gamma\n"


def test_get_refuses_a_field_the_kind_cannot_select_on(kubectl: Kubectl) -> None:
    assert kubectl("get", "pods", "--field-selector", "spec.dnsPolicy=ClusterFirst") == (
        1,
        "",
        'Error from server (BadRequest): Unable to find "/v1, Resource=pods" that match label '
        'selector "", field selector "spec.dnsPolicy=ClusterFirst": field label not supported: '
        "spec.dnsPolicy\n",
    )


def test_get_all_namespaces_adds_the_namespace_column(
    kubectl: Kubectl, admin: Kubectl, api: Api, namespace: str
) -> None:
    other = sibling(namespace, "b")
    api.create("/api/v1/namespaces", manifests.namespace(other))
    _pods(api, namespace, "alpha", suite=namespace)
    _pods(api, other, "beta", suite=namespace)

    out = kubectl.ok("get", "pods", "-A", "-l", f"suite={namespace}")

    assert out == table(
        out,
        [
            ["NAMESPACE", *POD_HEADER],
            [namespace, "alpha", "0/1", "Pending", "0", AGE],
            [other, "beta", "0/1", "Pending", "0", AGE],
        ],
    )


def test_namespace_flag_overrides_the_context_namespace(
    kubectl: Kubectl, api: Api, namespace: str
) -> None:
    other = sibling(namespace, "b")
    api.create("/api/v1/namespaces", manifests.namespace(other))
    _pods(api, namespace, "alpha")
    _pods(api, other, "beta")

    assert kubectl.ok("get", "pods", "-n", other, "-o", "name") == "pod/beta\n"
    assert kubectl.ok("get", "pods", "--namespace", namespace, "-o", "name") == "pod/alpha\n"
    assert kubectl.ok("get", "pods", "-o", "name") == "pod/alpha\n"


def test_show_labels_adds_the_labels_column(kubectl: Kubectl, api: Api, namespace: str) -> None:
    _pods(api, namespace, "alpha", tier="front")

    out = kubectl.ok("get", "pods", "--show-labels")

    assert out == table(
        out,
        [[*POD_HEADER, "LABELS"], ["alpha", "0/1", "Pending", "0", AGE, "app=alpha,tier=front"]],
    )


def test_label_columns_show_chosen_label_values(kubectl: Kubectl, api: Api, namespace: str) -> None:
    _pods(api, namespace, "alpha", tier="front")

    out = kubectl.ok("get", "pods", "-L", "tier")

    assert out == table(
        out, [[*POD_HEADER, "TIER"], ["alpha", "0/1", "Pending", "0", AGE, "front"]]
    )


def test_get_services_prints_type_cluster_ip_and_ports(
    kubectl: Kubectl, api: Api, namespace: str
) -> None:
    svc = api.create(f"/api/v1/namespaces/{namespace}/services", manifests.service("front"))
    ip = svc["spec"]["clusterIP"]

    out = kubectl.ok("get", "services")
    wide = kubectl.ok("get", "svc", "-o", "wide")

    header = ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"]
    row = ["front", "ClusterIP", ip, "<none>", "80/TCP", AGE]
    assert out == table(out, [header, row])
    assert wide == table(wide, [[*header, "SELECTOR"], [*row, "app=front"]])


def test_get_a_node_port_service_shows_both_ports(
    kubectl: Kubectl, api: Api, namespace: str
) -> None:
    manifest = manifests.service("edge")
    manifest["spec"]["type"] = "NodePort"
    svc = api.create(f"/api/v1/namespaces/{namespace}/services", manifest)
    node_port = svc["spec"]["ports"][0]["nodePort"]

    out = kubectl.ok("get", "service", "edge")

    assert 30000 <= node_port <= 32767
    assert out == table(
        out,
        [
            ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"],
            ["edge", "NodePort", svc["spec"]["clusterIP"], "<none>", f"80:{node_port}/TCP", AGE],
        ],
    )


def test_get_replication_controllers_prints_replica_counts(
    kubectl: Kubectl, api: Api, namespace: str
) -> None:
    api.create(
        f"/api/v1/namespaces/{namespace}/replicationcontrollers",
        manifests.replication_controller("front", replicas=3),
    )

    out = kubectl.ok("get", "rc")
    wide = kubectl.ok("get", "replicationcontrollers", "-o", "wide")

    header = ["NAME", "DESIRED", "CURRENT", "READY", "AGE"]
    row = ["front", "3", "0", "0", AGE]
    assert out == table(out, [header, row])
    assert wide == table(
        wide,
        [
            [*header, "CONTAINERS", "IMAGES", "SELECTOR"],
            [*row, "web", "nginx:1.25", "app=front"],
        ],
    )


def test_get_endpoints_prints_address_port_pairs(
    kubectl: Kubectl, api: Api, namespace: str
) -> None:
    api.create(f"/api/v1/namespaces/{namespace}/endpoints", manifests.endpoints("front"))

    out = kubectl.ok("get", "endpoints")

    assert out == table(out, [["NAME", "ENDPOINTS", "AGE"], ["front", "10.244.1.5:8080", AGE]])


def test_get_events_prints_the_event_table(kubectl: Kubectl, api: Api, namespace: str) -> None:
    api.create(f"/api/v1/namespaces/{namespace}/events", manifests.event("web.1", namespace))

    out = kubectl.ok("get", "events")

    assert out == table(
        out,
        [
            ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"],
            [
                AGE,
                "Normal",
                "Scheduled",
                "pod/web",
                f"Successfully assigned {namespace}/web to worker-1",
            ],
        ],
    )


def test_get_leases_prints_the_holder(kubectl: Kubectl, api: Api, namespace: str) -> None:
    api.create(
        f"/apis/coordination.k8s.io/v1/namespaces/{namespace}/leases", manifests.lease("worker-1")
    )

    out = kubectl.ok("get", "leases")

    assert out == table(out, [["NAME", "HOLDER", "AGE"], ["worker-1", "worker-1", AGE]])


def test_get_nodes_prints_status_roles_and_version(
    kubectl: Kubectl, api: Api, namespace: str
) -> None:
    name = sibling(namespace, "node")
    api.create("/api/v1/nodes", manifests.node(name))

    out = kubectl.ok("get", "node", name)
    wide = kubectl.ok("get", "no", name, "-o", "wide")

    header = ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]
    row = [name, "Ready", "<none>", AGE, "v1.37.0"]
    assert out == table(out, [header, row])
    assert wide == table(
        wide,
        [
            [
                *header,
                "INTERNAL-IP",
                "EXTERNAL-IP",
                "OS-IMAGE",
                "KERNEL-VERSION",
                "CONTAINER-RUNTIME",
            ],
            [
                *row,
                "192.0.2.10",
                "<none>",
                "Debian GNU/Linux 12 (bookworm)",
                "6.1.0",
                "docker://24.0.0",
            ],
        ],
    )


def test_get_namespace_as_json_has_kube_metadata(kubectl: Kubectl, namespace: str) -> None:
    got = kubectl.json("namespace", namespace)

    meta = got["metadata"]
    assert got == {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": namespace,
            "labels": {"kubernetes.io/metadata.name": namespace},
            "uid": meta["uid"],
            "resourceVersion": meta["resourceVersion"],
            "creationTimestamp": meta["creationTimestamp"],
        },
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"phase": "Active"},
    }


def test_get_service_as_json_has_kube_defaults(kubectl: Kubectl, api: Api, namespace: str) -> None:
    created = api.create(f"/api/v1/namespaces/{namespace}/services", manifests.service("front"))
    ip = created["spec"]["clusterIP"]

    got = kubectl.json("service", "front")

    meta = created["metadata"]
    assert got == {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": "front",
            "namespace": namespace,
            "uid": meta["uid"],
            "resourceVersion": meta["resourceVersion"],
            "creationTimestamp": meta["creationTimestamp"],
        },
        "spec": {
            "clusterIP": ip,
            "clusterIPs": [ip],
            "internalTrafficPolicy": "Cluster",
            "ipFamilies": ["IPv4"],
            "ipFamilyPolicy": "SingleStack",
            "ports": [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": 8080}],
            "selector": {"app": "front"},
            "sessionAffinity": "None",
            "type": "ClusterIP",
        },
        "status": {"loadBalancer": {}},
    }


def test_get_all_lists_pods_services_and_replication_controllers(
    kubectl: Kubectl, api: Api, namespace: str
) -> None:
    _pods(api, namespace, "alpha")
    svc = api.create(f"/api/v1/namespaces/{namespace}/services", manifests.service("front"))
    api.create(
        f"/api/v1/namespaces/{namespace}/replicationcontrollers",
        manifests.replication_controller("front"),
    )

    out = kubectl.ok("get", "all")

    pods, services, rcs = out.split("\n\n")
    assert pods + "\n" == table(pods, [POD_HEADER, ["pod/alpha", "0/1", "Pending", "0", AGE]])
    svc_row = ["service/front", "ClusterIP", svc["spec"]["clusterIP"], "<none>", "80/TCP", AGE]
    assert services + "\n" == table(
        services, [["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"], svc_row]
    )
    assert rcs == table(
        rcs,
        [
            ["NAME", "DESIRED", "CURRENT", "READY", "AGE"],
            ["replicationcontroller/front", "2", "0", "0", AGE],
        ],
    )


def test_get_in_an_empty_namespace_says_so(kubectl: Kubectl, namespace: str) -> None:
    assert kubectl("get", "pods") == (0, "", f"No resources found in {namespace} namespace.\n")
    assert kubectl("get", "pods", "-n", sibling(namespace, "none")) == (
        0,
        "",
        f"No resources found in {sibling(namespace, 'none')} namespace.\n",
    )
