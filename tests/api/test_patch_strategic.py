"""Strategic merge patch, as kube-apiserver applies it to the kinds Pilothouse serves.

The ``kubectl apply``, ``kubectl edit`` and ``kubectl set image`` patches below are the bodies
kubectl 1.37.1 sent to a recording server on loopback while a pod went through those changes
(the last-applied annotation is rebuilt with ``last_applied``, which reproduces kubectl's
string exactly). Every expected result was checked against k8s.io/apimachinery's
``strategicpatch`` (``kubectl patch --local``), including the orderings that look surprising.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from cluster.api.patching import (
    STRATEGIC_MERGE_PATCH,
    PatchBadRequest,
    PatchFailed,
    PatchInvalid,
    UnsupportedPatchType,
    apply_patch,
)

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
Obj = dict[str, Any]


def smp(original: Obj, patch: Obj | str, *, kind: str | None = None) -> Obj:
    body = patch if isinstance(patch, str) else json.dumps(patch)
    return apply_patch(STRATEGIC_MERGE_PATCH, original, body, kind=kind or original["kind"])


def last_applied(manifest: Obj) -> str:
    """The annotation value kubectl writes: sorted compact JSON and a newline."""
    return json.dumps(manifest, sort_keys=True, separators=(",", ":")) + "\n"


def container(name: str, image: str, **fields: Any) -> Obj:
    """A container as the server stores it, with kube-apiserver's defaults filled in."""
    return {
        "name": name,
        "image": image,
        **fields,
        "imagePullPolicy": "IfNotPresent",
        "resources": {},
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
    }


def env(*pairs: tuple[str, str]) -> list[Obj]:
    return [{"name": name, "value": value} for name, value in pairs]


def pod(containers: list[Obj], *, labels: Obj | None = None, applied: Obj | None = None) -> Obj:
    metadata: Obj = {
        "name": "web",
        "namespace": "default",
        "uid": "6f1c0d2e-0000-4000-8000-000000000001",
        "resourceVersion": "101",
    }
    if labels is not None:
        metadata["labels"] = labels
    if applied is not None:
        metadata["annotations"] = {LAST_APPLIED: last_applied(applied)}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": metadata,
        "spec": {
            "containers": containers,
            "restartPolicy": "Always",
            "dnsPolicy": "ClusterFirst",
            "terminationGracePeriodSeconds": 30,
        },
        "status": {"phase": "Pending", "qosClass": "BestEffort"},
    }


def manifest(containers: list[Obj], *, labels: Obj | None = None) -> Obj:
    """A manifest as kubectl records it in the last-applied annotation."""
    metadata: Obj = {"annotations": {}, "name": "web", "namespace": "default"}
    if labels is not None:
        metadata["labels"] = labels
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": metadata,
        "spec": {"containers": containers},
    }


APP_V1 = {
    "name": "app",
    "image": "nginx:1.25",
    "env": env(("MODE", "production"), ("LOG_LEVEL", "info")),
    "ports": [{"containerPort": 80}],
}
SIDECAR_V1 = {"name": "sidecar", "image": "busybox:1.36", "command": ["sleep", "3600"]}
V1 = manifest([APP_V1, SIDECAR_V1], labels={"app": "web"})
APP_V2 = {
    "env": env(("MODE", "production"), ("DEBUG", "false"), ("LOG_LEVEL", "info")),
    "image": "nginx:1.27",
    "name": "app",
    "ports": [{"containerPort": 80}],
}
V2 = manifest([APP_V2, {"image": "busybox:1.36", "name": "sidecar"}], labels={"app": "web"})
APP_V3 = {**APP_V2, "env": env(("DEBUG", "false"), ("LOG_LEVEL", "info"))}
V3 = manifest([APP_V3, {"image": "busybox:1.36", "name": "sidecar"}])
APP_V4 = {**APP_V2, "env": env(("REGION", "eu"), ("DEBUG", "false"), ("LOG_LEVEL", "info"))}
METRICS = {"image": "prom/exporter:1", "name": "metrics"}
V4 = manifest([APP_V4, METRICS, {"image": "busybox:1.36", "name": "sidecar"}])
APP_V5 = {**APP_V2, "env": env(("REGION", "eu"), ("LOG_LEVEL", "info"))}
V5 = manifest([APP_V5, METRICS])


def test_last_applied_reproduces_the_annotation_kubectl_sent() -> None:
    captured = (
        '{"apiVersion":"v1","kind":"Pod","metadata":{"annotations":{},"name":"web",'
        '"namespace":"default"},"spec":{"containers":[{"env":[{"name":"REGION","value":"eu"},'
        '{"name":"LOG_LEVEL","value":"info"}],"image":"nginx:1.27","name":"app","ports":'
        '[{"containerPort":80}]},{"image":"prom/exporter:1","name":"metrics"}]}}\n'
    )
    assert last_applied(V5) == captured


