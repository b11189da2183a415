"""The serializers as kube-apiserver's decoder: unknown fields, pruning and type errors.

The full objects below are what ``kubectl get -o json`` prints for them on a real 1.3x cluster
(a Deployment's pod with its service account volume and status, a ClusterIP service, a
replication controller, a kind node), so every field a real object carries must be known.
"""

from __future__ import annotations

import copy
import re
import time
from typing import Any

import kubernetes.client.models as client_models
import pytest

from cluster.api.schema import (
    SERIALIZERS,
    cannot_handle,
    prune_unknown,
    serializer_for,
    strict_decoding_error,
    type_errors,
    unknown_field_message,
    unknown_fields,
)
from cluster.api.schema.decoding import QUANTITY_FORMAT_ERROR
from cluster.api.schema.tree import Node, Shape, tree_for
from cluster.registry.catalog import RESOURCES

MANAGED_FIELDS = [
    {
        "apiVersion": "v1",
        "fieldsType": "FieldsV1",
        "fieldsV1": {
            "f:metadata": {"f:labels": {".": {}, "f:app": {}}},
            "f:spec": {"f:containers": {'k:{"name":"web"}': {".": {}, "f:image": {}}}},
        },
        "manager": "kube-controller-manager",
        "operation": "Update",
        "time": "2026-03-02T10:15:31Z",
    },
    {
        "apiVersion": "v1",
        "fieldsType": "FieldsV1",
        "fieldsV1": {"f:status": {"f:conditions": {}}},
        "manager": "kubelet",
        "operation": "Update",
        "subresource": "status",
        "time": "2026-03-02T10:15:39Z",
    },
]

POD: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {
        "creationTimestamp": "2026-03-02T10:15:31Z",
        "generateName": "web-7d9c5b6f8d-",
        "generation": 1,
        "labels": {"app": "web", "pod-template-hash": "7d9c5b6f8d"},
        "managedFields": MANAGED_FIELDS,
        "name": "web-7d9c5b6f8d-x2k4q",
        "namespace": "default",
        "ownerReferences": [
            {
                "apiVersion": "apps/v1",
                "blockOwnerDeletion": True,
                "controller": True,
                "kind": "ReplicaSet",
                "name": "web-7d9c5b6f8d",
                "uid": "7f1e4c1a-59b1-4a3f-9a64-5a8f8f0f2d11",
            }
        ],
        "resourceVersion": "1432",
        "uid": "0c3e1f5e-1f1b-4a4e-8f1e-3d2f8a6b9c10",
    },
    "spec": {
        "containers": [
            {
                "env": [
                    {"name": "MODE", "value": "production"},
                    {
                        "name": "POD_IP",
                        "valueFrom": {
                            "fieldRef": {"apiVersion": "v1", "fieldPath": "status.podIP"}
                        },
                    },
                    {
                        "name": "CPU_LIMIT",
                        "valueFrom": {
                            "resourceFieldRef": {
                                "containerName": "web",
                                "divisor": "1m",
                                "resource": "limits.cpu",
                            }
                        },
                    },
                ],
                "envFrom": [{"configMapRef": {"name": "web-config", "optional": True}}],
                "image": "nginx:1.27",
                "imagePullPolicy": "IfNotPresent",
                "livenessProbe": {
                    "failureThreshold": 3,
                    "httpGet": {"path": "/healthz", "port": 80, "scheme": "HTTP"},
                    "periodSeconds": 10,
                    "successThreshold": 1,
                    "timeoutSeconds": 1,
                },
                "name": "web",
                "ports": [
                    {"containerPort": 80, "name": "http", "protocol": "TCP"},
                    {"containerPort": 9113, "name": "metrics", "protocol": "TCP"},
                ],
                "readinessProbe": {
                    "failureThreshold": 3,
                    "periodSeconds": 5,
                    "successThreshold": 1,
                    "tcpSocket": {"port": "http"},
                    "timeoutSeconds": 1,
                },
                "resources": {
                    "limits": {"cpu": "500m", "memory": "256Mi"},
                    "requests": {"cpu": "100m", "memory": "128Mi"},
                },
                "securityContext": {
                    "allowPrivilegeEscalation": False,
                    "capabilities": {"drop": ["ALL"]},
                    "runAsNonRoot": True,
                    "runAsUser": 101,
                },
                "terminationMessagePath": "/dev/termination-log",
                "terminationMessagePolicy": "File",
                "volumeMounts": [
                    {"mountPath": "/var/cache/nginx", "name": "cache"},
                    {
                        "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
                        "name": "kube-api-access-7wq2n",
                        "readOnly": True,
                    },
                ],
            }
        ],
        "dnsPolicy": "ClusterFirst",
        "enableServiceLinks": True,
        "initContainers": [
            {
                "command": ["sh", "-c", "until nslookup db; do sleep 2; done"],
                "image": "busybox:1.36",
                "imagePullPolicy": "IfNotPresent",
                "name": "wait-for-db",
                "resources": {},
                "terminationMessagePath": "/dev/termination-log",
                "terminationMessagePolicy": "File",
            }
        ],
        "nodeName": "kind-worker",
        "preemptionPolicy": "PreemptLowerPriority",
        "priority": 0,
        "restartPolicy": "Always",
        "schedulerName": "default-scheduler",
        "securityContext": {"fsGroup": 101, "seccompProfile": {"type": "RuntimeDefault"}},
        "serviceAccount": "default",
        "serviceAccountName": "default",
        "terminationGracePeriodSeconds": 30,
        "tolerations": [
            {
                "effect": "NoExecute",
                "key": "node.kubernetes.io/not-ready",
                "operator": "Exists",
                "tolerationSeconds": 300,
            },
            {
                "effect": "NoExecute",
                "key": "node.kubernetes.io/unreachable",
                "operator": "Exists",
                "tolerationSeconds": 300,
            },
        ],
        "affinity": {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [
                        {
                            "matchExpressions": [
                                {
                                    "key": "kubernetes.io/arch",
                                    "operator": "In",
                                    "values": ["amd64", "arm64"],
                                }
                            ]
                        }
                    ]
                },
                "preferredDuringSchedulingIgnoredDuringExecution": [
                    {
                        "weight": 50,
                        "preference": {
                            "matchExpressions": [
                                {"key": "disktype", "operator": "In", "values": ["ssd"]}
                            ]
                        },
                    }
                ],
            },
            "podAntiAffinity": {
                "preferredDuringSchedulingIgnoredDuringExecution": [
                    {
                        "podAffinityTerm": {
                            "labelSelector": {"matchLabels": {"app": "web"}},
                            "topologyKey": "kubernetes.io/hostname",
                        },
                        "weight": 100,
                    }
                ]
            },
        },
        "volumes": [
            {"emptyDir": {"sizeLimit": "1Gi"}, "name": "cache"},
            {
                "name": "kube-api-access-7wq2n",
                "projected": {
                    "defaultMode": 420,
                    "sources": [
                        {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                        {
                            "configMap": {
                                "items": [{"key": "ca.crt", "path": "ca.crt"}],
                                "name": "kube-root-ca.crt",
                            }
                        },
                        {
                            "downwardAPI": {
                                "items": [
                                    {
                                        "fieldRef": {
                                            "apiVersion": "v1",
                                            "fieldPath": "metadata.namespace",
                                        },
                                        "path": "namespace",
                                    }
                                ]
                            }
                        },
                    ],
                },
            },
        ],
    },
    "status": {
        "conditions": [
            {
                "lastProbeTime": None,
                "lastTransitionTime": "2026-03-02T10:15:36Z",
                "observedGeneration": 1,
                "status": "True",
                "type": "PodReadyToStartContainers",
            },
            {
                "lastProbeTime": None,
                "lastTransitionTime": "2026-03-02T10:15:35Z",
                "observedGeneration": 1,
                "status": "True",
                "type": "Initialized",
            },
            {
                "lastProbeTime": None,
                "lastTransitionTime": "2026-03-02T10:15:39Z",
                "observedGeneration": 1,
                "status": "True",
                "type": "Ready",
            },
            {
                "lastProbeTime": None,
                "lastTransitionTime": "2026-03-02T10:15:39Z",
                "observedGeneration": 1,
                "status": "True",
                "type": "ContainersReady",
            },
            {
                "lastProbeTime": None,
                "lastTransitionTime": "2026-03-02T10:15:31Z",
                "observedGeneration": 1,
                "status": "True",
                "type": "PodScheduled",
            },
        ],
        "containerStatuses": [
            {
                "allocatedResources": {"cpu": "100m", "memory": "128Mi"},
                "containerID": "containerd://5d0b6f2d7f7e4b1c9a0e",
                "image": "docker.io/library/nginx:1.27",
                "imageID": "docker.io/library/nginx@sha256:0a399eb16751829e1af26fea27b20c3e",
                "lastState": {},
                "name": "web",
                "ready": True,
                "resources": {
                    "limits": {"cpu": "500m", "memory": "256Mi"},
                    "requests": {"cpu": "100m", "memory": "128Mi"},
                },
                "restartCount": 0,
                "started": True,
                "state": {"running": {"startedAt": "2026-03-02T10:15:36Z"}},
                "user": {"linux": {"gid": 101, "supplementalGroups": [101], "uid": 101}},
                "volumeMounts": [
                    {"mountPath": "/var/cache/nginx", "name": "cache"},
                    {
                        "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
                        "name": "kube-api-access-7wq2n",
                        "readOnly": True,
                        "recursiveReadOnly": "Disabled",
                    },
                ],
            }
        ],
        "hostIP": "172.18.0.3",
        "hostIPs": [{"ip": "172.18.0.3"}],
        "initContainerStatuses": [
            {
                "containerID": "containerd://9a1c0e3b2d4f",
                "image": "docker.io/library/busybox:1.36",
                "imageID": "docker.io/library/busybox@sha256:768e5c6f5cb6db0794eec98dc7a967f4",
                "lastState": {},
                "name": "wait-for-db",
                "ready": True,
                "restartCount": 0,
                "started": False,
                "state": {
                    "terminated": {
                        "containerID": "containerd://9a1c0e3b2d4f",
                        "exitCode": 0,
                        "finishedAt": "2026-03-02T10:15:34Z",
                        "reason": "Completed",
                        "startedAt": "2026-03-02T10:15:33Z",
                    }
                },
            }
        ],
        "observedGeneration": 1,
        "phase": "Running",
        "podIP": "10.244.1.7",
        "podIPs": [{"ip": "10.244.1.7"}],
        "qosClass": "Burstable",
        "startTime": "2026-03-02T10:15:31Z",
    },
}