def test_apply_changing_an_image_adding_an_env_var_and_dropping_a_command() -> None:
    live = pod(
        [
            container(
                "app",
                "nginx:1.25",
                env=env(("MODE", "production"), ("LOG_LEVEL", "info")),
                ports=[{"containerPort": 80, "protocol": "TCP"}],
            ),
            container("sidecar", "busybox:1.36", command=["sleep", "3600"]),
        ],
        labels={"app": "web"},
        applied=V1,
    )
    patch = {
        "metadata": {"annotations": {LAST_APPLIED: last_applied(V2)}},
        "spec": {
            "$setElementOrder/containers": [{"name": "app"}, {"name": "sidecar"}],
            "containers": [
                {
                    "$setElementOrder/env": [
                        {"name": "MODE"},
                        {"name": "DEBUG"},
                        {"name": "LOG_LEVEL"},
                    ],
                    "env": [{"name": "DEBUG", "value": "false"}],
                    "image": "nginx:1.27",
                    "name": "app",
                },
                {"command": None, "name": "sidecar"},
            ],
        },
    }

    result = smp(live, patch)

    expected = copy.deepcopy(live)
    expected["metadata"]["annotations"][LAST_APPLIED] = last_applied(V2)
    app, sidecar = expected["spec"]["containers"]
    app["image"] = "nginx:1.27"
    app["env"] = env(("MODE", "production"), ("DEBUG", "false"), ("LOG_LEVEL", "info"))
    del sidecar["command"]
    assert result == expected


def test_apply_removing_an_env_var_and_the_labels_it_had_applied() -> None:
    live = pod(
        [
            container(
                "app",
                "nginx:1.27",
                env=env(("MODE", "production"), ("DEBUG", "false"), ("LOG_LEVEL", "info")),
                ports=[{"containerPort": 80, "protocol": "TCP"}],
            ),
            container("sidecar", "busybox:1.36"),
        ],
        labels={"app": "web"},
        applied=V2,
    )
    patch = {
        "metadata": {"annotations": {LAST_APPLIED: last_applied(V3)}, "labels": None},
        "spec": {
            "$setElementOrder/containers": [{"name": "app"}, {"name": "sidecar"}],
            "containers": [
                {
                    "$setElementOrder/env": [{"name": "DEBUG"}, {"name": "LOG_LEVEL"}],
                    "env": [{"$patch": "delete", "name": "MODE"}],
                    "name": "app",
                }
            ],
        },
    }

    result = smp(live, patch)

    expected = copy.deepcopy(live)
    del expected["metadata"]["labels"]
    expected["metadata"]["annotations"][LAST_APPLIED] = last_applied(V3)
    expected["spec"]["containers"][0]["env"] = env(("DEBUG", "false"), ("LOG_LEVEL", "info"))
    assert result == expected


def test_apply_adding_an_env_var_and_a_container_keeps_what_another_client_added() -> None:
    live = pod(
        [
            container(
                "app",
                "nginx:1.27",
                env=env(("DEBUG", "false"), ("LOG_LEVEL", "info"), ("INJECTED", "yes")),
                ports=[{"containerPort": 80, "protocol": "TCP"}],
            ),
            container("sidecar", "busybox:1.36"),
        ],
        labels={"owner": "ops"},
        applied=V3,
    )
    patch = {
        "metadata": {"annotations": {LAST_APPLIED: last_applied(V4)}},
        "spec": {
            "$setElementOrder/containers": [
                {"name": "app"},
                {"name": "metrics"},
                {"name": "sidecar"},
            ],
            "containers": [
                {
                    "$setElementOrder/env": [
                        {"name": "REGION"},
                        {"name": "DEBUG"},
                        {"name": "LOG_LEVEL"},
                    ],
                    "env": [{"name": "REGION", "value": "eu"}],
                    "name": "app",
                },
                {"image": "prom/exporter:1", "name": "metrics"},
            ],
        },
    }

    result = smp(live, patch)

    app, sidecar = live["spec"]["containers"]
    assert result["metadata"]["labels"] == {"owner": "ops"}
    assert result["spec"]["containers"] == [
        {
            **app,
            "env": env(
                ("REGION", "eu"), ("DEBUG", "false"), ("LOG_LEVEL", "info"), ("INJECTED", "yes")
            ),
        },
        {"image": "prom/exporter:1", "name": "metrics"},
        sidecar,
    ]