SERVICE: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "Service",
    "metadata": {
        "annotations": {
            "kubectl.kubernetes.io/last-applied-configuration": '{"apiVersion":"v1"}\n'
        },
        "creationTimestamp": "2026-03-02T10:16:02Z",
        "labels": {"app": "web"},
        "name": "web",
        "namespace": "default",
        "resourceVersion": "1502",
        "uid": "4a5b6c7d-8e9f-4a0b-9c1d-2e3f4a5b6c7d",
    },
    "spec": {
        "clusterIP": "10.96.142.17",
        "clusterIPs": ["10.96.142.17"],
        "internalTrafficPolicy": "Cluster",
        "ipFamilies": ["IPv4"],
        "ipFamilyPolicy": "SingleStack",
        "ports": [
            {"name": "http", "port": 80, "protocol": "TCP", "targetPort": "http"},
            {"name": "metrics", "port": 9113, "protocol": "TCP", "targetPort": 9113},
        ],
        "selector": {"app": "web"},
        "sessionAffinity": "None",
        "type": "ClusterIP",
    },
    "status": {"loadBalancer": {}},
}

REPLICATION_CONTROLLER: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "ReplicationController",
    "metadata": {
        "creationTimestamp": "2026-03-02T10:20:11Z",
        "generation": 2,
        "labels": {"app": "nginx"},
        "name": "nginx",
        "namespace": "default",
        "resourceVersion": "2210",
        "uid": "8b7a6c5d-4e3f-4a2b-8c1d-0e9f8a7b6c5d",
    },
    "spec": {
        "replicas": 3,
        "selector": {"app": "nginx"},
        "template": {
            "metadata": {"creationTimestamp": None, "labels": {"app": "nginx"}},
            "spec": {
                "containers": [
                    {
                        "image": "nginx",
                        "imagePullPolicy": "Always",
                        "name": "nginx",
                        "ports": [{"containerPort": 80, "protocol": "TCP"}],
                        "resources": {},
                        "terminationMessagePath": "/dev/termination-log",
                        "terminationMessagePolicy": "File",
                    }
                ],
                "dnsPolicy": "ClusterFirst",
                "restartPolicy": "Always",
                "schedulerName": "default-scheduler",
                "securityContext": {},
                "terminationGracePeriodSeconds": 30,
            },
        },
    },
    "status": {
        "availableReplicas": 3,
        "fullyLabeledReplicas": 3,
        "observedGeneration": 2,
        "readyReplicas": 3,
        "replicas": 3,
    },
}