def test_apply_deleting_an_env_var_and_a_container_orders_the_rest_as_kube_does() -> None:
    # INJECTED was added by another client, so apply leaves it where it stood.
    live = pod(
        [
            container(
                "app",
                "nginx:1.27",
                env=env(
                    ("REGION", "eu"), ("DEBUG", "false"), ("INJECTED", "yes"), ("LOG_LEVEL", "info")
                ),
            ),
            {"image": "prom/exporter:1", "name": "metrics"},
            container("sidecar", "busybox:1.36"),
        ],
        applied=V4,
    )
    patch = {
        "metadata": {"annotations": {LAST_APPLIED: last_applied(V5)}},
        "spec": {
            "$setElementOrder/containers": [{"name": "app"}, {"name": "metrics"}],
            "containers": [
                {
                    "$setElementOrder/env": [{"name": "REGION"}, {"name": "LOG_LEVEL"}],
                    "env": [{"$patch": "delete", "name": "DEBUG"}],
                    "name": "app",
                },
                {"$patch": "delete", "name": "sidecar"},
            ],
        },
    }

    result = smp(live, patch)

    app, metrics, _ = live["spec"]["containers"]
    assert result["spec"]["containers"] == [
        {**app, "env": env(("REGION", "eu"), ("INJECTED", "yes"), ("LOG_LEVEL", "info"))},
        metrics,
    ]


def test_apply_with_nothing_changed_but_order_reorders_the_env_vars() -> None:
    live = pod(
        [container("app", "nginx:1.27", env=env(("LOG_LEVEL", "info"), ("REGION", "eu")))],
        applied=V5,
    )
    patch = {
        "spec": {
            "$setElementOrder/containers": [{"name": "app"}, {"name": "metrics"}],
            "containers": [
                {"$setElementOrder/env": [{"name": "REGION"}, {"name": "LOG_LEVEL"}], "name": "app"}
            ],
        }
    }

    result = smp(live, patch)

    assert result["spec"]["containers"][0]["env"] == env(("REGION", "eu"), ("LOG_LEVEL", "info"))


def test_edit_changing_a_value_adding_a_label_and_removing_ports() -> None:
    live = pod(
        [
            container(
                "app",
                "nginx:1.29",
                env=env(("REGION", "eu"), ("INJECTED", "yes"), ("LOG_LEVEL", "info")),
                ports=[{"containerPort": 80, "protocol": "TCP"}],
            ),
            container("metrics", "prom/exporter:1"),
        ],
        labels={"owner": "ops"},
    )
    patch = (
        '{"metadata":{"labels":{"edited":"true"}},"spec":{"$setElementOrder/containers":'
        '[{"name":"app"},{"name":"metrics"}],"containers":[{"$setElementOrder/env":'
        '[{"name":"REGION"},{"name":"INJECTED"},{"name":"LOG_LEVEL"}],"env":[{"name":'
        '"LOG_LEVEL","value":"debug"}],"name":"app","ports":null}]}}'
    )

    result = smp(live, patch)

    expected = copy.deepcopy(live)
    expected["metadata"]["labels"]["edited"] = "true"
    app = expected["spec"]["containers"][0]
    app["env"][2]["value"] = "debug"
    del app["ports"]
    assert result == expected


def test_set_image_replaces_only_that_containers_image() -> None:
    live = pod([container("app", "nginx:1.27"), container("metrics", "prom/exporter:1")])
    patch = (
        '{"spec":{"$setElementOrder/containers":[{"name":"app"},{"name":"metrics"}],'
        '"containers":[{"image":"nginx:1.28","name":"app"}]}}'
    )

    result = smp(live, patch)

    expected = copy.deepcopy(live)
    expected["spec"]["containers"][0]["image"] = "nginx:1.28"
    assert result == expected


def test_patch_adding_an_env_var_merges_it_into_the_named_container() -> None:
    live = pod([container("app", "nginx", env=env(("A", "1"), ("B", "2")))])

    result = smp(
        live, {"spec": {"containers": [{"name": "app", "env": [{"name": "C", "value": "3"}]}]}}
    )

    # Without $setElementOrder the new item goes before the server's items, as in kube.
    assert result["spec"]["containers"][0]["env"] == env(("C", "3"), ("A", "1"), ("B", "2"))


def test_patch_item_merges_into_the_existing_item_and_keeps_its_place() -> None:
    live = pod([container("app", "nginx", env=env(("A", "1"), ("B", "2"), ("C", "3")))])

    result = smp(
        live, {"spec": {"containers": [{"name": "app", "env": [{"name": "B", "value": "two"}]}]}}
    )

    assert result["spec"]["containers"][0]["env"] == env(("A", "1"), ("B", "two"), ("C", "3"))