NODE: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "Node",
    "metadata": {
        "annotations": {
            "kubeadm.alpha.kubernetes.io/cri-socket": "unix:///run/containerd/containerd.sock",
            "node.alpha.kubernetes.io/ttl": "0",
            "volumes.kubernetes.io/controller-managed-attach-detach": "true",
        },
        "creationTimestamp": "2026-03-02T10:01:12Z",
        "labels": {
            "beta.kubernetes.io/arch": "amd64",
            "beta.kubernetes.io/os": "linux",
            "kubernetes.io/arch": "amd64",
            "kubernetes.io/hostname": "kind-worker",
            "kubernetes.io/os": "linux",
        },
        "name": "kind-worker",
        "resourceVersion": "2871",
        "uid": "c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f",
    },
    "spec": {
        "podCIDR": "10.244.1.0/24",
        "podCIDRs": ["10.244.1.0/24"],
        "providerID": "kind://docker/kind/kind-worker",
        "taints": [{"effect": "NoSchedule", "key": "dedicated", "value": "web"}],
        "unschedulable": False,
    },
    "status": {
        "addresses": [
            {"address": "172.18.0.3", "type": "InternalIP"},
            {"address": "kind-worker", "type": "Hostname"},
        ],
        "allocatable": {
            "cpu": "8",
            "ephemeral-storage": "102625208Ki",
            "hugepages-2Mi": "0",
            "memory": "32765432Ki",
            "pods": "110",
        },
        "capacity": {
            "cpu": "8",
            "ephemeral-storage": "102625208Ki",
            "hugepages-2Mi": "0",
            "memory": "32765432Ki",
            "pods": "110",
        },
        "conditions": [
            {
                "lastHeartbeatTime": "2026-03-02T10:30:45Z",
                "lastTransitionTime": "2026-03-02T10:01:12Z",
                "message": "kubelet has sufficient memory available",
                "reason": "KubeletHasSufficientMemory",
                "status": "False",
                "type": "MemoryPressure",
            },
            {
                "lastHeartbeatTime": "2026-03-02T10:30:45Z",
                "lastTransitionTime": "2026-03-02T10:01:31Z",
                "message": "kubelet is posting ready status",
                "reason": "KubeletReady",
                "status": "True",
                "type": "Ready",
            },
        ],
        "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
        "features": {"supplementalGroupsPolicy": True},
        "images": [
            {
                "names": [
                    "docker.io/library/nginx@sha256:0a399eb16751829e1af26fea27b20c3e",
                    "docker.io/library/nginx:1.27",
                ],
                "sizeBytes": 72955450,
            }
        ],
        "nodeInfo": {
            "architecture": "amd64",
            "bootID": "5b3c1d2e-9f8a-4b7c-a6d5-e4f3a2b1c0d9",
            "containerRuntimeVersion": "containerd://2.1.1",
            "kernelVersion": "6.8.0-52-generic",
            "kubeProxyVersion": "",
            "kubeletVersion": "v1.37.0",
            "machineID": "2f4e6a8c0b1d3f5e7a9c1e3b5d7f9a1c",
            "operatingSystem": "linux",
            "osImage": "Debian GNU/Linux 12 (bookworm)",
            "swap": {},
            "systemUUID": "2f4e6a8c-0b1d-3f5e-7a9c-1e3b5d7f9a1c",
        },
        "runtimeHandlers": [
            {"features": {"recursiveReadOnlyMounts": True, "userNamespaces": True}, "name": ""},
            {"features": {"recursiveReadOnlyMounts": True, "userNamespaces": True}, "name": "runc"},
        ],
    },
}

LEASE: dict[str, Any] = {
    "apiVersion": "coordination.k8s.io/v1",
    "kind": "Lease",
    "metadata": {
        "name": "kind-worker",
        "namespace": "kube-node-lease",
        "ownerReferences": [
            {"apiVersion": "v1", "kind": "Node", "name": "kind-worker", "uid": "c1d2e3f4"}
        ],
    },
    "spec": {
        "holderIdentity": "kind-worker",
        "leaseDurationSeconds": 40,
        "renewTime": "2026-03-02T10:30:51.512345Z",
    },
}

EVENT: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "Event",
    "count": 1,
    "eventTime": None,
    "firstTimestamp": "2026-03-02T10:15:31Z",
    "involvedObject": {
        "apiVersion": "v1",
        "kind": "Pod",
        "name": "web-7d9c5b6f8d-x2k4q",
        "namespace": "default",
        "resourceVersion": "1428",
        "uid": "0c3e1f5e-1f1b-4a4e-8f1e-3d2f8a6b9c10",
    },
    "lastTimestamp": "2026-03-02T10:15:31Z",
    "message": "Successfully assigned default/web-7d9c5b6f8d-x2k4q to kind-worker",
    "metadata": {"name": "web-7d9c5b6f8d-x2k4q.1898a2b3c4d5e6f7", "namespace": "default"},
    "reason": "Scheduled",
    "reportingComponent": "default-scheduler",
    "reportingInstance": "",
    "source": {"component": "default-scheduler"},
    "type": "Normal",
}

ENDPOINTS: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "Endpoints",
    "metadata": {"name": "web", "namespace": "default"},
    "subsets": [
        {
            "addresses": [
                {
                    "ip": "10.244.1.7",
                    "nodeName": "kind-worker",
                    "targetRef": {"kind": "Pod", "name": "web-7d9c5b6f8d-x2k4q", "uid": "0c3e"},
                }
            ],
            "ports": [{"name": "http", "port": 80, "protocol": "TCP"}],
        }
    ],
}

NAMESPACE: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "Namespace",
    "metadata": {"labels": {"kubernetes.io/metadata.name": "default"}, "name": "default"},
    "spec": {"finalizers": ["kubernetes"]},
    "status": {"phase": "Active"},
}

REAL_OBJECTS = [POD, SERVICE, REPLICATION_CONTROLLER, NODE, LEASE, EVENT, ENDPOINTS, NAMESPACE]


def _ids(obj: dict[str, Any]) -> str:
    return str(obj["kind"])


def _pod_with(change: dict[str, Any]) -> dict[str, Any]:
    """A copy of a minimal pod with ``change`` merged into its first container."""
    pod: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p"},
        "spec": {"containers": [{"name": "c", "image": "busybox"}]},
    }
    pod["spec"]["containers"][0].update(change)
    return pod


# -- every field of real objects is known --


@pytest.mark.parametrize("obj", REAL_OBJECTS, ids=_ids)
def test_an_object_as_a_real_cluster_prints_it_has_no_unknown_fields(obj: dict[str, Any]) -> None:
    assert unknown_fields(obj["kind"], obj) == []
    assert type_errors(obj["kind"], obj) == []


@pytest.mark.parametrize("obj", REAL_OBJECTS, ids=_ids)
def test_a_real_object_is_valid_for_its_serializer(obj: dict[str, Any]) -> None:
    serializer = serializer_for(obj["kind"])
    assert serializer is not None

    checked = serializer(data=obj)

    assert checked.is_valid(), checked.errors


def _client_fields(model: str, node: Node, path: str, missing: list[str]) -> None:
    """Walk the official client's model of a type (generated from kube's OpenAPI) beside our
    tree, noting every field the client knows and we do not."""
    cls = getattr(client_models, model)
    for attribute, json_name in cls.attribute_map.items():
        child = node.fields.get(json_name)
        if child is None:
            missing.append(f"{path}.{json_name}")
            continue
        while child.shape in (Shape.LIST, Shape.MAP):
            assert child.item is not None
            child = child.item
        nested = re.search(r"\b((?:Core)?V1\w+)", cls.openapi_types[attribute])
        if nested and child.shape is Shape.OBJECT:
            _client_fields(nested.group(1), child, f"{path}.{json_name}", missing)
        elif nested:
            # Known but not described field by field: an in-tree volume plugin and the like.
            assert child.shape is Shape.OPAQUE_OBJECT, f"{path}.{json_name}"


@pytest.mark.parametrize(
    ("kind", "model"),
    [
        ("Pod", "V1Pod"),
        ("PodList", "V1PodList"),
        ("Service", "V1Service"),
        ("ReplicationController", "V1ReplicationController"),
        ("Endpoints", "V1Endpoints"),
        ("Event", "CoreV1Event"),
        ("Namespace", "V1Namespace"),
        ("Node", "V1Node"),
        ("Lease", "V1Lease"),
        ("Binding", "V1Binding"),
        ("Scale", "V1Scale"),
        ("DeleteOptions", "V1DeleteOptions"),
        ("Status", "V1Status"),
    ],
)
def test_every_field_the_official_client_knows_is_in_the_schema(kind: str, model: str) -> None:
    tree = tree_for(kind)
    assert tree is not None
    missing: list[str] = []

    _client_fields(model, tree, kind, missing)

    assert missing == []