def test_containers_are_merged_by_name_and_new_ones_come_first() -> None:
    live = pod([container("app", "nginx")])

    result = smp(live, {"spec": {"containers": [{"name": "log", "image": "fluentbit"}]}})

    assert result["spec"]["containers"] == [
        {"name": "log", "image": "fluentbit"},
        container("app", "nginx"),
    ]


def test_a_list_item_without_its_merge_key_fails_as_kube_does_with_a_500() -> None:
    live = pod([container("app", "nginx")])

    with pytest.raises(PatchFailed) as failure:
        smp(live, {"spec": {"containers": [{"image": "nginx:1.28"}]}})

    assert failure.value.status() == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": "map: map[image:nginx:1.28] does not contain declared merge key: name",
        "code": 500,
    }


def test_container_ports_merge_by_container_port() -> None:
    live = pod([container("app", "nginx", ports=[{"containerPort": 80, "protocol": "TCP"}])])
    patch = {
        "spec": {
            "containers": [
                {
                    "name": "app",
                    "ports": [
                        {"containerPort": 80, "name": "http"},
                        {"containerPort": 443, "name": "https"},
                    ],
                }
            ]
        }
    }

    result = smp(live, patch)

    assert result["spec"]["containers"][0]["ports"] == [
        {"containerPort": 80, "protocol": "TCP", "name": "http"},
        {"containerPort": 443, "name": "https"},
    ]


def test_a_second_port_with_the_same_number_merges_into_the_first_as_in_kube() -> None:
    live = pod(
        [
            container(
                "dns",
                "coredns",
                ports=[
                    {"containerPort": 53, "protocol": "UDP"},
                    {"containerPort": 53, "protocol": "TCP"},
                ],
            )
        ]
    )
    patch = {
        "spec": {
            "containers": [
                {
                    "name": "dns",
                    "ports": [
                        {"containerPort": 53, "protocol": "TCP", "name": "dns-tcp"},
                    ],
                }
            ]
        }
    }

    result = smp(live, patch)

    assert result["spec"]["containers"][0]["ports"] == [
        {"containerPort": 53, "protocol": "TCP", "name": "dns-tcp"},
        {"containerPort": 53, "protocol": "TCP"},
    ]


def test_volume_mounts_merge_by_mount_path_and_devices_by_device_path() -> None:
    live = pod(
        [
            container(
                "app",
                "nginx",
                volumeMounts=[{"name": "data", "mountPath": "/data"}],
                volumeDevices=[{"name": "raw", "devicePath": "/dev/xvda"}],
            )
        ]
    )
    patch = {
        "spec": {
            "containers": [
                {
                    "name": "app",
                    "volumeMounts": [{"name": "data", "mountPath": "/data", "readOnly": True}],
                    "volumeDevices": [{"name": "raw2", "devicePath": "/dev/xvdb"}],
                }
            ]
        }
    }

    result = smp(live, patch)

    app = result["spec"]["containers"][0]
    assert app["volumeMounts"] == [{"name": "data", "mountPath": "/data", "readOnly": True}]
    assert app["volumeDevices"] == [
        {"name": "raw2", "devicePath": "/dev/xvdb"},
        {"name": "raw", "devicePath": "/dev/xvda"},
    ]


def test_init_and_ephemeral_containers_merge_by_name_with_their_env_by_name() -> None:
    live = pod([container("app", "nginx")])
    live["spec"]["initContainers"] = [container("init", "busybox", env=env(("A", "1")))]
    live["spec"]["ephemeralContainers"] = [
        {"name": "debug", "image": "busybox", "env": env(("X", "1"))}
    ]
    patch = {
        "spec": {
            "initContainers": [{"name": "init", "env": [{"name": "B", "value": "2"}]}],
            "ephemeralContainers": [{"name": "debug", "env": [{"name": "X", "value": "2"}]}],
        }
    }

    result = smp(live, patch)

    assert result["spec"]["initContainers"][0]["env"] == env(("B", "2"), ("A", "1"))
    assert result["spec"]["ephemeralContainers"] == [
        {"name": "debug", "image": "busybox", "env": env(("X", "2"))}
    ]


def test_pod_spec_lists_merge_by_their_keys() -> None:
    live = pod([container("app", "nginx")])
    live["spec"].update(
        {
            "imagePullSecrets": [{"name": "registry"}],
            "hostAliases": [{"ip": "10.0.0.1", "hostnames": ["db"]}],
            "schedulingGates": [{"name": "wait"}],
            "topologySpreadConstraints": [
                {"topologyKey": "zone", "maxSkew": 1, "whenUnsatisfiable": "DoNotSchedule"}
            ],
        }
    )
    patch = {
        "spec": {
            "imagePullSecrets": [{"name": "mirror"}],
            "hostAliases": [{"ip": "10.0.0.1", "hostnames": ["db", "db.local"]}],
            "schedulingGates": [{"name": "wait", "$patch": "delete"}],
            "topologySpreadConstraints": [{"topologyKey": "zone", "maxSkew": 2}],
        }
    }

    result = smp(live, patch)

    assert result["spec"]["imagePullSecrets"] == [{"name": "mirror"}, {"name": "registry"}]
    assert result["spec"]["hostAliases"] == [{"ip": "10.0.0.1", "hostnames": ["db", "db.local"]}]
    assert result["spec"]["schedulingGates"] == []
    assert result["spec"]["topologySpreadConstraints"] == [
        {"topologyKey": "zone", "maxSkew": 2, "whenUnsatisfiable": "DoNotSchedule"}
    ]


def test_lists_without_a_strategy_are_replaced_whole() -> None:
    live = pod([container("app", "nginx", args=["--a", "--b"], command=["/bin/app"])])
    live["spec"]["tolerations"] = [{"key": "a", "operator": "Exists"}]
    patch = {
        "spec": {
            "containers": [{"name": "app", "args": ["--c"]}],
            "tolerations": [{"key": "b", "operator": "Exists", "effect": "NoSchedule"}],
        }
    }

    result = smp(live, patch)

    assert result["spec"]["containers"][0]["args"] == ["--c"]
    assert result["spec"]["containers"][0]["command"] == ["/bin/app"]
    assert result["spec"]["tolerations"] == [
        {"key": "b", "operator": "Exists", "effect": "NoSchedule"}
    ]


def test_pod_status_conditions_merge_by_type_and_pod_ips_by_ip() -> None:
    live = pod([container("app", "nginx")])
    live["status"] = {
        "phase": "Pending",
        "conditions": [{"type": "PodScheduled", "status": "True"}],
        "podIPs": [{"ip": "10.244.1.5"}],
        "containerStatuses": [{"name": "app", "ready": False, "restartCount": 0}],
    }
    patch = {
        "status": {
            "phase": "Running",
            "conditions": [
                {"type": "Ready", "status": "True"},
                {"type": "PodScheduled", "status": "True", "reason": "x"},
            ],
            "podIPs": [{"ip": "fd00::5"}],
            "containerStatuses": [{"name": "app", "ready": True, "restartCount": 0}],
        }
    }

    result = smp(live, patch)

    assert result["status"] == {
        "phase": "Running",
        "conditions": [
            {"type": "Ready", "status": "True"},
            {"type": "PodScheduled", "status": "True", "reason": "x"},
        ],
        "podIPs": [{"ip": "fd00::5"}, {"ip": "10.244.1.5"}],
        "containerStatuses": [{"name": "app", "ready": True, "restartCount": 0}],
    }


def test_owner_references_merge_by_uid_and_finalizers_as_a_set() -> None:
    live = pod([container("app", "nginx")])
    live["metadata"]["ownerReferences"] = [
        {"apiVersion": "v1", "kind": "ReplicationController", "name": "web", "uid": "u-1"}
    ]
    live["metadata"]["finalizers"] = ["a.example/one", "b.example/two"]
    patch = {
        "metadata": {
            "ownerReferences": [
                {"uid": "u-1", "controller": True},
                {"apiVersion": "v1", "kind": "X", "name": "x", "uid": "u-2"},
            ],
            "finalizers": ["a.example/one", "c.example/three"],
        }
    }

    result = smp(live, patch)

    assert result["metadata"]["ownerReferences"] == [
        {
            "apiVersion": "v1",
            "kind": "ReplicationController",
            "name": "web",
            "uid": "u-1",
            "controller": True,
        },
        {"apiVersion": "v1", "kind": "X", "name": "x", "uid": "u-2"},
    ]
    assert result["metadata"]["finalizers"] == ["a.example/one", "c.example/three", "b.example/two"]


def test_delete_from_primitive_list_removes_finalizers() -> None:
    live = pod([container("app", "nginx")])
    live["metadata"]["finalizers"] = ["a", "b", "c"]

    result = smp(live, {"metadata": {"$deleteFromPrimitiveList/finalizers": ["b", "z"]}})

    assert result["metadata"]["finalizers"] == ["a", "c"]


def test_delete_from_primitive_list_also_works_on_a_list_without_a_strategy() -> None:
    live = pod([container("app", "nginx", args=["--a", "--b"])])

    result = smp(
        live, {"spec": {"containers": [{"name": "app", "$deleteFromPrimitiveList/args": ["--a"]}]}}
    )

    assert result["spec"]["containers"][0]["args"] == ["--b"]