def test_every_served_kind_and_its_list_have_a_schema() -> None:
    for resource in RESOURCES.all:
        assert resource.kind in SERIALIZERS
        assert resource.list_kind in SERIALIZERS


# -- unknown fields --


def test_unknown_fields_are_reported_with_kubes_paths_in_document_order() -> None:
    pod = copy.deepcopy(POD)
    pod["metadata"]["labelz"] = {"a": "b"}
    container = pod["spec"]["containers"][0]
    container["imagee"] = "nginx"
    container["ports"][1]["containerPortt"] = 9114
    container["livenessProbe"]["httpGet"]["paht"] = "/"
    pod["spec"]["volumes"][1]["projected"]["sources"][0]["serviceAccountToken"]["x"] = 1
    pod["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][
        "nodeSelectorTerms"
    ][0]["matchExpressions"][0]["op"] = "In"
    pod["status"]["containerStatuses"][0]["state"]["running"]["since"] = "now"
    pod["extra"] = True

    assert unknown_fields("Pod", pod) == [
        "metadata.labelz",
        "spec.containers[0].livenessProbe.httpGet.paht",
        "spec.containers[0].ports[1].containerPortt",
        "spec.containers[0].imagee",
        "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution"
        ".nodeSelectorTerms[0].matchExpressions[0].op",
        "spec.volumes[1].projected.sources[0].serviceAccountToken.x",
        "status.containerStatuses[0].state.running.since",
        "extra",
    ]


def test_field_names_are_case_sensitive_as_in_kubes_strict_decoder() -> None:
    assert unknown_fields("Pod", _pod_with({"Image": "nginx"})) == ["spec.containers[0].Image"]


def test_map_keys_are_data_not_fields() -> None:
    pod = _pod_with({"resources": {"limits": {"example.com/gpu": "1", "anything": 2}}})
    pod["metadata"]["labels"] = {"whatever/you-like": "x"}

    assert unknown_fields("Pod", pod) == []


def test_the_inside_of_an_undescribed_volume_source_is_accepted() -> None:
    pod = _pod_with({})
    pod["spec"]["volumes"] = [{"name": "disk", "rbd": {"monitors": ["m"], "anything": {}}}]

    assert unknown_fields("Pod", pod) == []


def test_the_fields_of_other_kinds_are_their_own() -> None:
    node = copy.deepcopy(NODE)
    node["spec"]["containers"] = []
    lease = copy.deepcopy(LEASE)
    lease["spec"]["renewTimee"] = "2026-03-02T10:30:51.512345Z"

    assert unknown_fields("Node", node) == ["spec.containers"]
    assert unknown_fields("Lease", lease) == ["spec.renewTimee"]
    assert unknown_fields("DeleteOptions", {"propagationPolicy": "Orphan", "cascade": 1}) == [
        "cascade"
    ]


def test_a_kind_without_a_schema_has_no_unknown_fields() -> None:
    assert unknown_fields("Widget", {"spec": {"anything": 1}}) == []
    assert type_errors("Widget", {"spec": "x"}) == []
    assert prune_unknown("Widget", {"spec": {"anything": 1}}) == {"spec": {"anything": 1}}


def test_the_messages_are_worded_as_kube_words_them() -> None:
    paths = ["spec.replicass", "spec.template.spec.containers[0].imagee"]

    assert unknown_field_message(paths[0]) == 'unknown field "spec.replicass"'
    assert strict_decoding_error(paths) == (
        'strict decoding error: unknown field "spec.replicass", '
        'unknown field "spec.template.spec.containers[0].imagee"'
    )
    assert cannot_handle("Pod", "v1", strict_decoding_error(paths[:1])) == (
        'Pod in version "v1" cannot be handled as a Pod: '
        'strict decoding error: unknown field "spec.replicass"'
    )


# -- pruning --


def test_prune_drops_exactly_the_unknown_fields_and_leaves_the_input_alone() -> None:
    pod = copy.deepcopy(POD)
    pod["spec"]["containers"][0]["imagee"] = "nginx"
    pod["spec"]["containers"][0]["ports"][0]["hostPortt"] = 1
    pod["metadata"]["zone"] = "a"
    before = copy.deepcopy(pod)

    pruned = prune_unknown("Pod", pod)

    assert pod == before
    assert pruned == POD
    assert unknown_fields("Pod", pruned) == []