def test_set_element_order_orders_a_primitive_list() -> None:
    live = pod([container("app", "nginx")])
    live["metadata"]["finalizers"] = ["a", "b"]

    result = smp(
        live, {"metadata": {"$setElementOrder/finalizers": ["c", "b", "a"], "finalizers": ["c"]}}
    )

    assert result["metadata"]["finalizers"] == ["c", "b", "a"]


def test_an_empty_set_element_order_leaves_new_scalars_in_gos_sort_order() -> None:
    # Go's comparator calls unplaced items "smaller"; its insertion sort then reverses them.
    live = pod([container("app", "nginx")])

    result = smp(
        live, {"metadata": {"$setElementOrder/finalizers": [], "finalizers": ["x", "y", "z"]}}
    )

    assert result["metadata"]["finalizers"] == ["z", "y", "x"]


def test_set_element_order_that_contradicts_the_patch_list_fails_with_a_500() -> None:
    live = pod([container("app", "nginx")])
    live["metadata"]["finalizers"] = ["a", "b"]

    with pytest.raises(PatchFailed) as failure:
        smp(
            live,
            {"metadata": {"$setElementOrder/finalizers": ["b", "a"], "finalizers": ["a", "b"]}},
        )

    assert failure.value.message == (
        "The order in patch list:\n[a b]\n doesn't match $setElementOrder list:\n[b a]\n"
    )


def test_set_element_order_with_deletions_sees_the_list_as_go_rewrote_it() -> None:
    live = pod([container("app", "nginx", env=env(("A", "1"), ("B", "2"), ("X", "x")))])
    patch = {
        "spec": {
            "containers": [
                {
                    "name": "app",
                    "$setElementOrder/env": [{"name": "A"}, {"name": "C"}],
                    "env": [{"name": "C", "value": "3"}, {"name": "B", "$patch": "delete"}],
                }
            ]
        }
    }

    result = smp(live, patch)

    assert result["spec"]["containers"][0]["env"] == env(("A", "1"), ("X", "x"), ("C", "3"))


def test_patch_replace_in_a_list_replaces_it_with_the_other_items() -> None:
    live = pod([container("app", "nginx", env=env(("A", "1"), ("B", "2")))])
    patch = {
        "spec": {
            "containers": [
                {"name": "app", "env": [{"$patch": "replace"}, {"name": "Q", "value": "q"}]}
            ]
        }
    }

    result = smp(live, patch)

    assert result["spec"]["containers"][0]["env"] == env(("Q", "q"))


def test_patch_replace_on_a_map_replaces_it() -> None:
    live = pod([container("app", "nginx")], labels={"app": "web", "tier": "front"})

    result = smp(live, {"metadata": {"labels": {"$patch": "replace", "team": "a"}}})

    assert result["metadata"]["labels"] == {"team": "a"}


def test_patch_delete_on_a_map_empties_it() -> None:
    live = pod([container("app", "nginx")], labels={"app": "web"})

    result = smp(live, {"metadata": {"labels": {"$patch": "delete"}}})

    assert result["metadata"]["labels"] == {}


def test_patch_merge_in_a_list_is_refused_as_kube_refuses_it() -> None:
    live = pod([container("app", "nginx")])

    with pytest.raises(PatchFailed) as failure:
        smp(live, {"spec": {"containers": [{"name": "app", "$patch": "merge"}]}})

    assert failure.value.message == "merging lists cannot yet be specified in the patch"


def test_an_unknown_patch_directive_is_a_500_naming_it() -> None:
    live = pod([container("app", "nginx", env=env(("B", "2")))])

    with pytest.raises(PatchFailed) as failure:
        smp(
            live,
            {"spec": {"containers": [{"name": "app", "env": [{"name": "B", "$patch": "bogus"}]}]}},
        )

    assert failure.value.message == "unknown patch type: bogus in map: map[$patch:bogus name:B]"


def test_retain_keys_switches_a_volume_source() -> None:
    live = pod([container("app", "nginx")])
    live["spec"]["volumes"] = [{"name": "data", "emptyDir": {}}, {"name": "other", "emptyDir": {}}]
    patch = {
        "spec": {
            "volumes": [
                {
                    "$retainKeys": ["configMap", "name"],
                    "configMap": {"name": "settings"},
                    "name": "data",
                }
            ]
        }
    }

    result = smp(live, patch)

    assert result["spec"]["volumes"] == [
        {"name": "data", "configMap": {"name": "settings"}},
        {"name": "other", "emptyDir": {}},
    ]