# -- type errors --


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"ports": [{"containerPort": "80"}]},
            "json: cannot unmarshal string into Go struct field "
            "ContainerPort.spec.containers.ports.containerPort of type int32",
        ),
        (
            {"ports": {"containerPort": 80}},
            "json: cannot unmarshal object into Go struct field "
            "Container.spec.containers.ports of type []v1.ContainerPort",
        ),
        (
            {"ports": [80]},
            "json: cannot unmarshal number into Go struct field "
            "Container.spec.containers.ports of type v1.ContainerPort",
        ),
        (
            {"image": 7},
            "json: cannot unmarshal number into Go struct field "
            "Container.spec.containers.image of type string",
        ),
        (
            {"imagePullPolicy": True},
            "json: cannot unmarshal bool into Go struct field "
            "Container.spec.containers.imagePullPolicy of type v1.PullPolicy",
        ),
        (
            {"tty": "yes"},
            "json: cannot unmarshal string into Go struct field "
            "Container.spec.containers.tty of type bool",
        ),
        (
            {"command": "sleep 1"},
            "json: cannot unmarshal string into Go struct field "
            "Container.spec.containers.command of type []string",
        ),
        (
            {"ports": [{"containerPort": 80.5}]},
            "json: cannot unmarshal number 80.5 into Go struct field "
            "ContainerPort.spec.containers.ports.containerPort of type int32",
        ),
        (
            {"ports": [{"containerPort": 2**31}]},
            "json: cannot unmarshal number 2147483648 into Go struct field "
            "ContainerPort.spec.containers.ports.containerPort of type int32",
        ),
        (
            {"livenessProbe": "yes"},
            "json: cannot unmarshal string into Go struct field "
            "Container.spec.containers.livenessProbe of type v1.Probe",
        ),
        (
            {"livenessProbe": {"tcpSocket": {"port": True}}},
            "json: cannot unmarshal bool into Go value of type int32",
        ),
        ({"resources": {"limits": {"cpu": {"m": 1}}}}, QUANTITY_FORMAT_ERROR),
        (
            {"resources": {"limits": ["cpu"]}},
            "json: cannot unmarshal array into Go struct field "
            "ResourceRequirements.spec.containers.resources.limits of type v1.ResourceList",
        ),
    ],
)
def test_a_value_of_the_wrong_type_gets_gos_message(change: dict[str, Any], message: str) -> None:
    assert type_errors("Pod", _pod_with(change)) == [message]


def test_type_errors_name_the_struct_that_holds_the_field() -> None:
    pod = _pod_with({})
    pod["metadata"] = {"name": "p", "labels": {"app": 1}, "generation": "2"}

    assert type_errors("Pod", pod) == [
        "json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels "
        "of type string",
        "json: cannot unmarshal string into Go struct field ObjectMeta.metadata.generation "
        "of type int64",
    ]
    assert type_errors("Pod", {"metadata": "p"}) == [
        "json: cannot unmarshal string into Go struct field Pod.metadata of type v1.ObjectMeta"
    ]


def test_right_types_null_and_int64_values_are_accepted() -> None:
    pod = _pod_with(
        {
            "ports": [{"containerPort": 80, "hostIP": None}],
            "resources": {"limits": {"cpu": 1, "memory": "1Gi"}, "requests": {"cpu": 0.5}},
            "securityContext": {"runAsUser": 2**40},
            "livenessProbe": {"httpGet": {"port": "http"}, "terminationGracePeriodSeconds": 2**40},
        }
    )
    pod["spec"]["activeDeadlineSeconds"] = 2**62

    assert type_errors("Pod", pod) == []


def test_timestamps_must_be_strings() -> None:
    lease = copy.deepcopy(LEASE)
    lease["spec"]["renewTime"] = 1700000000

    assert type_errors("Lease", lease) == [
        "json: cannot unmarshal number into Go value of type string"
    ]


# -- speed --


def test_the_checks_are_cheap_enough_for_every_request() -> None:
    tree_for("Pod")  # built once, on first use
    runs = 200
    started = time.perf_counter()
    for _ in range(runs):
        unknown_fields("Pod", POD)
        type_errors("Pod", POD)
    per_request = (time.perf_counter() - started) / runs

    # A full pod with status, checked both ways: well under a millisecond on a laptop.
    assert per_request < 0.002