def test_retain_keys_that_omits_a_key_the_patch_sets_is_a_bad_request() -> None:
    live = pod([container("app", "nginx")])
    live["spec"]["volumes"] = [{"name": "data", "emptyDir": {}}]
    patch = {
        "spec": {"volumes": [{"$retainKeys": ["name"], "configMap": {"name": "x"}, "name": "data"}]}
    }

    with pytest.raises(PatchBadRequest) as failure:
        smp(live, patch)

    assert failure.value.status() == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": "invalid patch format of retainKeys",
        "reason": "BadRequest",
        "code": 400,
    }


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ({"metadata": {"$retainKeys": "name"}}, "invalid patch format of retainKeys"),
        (
            {"metadata": {"$setElementOrderX/finalizers": []}},
            "invalid patch format of setElementOrder list",
        ),
        (
            {"metadata": {"$deleteFromPrimitiveListX/finalizers": []}},
            "invalid patch format of primitive list",
        ),
    ],
)
def test_malformed_directives_are_bad_requests(patch: Obj, message: str) -> None:
    live = pod([container("app", "nginx")])

    with pytest.raises(PatchBadRequest) as failure:
        smp(live, patch)

    assert failure.value.message == message


def test_a_list_of_lists_is_invalid_with_kubes_generic_message() -> None:
    live = pod([container("app", "nginx")])
    live["metadata"]["finalizers"] = []

    with pytest.raises(PatchInvalid) as failure:
        smp(live, {"metadata": {"finalizers": [["b"]]}})

    assert failure.value.status() == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": "the server rejected our request due to an error in our request",
        "reason": "Invalid",
        "details": {},
        "code": 422,
    }
    assert failure.value.detail == "lists of lists are not supported"


def test_list_items_of_different_types_fail_with_a_500() -> None:
    live = pod([container("app", "nginx")])
    live["metadata"]["finalizers"] = ["a"]

    with pytest.raises(PatchFailed) as failure:
        smp(live, {"metadata": {"finalizers": [["b"]]}})

    assert failure.value.message == "list element types are not identical: [[a] [[b]]]"


def test_null_deletes_a_field_and_nulls_in_new_values_are_dropped() -> None:
    live = pod([container("app", "nginx")], labels={"app": "web", "tier": "front"})
    patch = {"metadata": {"labels": {"tier": None}, "annotations": {"a": None, "b": "1"}}}

    result = smp(live, patch)

    assert result["metadata"]["labels"] == {"app": "web"}
    assert result["metadata"]["annotations"] == {"b": "1"}


def test_a_new_value_loses_its_patch_directives_but_an_appended_item_keeps_them() -> None:
    live = pod([container("app", "nginx")])
    patch = {
        "spec": {
            "initContainers": [
                {
                    "name": "i",
                    "env": [{"name": "X", "$patch": "delete"}, {"name": "Y", "value": "y"}],
                }
            ],
            "containers": [{"name": "new", "env": [{"name": "X", "$patch": "delete"}]}],
        }
    }

    result = smp(live, patch)

    assert result["spec"]["initContainers"] == [{"name": "i", "env": [{"name": "Y", "value": "y"}]}]
    assert result["spec"]["containers"][0] == {
        "name": "new",
        "env": [{"name": "X", "$patch": "delete"}],
    }


def test_replication_controller_template_merges_like_a_pod() -> None:
    live = {
        "apiVersion": "v1",
        "kind": "ReplicationController",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "replicas": 2,
            "selector": {"app": "web"},
            "template": {
                "metadata": {"labels": {"app": "web"}, "finalizers": ["a"]},
                "spec": {"containers": [container("app", "nginx", env=env(("A", "1")))]},
            },
        },
        "status": {"replicas": 2, "conditions": [{"type": "ReplicaFailure", "status": "True"}]},
    }
    patch = {
        "spec": {
            "replicas": 3,
            "template": {
                "metadata": {"finalizers": ["b"]},
                "spec": {"containers": [{"name": "app", "env": [{"name": "A", "value": "2"}]}]},
            },
        },
        "status": {"conditions": [{"type": "ReplicaFailure", "$patch": "delete"}]},
    }

    result = smp(live, patch)

    template = result["spec"]["template"]
    assert result["spec"]["replicas"] == 3
    assert template["metadata"] == {"labels": {"app": "web"}, "finalizers": ["b", "a"]}
    assert template["spec"]["containers"] == [container("app", "nginx", env=env(("A", "2")))]
    assert result["status"] == {"replicas": 2, "conditions": []}


def test_service_ports_merge_by_port() -> None:
    live = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "type": "ClusterIP",
            "clusterIP": "10.96.0.10",
            "ports": [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": 8080}],
            "selector": {"app": "web"},
        },
    }
    patch = {"spec": {"ports": [{"port": 80, "targetPort": 9090}, {"name": "https", "port": 443}]}}

    result = smp(live, patch)

    assert result["spec"]["ports"] == [
        {"name": "http", "port": 80, "protocol": "TCP", "targetPort": 9090},
        {"name": "https", "port": 443},
    ]


def test_node_addresses_merge_by_type_and_pod_cidrs_as_a_set() -> None:
    live = {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": "node-1"},
        "spec": {"podCIDRs": ["10.244.1.0/24"], "taints": [{"key": "a", "effect": "NoSchedule"}]},
        "status": {
            "addresses": [
                {"type": "InternalIP", "address": "192.0.2.10"},
                {"type": "Hostname", "address": "node-1"},
            ],
            "conditions": [{"type": "Ready", "status": "True"}],
        },
    }
    patch = {
        "spec": {"podCIDRs": ["fd00:1::/64"], "taints": []},
        "status": {
            "addresses": [{"type": "InternalIP", "address": "192.0.2.11"}],
            "conditions": [{"type": "Ready", "status": "False", "reason": "KubeletNotReady"}],
        },
    }

    result = smp(live, patch)

    assert result["spec"] == {"podCIDRs": ["fd00:1::/64", "10.244.1.0/24"], "taints": []}
    assert result["status"] == {
        "addresses": [
            {"type": "InternalIP", "address": "192.0.2.11"},
            {"type": "Hostname", "address": "node-1"},
        ],
        "conditions": [{"type": "Ready", "status": "False", "reason": "KubeletNotReady"}],
    }


def test_endpoints_subsets_are_replaced_whole() -> None:
    live = {
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": {"name": "web", "namespace": "default"},
        "subsets": [{"addresses": [{"ip": "10.244.1.5"}], "ports": [{"port": 8080}]}],
    }
    patch = {"subsets": [{"addresses": [{"ip": "10.244.2.7"}], "ports": [{"port": 8080}]}]}

    assert smp(live, patch)["subsets"] == patch["subsets"]


def test_lease_renewal_merges_its_spec() -> None:
    live = {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {"name": "node-1", "namespace": "kube-node-lease"},
        "spec": {
            "holderIdentity": "node-1",
            "leaseDurationSeconds": 40,
            "renewTime": "2025-01-01T00:00:00.000000Z",
        },
    }

    result = smp(live, {"spec": {"renewTime": "2025-01-01T00:00:10.000000Z"}})

    assert result["spec"] == {
        "holderIdentity": "node-1",
        "leaseDurationSeconds": 40,
        "renewTime": "2025-01-01T00:00:10.000000Z",
    }


def test_a_null_patch_changes_nothing() -> None:
    live = pod([container("app", "nginx")])

    assert smp(live, "null") == live


def test_patch_delete_at_the_top_empties_the_object() -> None:
    assert smp(pod([container("app", "nginx")]), {"$patch": "delete"}) == {}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("[]", "json: cannot unmarshal array into Go value of type map[string]interface {}"),
        ('"x"', "json: cannot unmarshal string into Go value of type map[string]interface {}"),
        ('{"spec":', "unexpected end of JSON input"),
        ("{'spec': 1}", "invalid character '\\'' looking for beginning of object key string"),
        ('{"a":}', "invalid character '}' looking for beginning of value"),
        ("NaN", "invalid character 'N' looking for beginning of value"),
    ],
)
def test_a_body_that_is_not_a_json_object_is_a_bad_request(body: str, message: str) -> None:
    with pytest.raises(PatchBadRequest) as failure:
        smp(pod([container("app", "nginx")]), body)

    assert failure.value.message == message


def test_strategic_merge_patch_of_a_kind_without_a_schema_is_unsupported() -> None:
    live = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}

    with pytest.raises(UnsupportedPatchType) as failure:
        smp(live, {"spec": {}})

    assert failure.value.code == 415
    assert failure.value.message == (
        "the body of the request was in an unknown format - accepted media types include: "
        "application/json-patch+json, application/merge-patch+json"
    )


def test_the_original_object_and_the_patch_are_not_modified() -> None:
    live = pod([container("app", "nginx", env=env(("A", "1"), ("B", "2")))], labels={"a": "1"})
    before = copy.deepcopy(live)
    body = json.dumps(
        {
            "metadata": {"labels": None},
            "spec": {
                "containers": [
                    {
                        "name": "app",
                        "env": [{"name": "A", "$patch": "delete"}, {"name": "C", "value": "3"}],
                    }
                ]
            },
        }
    ).encode()

    smp(live, body.decode())

    assert live == before


def test_a_charset_parameter_on_the_content_type_is_accepted() -> None:
    live = pod([container("app", "nginx")])

    result = apply_patch(
        "application/strategic-merge-patch+json; charset=utf-8",
        live,
        b'{"metadata":{"labels":{"a":"b"}}}',
        kind="Pod",
    )

    assert result["metadata"]["labels"] == {"a": "b"}
