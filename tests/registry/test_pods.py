"""Pods: kube's defaults, validation (paths and messages), update rules, status and deletion.

Most tests run the strategy's hooks directly, in the order the registry runs them; the last
group goes through the real registry over PostgreSQL.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from cluster.registry.errors import Invalid, NotFound
from cluster.registry.kinds import quantity
from cluster.registry.kinds.containers import pull_policy_for
from cluster.registry.kinds.namespaces import NamespaceStrategy
from cluster.registry.kinds.pods import (
    PodStatusStrategy,
    PodStrategy,
    default_pod_template,
    validate_pod_spec,
    validate_pod_template,
)
from cluster.registry.registry import DeleteOptions, Registry
from cluster.registry.resources import Resource
from cluster.store.types import Object

DB = pytest.mark.django_db(transaction=True)
STRATEGY = PodStrategy()
STATUS = PodStatusStrategy(STRATEGY)
PODS = Resource("", "v1", "Pod", "pods", "pod", STRATEGY, subresources={"status": STATUS})
NAMESPACES = Resource(
    "", "v1", "Namespace", "namespaces", "namespace", NamespaceStrategy(), namespaced=False
)
LABEL_PROBLEM = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
    "and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', "
    "regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
RANGE = "must be between 1 and 65535, inclusive"
DEFAULT_TOLERATIONS = [
    {
        "key": "node.kubernetes.io/not-ready",
        "operator": "Exists",
        "effect": "NoExecute",
        "tolerationSeconds": 300,
    },
    {
        "key": "node.kubernetes.io/unreachable",
        "operator": "Exists",
        "effect": "NoExecute",
        "tolerationSeconds": 300,
    },
]


def container(name: str = "web", image: str = "nginx:1.27", **fields: Any) -> dict[str, Any]:
    return {"name": name, "image": image, **fields}


def pod(*containers: dict[str, Any], **spec: Any) -> Object:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {"containers": list(containers) or [container()], **spec},
    }


def created(obj: Object) -> Object:
    """``obj`` after the create hooks the registry runs before validation."""
    new = copy.deepcopy(obj)
    STRATEGY.default(new)
    STRATEGY.prepare_for_create(new)
    return new


def updated(new: Object, old: Object) -> Object:
    result = copy.deepcopy(new)
    STRATEGY.default(result)
    STRATEGY.prepare_for_update(result, old)
    return result


def problems(obj: Object) -> list[str]:
    """Each cause of a create of ``obj`` as kubectl prints it: "field: message"."""
    return [f"{c.field}: {c.message}" for c in STRATEGY.validate(created(obj))]


def update_problems(new: Object, old: Object) -> list[str]:
    causes = STRATEGY.validate_update(updated(new, old), old)
    return [f"{c.field}: {c.message}" for c in causes]


def status_update(new_status: dict[str, Any], old: Object) -> tuple[Object, list[str]]:
    new = copy.deepcopy(old)
    new["status"] = new_status
    STATUS.prepare_for_update(new, old)
    return new, [f"{c.field}: {c.message}" for c in STATUS.validate_update(new, old)]


# -- defaults --


def test_a_bare_pod_gets_the_spec_defaults_of_kube_apiserver_and_its_admission_plugins() -> None:
    spec = created(pod())["spec"]
    spec.pop("containers")
    assert spec == {
        "dnsPolicy": "ClusterFirst",
        "restartPolicy": "Always",
        "securityContext": {},
        "terminationGracePeriodSeconds": 30,
        "schedulerName": "default-scheduler",
        "enableServiceLinks": True,
        "priority": 0,
        "preemptionPolicy": "PreemptLowerPriority",
        "tolerations": DEFAULT_TOLERATIONS,
    }


def test_a_container_gets_pull_policy_termination_message_and_empty_resources() -> None:
    assert created(pod())["spec"]["containers"] == [
        {
            "name": "web",
            "image": "nginx:1.27",
            "imagePullPolicy": "IfNotPresent",
            "terminationMessagePath": "/dev/termination-log",
            "terminationMessagePolicy": "File",
            "resources": {},
        }
    ]


@pytest.mark.parametrize(
    ("image", "policy"),
    [
        ("nginx", "Always"),
        ("nginx:latest", "Always"),
        ("nginx:1.27", "IfNotPresent"),
        ("nginx@sha256:" + "a" * 64, "IfNotPresent"),
        ("nginx:latest@sha256:" + "a" * 64, "Always"),
        ("localhost:5000/team/app", "Always"),
        ("localhost:5000/team/app:v2", "IfNotPresent"),
        ("Not/A/Valid/Image", "IfNotPresent"),
    ],
)
def test_the_image_pull_policy_follows_the_image_tag(image: str, policy: str) -> None:
    assert pull_policy_for(image) == policy


def test_given_values_are_kept_over_defaults() -> None:
    spec = created(
        pod(
            container(
                image="nginx",
                imagePullPolicy="Never",
                ports=[{"containerPort": 53, "protocol": "UDP"}],
            ),
            restartPolicy="Never",
            dnsPolicy="Default",
            terminationGracePeriodSeconds=5,
        )
    )["spec"]
    assert spec["containers"][0]["imagePullPolicy"] == "Never"
    assert spec["containers"][0]["ports"] == [{"containerPort": 53, "protocol": "UDP"}]
    assert (spec["restartPolicy"], spec["dnsPolicy"], spec["terminationGracePeriodSeconds"]) == (
        "Never",
        "Default",
        5,
    )


def test_ports_default_to_tcp_and_env_field_refs_to_api_version_v1() -> None:
    web = container(
        ports=[{"containerPort": 80}],
        env=[{"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}],
    )
    defaulted = created(pod(web))["spec"]["containers"][0]
    assert defaulted["ports"] == [{"containerPort": 80, "protocol": "TCP"}]
    assert defaulted["env"][0]["valueFrom"]["fieldRef"] == {
        "fieldPath": "metadata.name",
        "apiVersion": "v1",
    }


def test_probes_and_hooks_get_kubes_timing_and_http_defaults() -> None:
    web = container(
        livenessProbe={"httpGet": {"port": 8080}},
        readinessProbe={"grpc": {"port": 9000}, "periodSeconds": 5},
        lifecycle={"preStop": {"httpGet": {"port": 8080, "path": "/stop"}}},
    )
    defaulted = created(pod(web))["spec"]["containers"][0]
    assert defaulted["livenessProbe"] == {
        "httpGet": {"port": 8080, "path": "/", "scheme": "HTTP"},
        "timeoutSeconds": 1,
        "periodSeconds": 10,
        "successThreshold": 1,
        "failureThreshold": 3,
    }
    assert defaulted["readinessProbe"] == {
        "grpc": {"port": 9000, "service": ""},
        "periodSeconds": 5,
        "timeoutSeconds": 1,
        "successThreshold": 1,
        "failureThreshold": 3,
    }
    assert defaulted["lifecycle"] == {
        "preStop": {"httpGet": {"port": 8080, "path": "/stop", "scheme": "HTTP"}}
    }


def test_volumes_default_to_empty_dir_and_their_files_to_mode_0644() -> None:
    volumes = [
        {"name": "scratch"},
        {"name": "config", "configMap": {"name": "app"}},
        {"name": "creds", "secret": {"secretName": "app", "defaultMode": 0o400}},
        {"name": "host", "hostPath": {"path": "/var/log"}},
        {
            "name": "meta",
            "downwardAPI": {
                "items": [{"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}}]
            },
        },
        {"name": "token", "projected": {"sources": [{"serviceAccountToken": {"path": "token"}}]}},
    ]
    assert created(pod(volumes=volumes))["spec"]["volumes"] == [
        {"name": "scratch", "emptyDir": {}},
        {"name": "config", "configMap": {"name": "app", "defaultMode": 420}},
        {"name": "creds", "secret": {"secretName": "app", "defaultMode": 256}},
        {"name": "host", "hostPath": {"path": "/var/log", "type": ""}},
        {
            "name": "meta",
            "downwardAPI": {
                "items": [
                    {
                        "path": "labels",
                        "fieldRef": {"fieldPath": "metadata.labels", "apiVersion": "v1"},
                    }
                ],
                "defaultMode": 420,
            },
        },
        {
            "name": "token",
            "projected": {
                "sources": [{"serviceAccountToken": {"path": "token", "expirationSeconds": 3600}}],
                "defaultMode": 420,
            },
        },
    ]


def test_requests_default_to_limits_and_quantities_are_printed_canonically() -> None:
    web = container(
        resources={"limits": {"cpu": "0.5", "memory": "1.5Gi"}, "requests": {"cpu": "0.1m"}}
    )
    assert created(pod(web))["spec"]["containers"][0]["resources"] == {
        "limits": {"cpu": "500m", "memory": "1536Mi"},
        "requests": {"cpu": "1m", "memory": "1536Mi"},
    }


@pytest.mark.parametrize(
    ("given", "printed"),
    [
        ("100m", "100m"),
        ("1.5", "1500m"),
        ("1000", "1k"),
        ("1500000", "1500k"),
        ("128Mi", "128Mi"),
        ("1024Mi", "1Gi"),
        ("1.5Gi", "1536Mi"),
        ("1G", "1G"),
        ("1e3", "1e3"),
        ("1.5e3", "1500"),
        ("0.5Ki", "512"),
        (2, "2"),
        (0.25, "250m"),
        ("0", "0"),
    ],
)
def test_quantities_keep_their_suffix_family_in_canonical_form(given: Any, printed: str) -> None:
    assert str(quantity.parse(given)) == printed


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("", quantity.FORMAT_ERROR),
        ("lots", quantity.FORMAT_ERROR),
        ("1x", quantity.FORMAT_ERROR),
        ("1K", quantity.SUFFIX_ERROR),
        ("1mi", quantity.SUFFIX_ERROR),
        (True, quantity.FORMAT_ERROR),
    ],
)
def test_malformed_quantities_are_refused_with_kubes_words(given: Any, message: str) -> None:
    with pytest.raises(quantity.QuantityError) as raised:
        quantity.parse(given)
    assert str(raised.value) == message


def test_a_quantity_reads_the_same_every_time_however_long_its_text() -> None:
    long_text = "0.5" + "0" * 70  # past the length of texts whose parse is kept
    assert [str(quantity.parse(q)) for q in ("0.5", "0.5", long_text)] == ["500m"] * 3
    assert [quantity.rounded_text(q) for q in ("0.0001", "0.0001", "0.0001" + "0" * 70)] == [
        "1m"
    ] * 3


def test_a_malformed_quantity_is_refused_every_time_it_is_read() -> None:
    for _ in range(2):
        with pytest.raises(quantity.QuantityError):
            quantity.parse("1x")
        with pytest.raises(quantity.QuantityError):
            quantity.rounded_text("1x")


def test_default_tolerations_are_added_only_for_taints_not_yet_tolerated() -> None:
    own = {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "tolerationSeconds": 60}
    own["effect"] = "NoExecute"
    assert created(pod(tolerations=[own]))["spec"]["tolerations"] == [own, DEFAULT_TOLERATIONS[1]]
    everything = {"operator": "Exists"}
    assert created(pod(tolerations=[everything]))["spec"]["tolerations"] == [everything]


def test_a_host_network_pod_exposes_its_container_ports_on_the_host() -> None:
    web = container(ports=[{"containerPort": 8080}])
    port = created(pod(web, hostNetwork=True))["spec"]["containers"][0]["ports"][0]
    assert port == {"containerPort": 8080, "protocol": "TCP", "hostPort": 8080}


def test_priority_comes_from_the_system_priority_classes() -> None:
    spec = created(pod(priorityClassName="system-node-critical"))["spec"]
    assert (spec["priority"], spec["preemptionPolicy"]) == (2000001000, "PreemptLowerPriority")


def test_service_account_is_kept_as_the_deprecated_alias_of_service_account_name() -> None:
    assert created(pod(serviceAccount="builder"))["spec"]["serviceAccountName"] == "builder"
    spec = created(pod(serviceAccountName="runner", serviceAccount="old"))["spec"]
    assert (spec["serviceAccountName"], spec["serviceAccount"]) == ("runner", "runner")


def test_a_template_gets_the_pod_spec_defaults_but_no_pod_only_ones() -> None:
    template: dict[str, Any] = {
        "metadata": {"labels": {"app": "web"}},
        "spec": {"containers": [container(resources={"limits": {"cpu": "1"}})]},
    }
    default_pod_template(template)
    spec = template["spec"]
    assert sorted(spec) == [
        "containers",
        "dnsPolicy",
        "restartPolicy",
        "schedulerName",
        "securityContext",
        "terminationGracePeriodSeconds",
    ]
    assert spec["containers"][0]["resources"] == {"limits": {"cpu": "1"}}


# -- initial status --


def test_a_new_pod_is_pending_with_its_qos_class_whatever_status_it_was_sent_with() -> None:
    sent = pod()
    sent["status"] = {"phase": "Running", "podIP": "10.244.0.5"}
    assert created(sent)["status"] == {"phase": "Pending", "qosClass": "BestEffort"}


@pytest.mark.parametrize(
    ("resources", "qos"),
    [
        ([{}], "BestEffort"),
        ([{"requests": {"cpu": "100m"}}], "Burstable"),
        ([{"limits": {"cpu": "1", "memory": "1Gi"}}], "Guaranteed"),
        ([{"limits": {"cpu": "1"}}], "Burstable"),
        (
            [
                {
                    "requests": {"cpu": "500m", "memory": "1Gi"},
                    "limits": {"cpu": "1", "memory": "1Gi"},
                }
            ],
            "Burstable",
        ),
        ([{"limits": {"cpu": "1", "memory": "1Gi"}}, {}], "Burstable"),
        (
            [{"limits": {"cpu": "1", "memory": "1Gi"}}, {"limits": {"cpu": "2", "memory": "2Gi"}}],
            "Guaranteed",
        ),
        ([{"requests": {"cpu": "0"}}], "BestEffort"),
        (
            [{"requests": {"example.com/gpu": "1"}, "limits": {"example.com/gpu": "1"}}],
            "BestEffort",
        ),
    ],
)
def test_the_qos_class_follows_cpu_and_memory_requests_and_limits(
    resources: list[dict[str, Any]], qos: str
) -> None:
    containers = [container(f"c{i}", resources=r) for i, r in enumerate(resources)]
    assert created(pod(*containers))["status"]["qosClass"] == qos


def test_init_containers_count_towards_the_qos_class() -> None:
    obj = pod(initContainers=[container("setup", resources={"requests": {"memory": "64Mi"}})])
    assert created(obj)["status"]["qosClass"] == "Burstable"


def test_a_gated_pod_starts_unschedulable_with_the_scheduling_gated_condition() -> None:
    status = created(pod(schedulingGates=[{"name": "example.com/quota"}]))["status"]
    assert status["conditions"] == [
        {
            "type": "PodScheduled",
            "status": "False",
            "reason": "SchedulingGated",
            "message": "Scheduling is blocked due to non-empty scheduling gates",
        }
    ]


# -- validation --


def test_a_valid_pod_has_no_causes() -> None:
    web = container(
        ports=[{"name": "http", "containerPort": 80}],
        env=[{"name": "MODE", "value": "prod"}],
        volumeMounts=[{"name": "data", "mountPath": "/data"}],
        resources={"requests": {"cpu": "100m"}, "limits": {"cpu": "1", "memory": "256Mi"}},
        readinessProbe={"tcpSocket": {"port": "http"}},
    )
    assert problems(pod(web, volumes=[{"name": "data"}], nodeSelector={"disk": "ssd"})) == []


def test_a_pod_needs_at_least_one_container() -> None:
    assert problems(pod(containers=[])) == ["spec.containers: Required value"]


def test_container_names_are_dns_labels_unique_across_containers_and_init_containers() -> None:
    obj = pod(
        container("web"),
        container("web"),
        container("Side_Car"),
        initContainers=[container("web"), container("setup"), container("setup")],
    )
    assert problems(obj) == [
        'spec.containers[1].name: Duplicate value: "web"',
        f'spec.containers[2].name: Invalid value: "Side_Car": {LABEL_PROBLEM}',
        'spec.initContainers[0].name: Duplicate value: "web"',
        'spec.initContainers[2].name: Duplicate value: "setup"',
    ]


def test_a_container_needs_a_name_and_an_image() -> None:
    assert problems(pod({"image": "nginx"}, {"name": "sidecar"})) == [
        "spec.containers[0].name: Required value",
        "spec.containers[1].image: Required value",
    ]


def test_restart_and_dns_policies_are_kubes_enums() -> None:
    assert problems(pod(restartPolicy="Sometimes", dnsPolicy="Google")) == [
        'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", '
        '"OnFailure", "Never"',
        'spec.dnsPolicy: Unsupported value: "Google": supported values: '
        '"ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"',
    ]


def test_container_ports_follow_kubes_rules() -> None:
    web = container(
        ports=[
            {"containerPort": 0},
            {"containerPort": 70000, "hostPort": 70001, "protocol": "HTTP"},
            {"containerPort": 80, "name": "http"},
            {"containerPort": 81, "name": "http"},
            {"containerPort": 82, "name": "8080"},
        ]
    )
    assert problems(pod(web)) == [
        "spec.containers[0].ports[0].containerPort: Required value",
        f"spec.containers[0].ports[1].containerPort: Invalid value: 70000: {RANGE}",
        f"spec.containers[0].ports[1].hostPort: Invalid value: 70001: {RANGE}",
        'spec.containers[0].ports[1].protocol: Unsupported value: "HTTP": supported values: '
        '"SCTP", "TCP", "UDP"',
        'spec.containers[0].ports[3].name: Duplicate value: "http"',
        'spec.containers[0].ports[4].name: Invalid value: "8080": must contain at least one '
        "letter (a-z)",
    ]


def test_two_containers_may_not_claim_one_host_port() -> None:
    first = container("a", ports=[{"containerPort": 80, "hostPort": 8080}])
    second = container("b", ports=[{"containerPort": 81, "hostPort": 8080}])
    assert problems(pod(first, second)) == [
        'spec.containers[1].ports[0].hostPort: Duplicate value: "TCP//8080"'
    ]


def test_env_vars_need_a_printable_name_and_at_most_one_source() -> None:
    web = container(
        env=[
            {"value": "x"},
            {"name": "A=B"},
            {"name": "C", "valueFrom": {}},
            {"name": "D", "value": "x", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}},
            {
                "name": "E",
                "valueFrom": {
                    "secretKeyRef": {"name": "s", "key": "k"},
                    "configMapKeyRef": {"name": "c", "key": "k"},
                },
            },
            {"name": "F", "valueFrom": {"configMapKeyRef": {"name": "c", "key": "bad key"}}},
        ]
    )
    path = "spec.containers[0].env"
    assert problems(pod(web)) == [
        f"{path}[0].name: Required value",
        f'{path}[1].name: Invalid value: "A=B": a valid environment variable name must consist '
        "only of printable ASCII characters other than '='",
        f'{path}[2].valueFrom: Invalid value: "": must specify one of: `fieldRef`, '
        "`resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`",
        f'{path}[3].valueFrom: Invalid value: "": may not be specified when `value` is not empty',
        f'{path}[4].valueFrom: Invalid value: "": may not have more than one field specified '
        "at a time",
        f'{path}[5].valueFrom.configMapKeyRef.key: Invalid value: "bad key": a valid config key '
        "must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or "
        "'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
    ]


def test_env_field_refs_name_a_field_the_downward_api_offers() -> None:
    web = container(
        env=[
            {"name": "A", "valueFrom": {"fieldRef": {"fieldPath": "spec.containers"}}},
            {"name": "B", "valueFrom": {"fieldRef": {"fieldPath": "status.phase"}}},
            {"name": "C", "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['app']"}}},
            {"name": "D", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name['x']"}}},
        ]
    )
    path = "spec.containers[0].env"
    assert problems(pod(web)) == [
        f'{path}[0].valueFrom.fieldRef.fieldPath: Invalid value: "spec.containers": error '
        "converting fieldPath: field label not supported: spec.containers",
        f'{path}[1].valueFrom.fieldRef.fieldPath: Unsupported value: "status.phase": supported '
        'values: "metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName", '
        '"spec.serviceAccountName", "status.hostIP", "status.hostIPs", "status.podIP", '
        '"status.podIPs"',
        f"{path}[3].valueFrom.fieldRef.fieldPath: Invalid value: \"metadata.name['x']\": error "
        "converting fieldPath: field label does not support subscript: metadata.name['x']",
    ]


def test_env_from_needs_exactly_one_source_with_a_name() -> None:
    web = container(
        envFrom=[
            {"prefix": "APP_"},
            {"configMapRef": {}},
            {"configMapRef": {"name": "c"}, "secretRef": {"name": "s"}},
        ]
    )
    assert problems(pod(web)) == [
        'spec.containers[0].envFrom: Invalid value: "": must specify one of: `configMapRef` or '
        "`secretRef`",
        "spec.containers[0].envFrom[1].configMapRef.name: Required value",
        'spec.containers[0].envFrom: Invalid value: "": may not have more than one field '
        "specified at a time",
    ]


def test_volumes_need_unique_dns_label_names_and_exactly_one_source() -> None:
    volumes = [
        {"name": "data"},
        {"name": "data"},
        {"name": "Cache"},
        {"emptyDir": {}},
        {"name": "both", "emptyDir": {}, "configMap": {"name": "c"}, "downwardAPI": {}},
    ]
    assert problems(pod(volumes=volumes)) == [
        'spec.volumes[1].name: Duplicate value: "data"',
        f'spec.volumes[2].name: Invalid value: "Cache": {LABEL_PROBLEM}',
        "spec.volumes[3].name: Required value",
        "spec.volumes[4].downwarAPI: Forbidden: may not specify more than 1 volume type",
        "spec.volumes[4].configMap: Forbidden: may not specify more than 1 volume type",
    ]


def test_volume_sources_are_checked_in_depth() -> None:
    volumes = [
        {"name": "a", "hostPath": {"path": "/var/../etc", "type": "Folder"}},
        {
            "name": "b",
            "configMap": {"defaultMode": 0o1000, "items": [{"key": "k", "path": "/abs"}]},
        },
        {"name": "c", "secret": {"secretName": "s", "items": [{"path": "..x"}]}},
        {"name": "d", "persistentVolumeClaim": {}},
        {"name": "e", "emptyDir": {"sizeLimit": "-1Gi"}},
        {"name": "f", "nfs": {"server": "nas", "path": "share"}},
    ]
    assert problems(pod(volumes=volumes)) == [
        "spec.volumes[0].hostPath.path: Invalid value: \"/var/../etc\": must not contain '..'",
        'spec.volumes[0].hostPath.type: Unsupported value: "Folder": supported values: "", '
        '"BlockDevice", "CharDevice", "Directory", "DirectoryOrCreate", "File", "FileOrCreate", '
        '"Socket"',
        "spec.volumes[1].configMap.name: Required value",
        "spec.volumes[1].configMap.defaultMode: Invalid value: 512: must be a number between 0 "
        "and 0777 (octal), both inclusive",
        'spec.volumes[1].configMap.items[0].path: Invalid value: "/abs": must be a relative path',
        "spec.volumes[2].secret.items[0].key: Required value",
        "spec.volumes[2].secret.items[0].path: Invalid value: \"..x\": must not start with '..'",
        "spec.volumes[3].persistentVolumeClaim.claimName: Required value",
        "spec.volumes[4].emptyDir.sizeLimit: Forbidden: SizeLimit field must be a valid "
        "resource quantity",
        'spec.volumes[5].nfs.path: Invalid value: "share": must be an absolute path',
    ]


def test_volume_mounts_name_a_valid_volume_at_a_unique_path() -> None:
    web = container(
        volumeMounts=[
            {"name": "data", "mountPath": "/data"},
            {"name": "logs", "mountPath": "/data"},
            {"name": "data", "mountPath": "/other", "subPath": "../up"},
            {"name": "bad", "mountPath": "/bad"},
        ]
    )
    volumes = [{"name": "data"}, {"name": "bad", "hostPath": {}}]
    path = "spec.containers[0].volumeMounts"
    assert problems(pod(web, volumes=volumes)) == [
        "spec.volumes[1].hostPath.path: Required value",
        f'{path}[1].name: Not found: "logs"',
        f'{path}[1].mountPath: Invalid value: "/data": must be unique',
        f"{path}.subPath: Invalid value: \"../up\": must not contain '..'",
        f'{path}[3].name: Not found: "bad"',
    ]


def test_resources_are_known_names_with_sane_quantities() -> None:
    web = container(
        resources={
            "limits": {"cpu": "lots", "memory": "-1", "gpu": "1", "example.com/fpga": "1.5"},
            "requests": {"cpu": "2", "example.com/fpga": "1"},
        }
    )
    path = "spec.containers[0].resources"
    assert problems(pod(web)) == [
        f'{path}.limits[cpu]: Invalid value: "lots": {quantity.FORMAT_ERROR}',
        f'{path}.limits[memory]: Invalid value: "-1": must be greater than or equal to 0',
        f'{path}.limits[gpu]: Invalid value: "gpu": must be a standard resource type or fully '
        "qualified",
        f'{path}.limits[gpu]: Invalid value: "gpu": must be a standard resource for containers',
        f'{path}.limits[example.com/fpga]: Invalid value: "1500m": must be an integer',
        f'{path}.requests: Invalid value: "1": must be equal to example.com/fpga limit of 1500m',
        # A pod's requests default to its limits, so the bad limits are bad requests too.
        f'{path}.requests[memory]: Invalid value: "-1": must be greater than or equal to 0',
        f'{path}.requests[gpu]: Invalid value: "gpu": must be a standard resource type or fully '
        "qualified",
        f'{path}.requests[gpu]: Invalid value: "gpu": must be a standard resource for containers',
    ]


def test_requests_may_not_exceed_limits() -> None:
    web = container(resources={"limits": {"cpu": "500m"}, "requests": {"cpu": "1"}})
    assert problems(pod(web)) == [
        'spec.containers[0].resources.requests: Invalid value: "1": must be less than or equal '
        "to cpu limit of 500m"
    ]


def test_hugepages_come_in_whole_pages_and_with_cpu_or_memory() -> None:
    web = container(resources={"limits": {"hugepages-2Mi": "3Mi"}})
    path = "spec.containers[0].resources"
    assert problems(pod(web)) == [
        f'{path}.limits[hugepages-2Mi]: Invalid value: "3Mi": 3Mi is not positive integer '
        "multiple of hugepages-2Mi",
        f'{path}.requests[hugepages-2Mi]: Invalid value: "3Mi": 3Mi is not positive integer '
        "multiple of hugepages-2Mi",
        f"{path}: Forbidden: HugePages require cpu or memory",
    ]


def test_a_probe_has_exactly_one_handler_and_non_negative_numbers() -> None:
    web = container(
        livenessProbe={
            "exec": {"command": ["true"]},
            "tcpSocket": {"port": 80},
            "successThreshold": 2,
        },
        readinessProbe={"initialDelaySeconds": -1, "terminationGracePeriodSeconds": 5},
        startupProbe={"httpGet": {"port": 0, "scheme": "FTP"}},
    )
    path = "spec.containers[0]"
    assert problems(pod(web)) == [
        f"{path}.livenessProbe.tcpSocket: Forbidden: may not specify more than 1 handler type",
        f"{path}.livenessProbe.successThreshold: Invalid value: 2: must be 1",
        f"{path}.readinessProbe: Required value: must specify a handler type",
        f"{path}.readinessProbe.initialDelaySeconds: Invalid value: -1: must be greater than or "
        "equal to 0",
        f"{path}.readinessProbe.terminationGracePeriodSeconds: Invalid value: 5: must not be set "
        "for readinessProbes",
        f"{path}.startupProbe.httpGet.port: Invalid value: 0: {RANGE}",
        f'{path}.startupProbe.httpGet.scheme: Unsupported value: "FTP": supported values: '
        '"HTTP", "HTTPS"',
    ]


def test_init_containers_take_probes_only_when_they_restart_always() -> None:
    probe = {"exec": {"command": ["true"]}}
    obj = pod(
        initContainers=[
            container("setup", readinessProbe=probe),
            container("proxy", restartPolicy="Always", readinessProbe=probe),
            container("once", restartPolicy="OnFailure"),
        ]
    )
    assert problems(obj) == [
        "spec.initContainers[0].readinessProbe: Forbidden: may not be set for init containers "
        "without restartPolicy=Always",
        'spec.initContainers[2].restartPolicy: Unsupported value: "OnFailure": supported values: '
        '"Always"',
    ]


def test_node_selector_and_tolerations_follow_label_and_taint_rules() -> None:
    tolerations = [
        {"operator": "Equal", "value": "x"},
        {"key": "dedicated", "operator": "Exists", "value": "gpu"},
        {"key": "dedicated", "operator": "In"},
        {"key": "dedicated", "effect": "NoSchedule", "tolerationSeconds": 10},
        {"key": "dedicated", "effect": "Never"},
    ]
    obj = pod(nodeSelector={"disk type": "ssd"}, tolerations=tolerations)
    assert problems(obj) == [
        'spec.nodeSelector: Invalid value: "disk type": name part must consist of alphanumeric '
        "characters, '-', '_' or '.', and must start and end with an alphanumeric character "
        "(e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
        "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
        'spec.tolerations[0].operator: Invalid value: "Equal": operator must be Exists when '
        '`key` is empty, which means "match all values and all keys"',
        'spec.tolerations[1].operator: Invalid value: "gpu": value must be empty when '
        "`operator` is 'Exists'",
        'spec.tolerations[2].operator: Unsupported value: "In": supported values: "Equal", '
        '"Exists"',
        "spec.tolerations[3].effect: Invalid value: \"NoSchedule\": effect must be 'NoExecute' "
        "when `tolerationSeconds` is set",
        'spec.tolerations[4].effect: Unsupported value: "Never": supported values: '
        '"NoSchedule", "PreferNoSchedule", "NoExecute"',
    ]


def test_active_deadline_is_positive_and_a_negative_grace_period_only_warned_about() -> None:
    obj = pod(activeDeadlineSeconds=0, terminationGracePeriodSeconds=-5)
    assert problems(obj) == [
        "spec.activeDeadlineSeconds: Invalid value: 0: must be between 1 and 2147483647, inclusive"
    ]
    assert STRATEGY.warnings(created(obj)) == [
        "spec.terminationGracePeriodSeconds: must be >= 0; negative values are invalid and will "
        "be treated as 1"
    ]


def test_a_pod_name_that_is_no_dns_label_draws_a_hostname_warning() -> None:
    obj = pod()
    obj["metadata"]["name"] = "web.v2"
    assert STRATEGY.warnings(created(obj)) == [
        "metadata.name: this is used in the Pod's hostname, which can result in surprising "
        "behavior; a DNS label is recommended: [must not contain dots]"
    ]


def test_pod_only_rules_refuse_padded_images_and_ephemeral_containers_on_create() -> None:
    obj = pod(container(image=" nginx"), ephemeralContainers=[container("debug")])
    assert problems(obj) == [
        'spec.containers[0].image: Invalid value: " nginx": must not have leading or trailing '
        "whitespace",
        "spec.ephemeralContainers: Forbidden: cannot be set on create",
    ]


def test_wrongly_typed_fields_are_causes_not_crashes() -> None:
    assert problems({"metadata": {"name": "web"}, "spec": "nginx"}) == [
        'spec: Invalid value: "nginx": must be an object'
    ]
    web = container(ports=[{"containerPort": "80"}], env="A=1", stdin="yes")
    assert problems(pod(web, containers=[web, 7])) == [
        "spec.containers[1]: Invalid value: 7: must be an object",
        'spec.containers[0].stdin: Invalid value: "yes": must be a boolean',
        'spec.containers[0].ports[0].containerPort: Invalid value: "80": must be an integer',
        'spec.containers[0].env: Invalid value: "A=1": must be a list',
    ]


def test_the_pod_spec_rules_report_under_the_path_a_template_gives() -> None:
    spec = {"containers": [{"name": "web"}], "restartPolicy": "Always", "dnsPolicy": "ClusterFirst"}
    causes = validate_pod_spec(spec, "spec.template.spec")
    assert [f"{c.field}: {c.message}" for c in causes] == [
        "spec.template.spec.terminationGracePeriodSeconds: Required value",
        "spec.template.spec.containers[0].image: Required value",
        "spec.template.spec.containers[0].terminationMessagePolicy: Required value",
        "spec.template.spec.containers[0].imagePullPolicy: Required value",
    ]


def test_a_template_reports_its_labels_and_spec_under_its_own_path() -> None:
    template = {
        "metadata": {"labels": {"app": "web server"}},
        "spec": {"containers": [container()], "ephemeralContainers": [container("debug")]},
    }
    default_pod_template(template)
    causes = validate_pod_template(template, "spec.template")
    assert [f"{c.field}: {c.message}" for c in causes] == [
        'spec.template.labels: Invalid value: "web server": a valid label must be an empty '
        "string or consist of alphanumeric characters, '-', '_' or '.', and must start and end "
        "with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex "
        "used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
        "spec.template.spec.ephemeralContainers: Forbidden: ephemeral containers not allowed in "
        "pod template",
    ]
    assert validate_pod_template(None, "spec.template")[0].message == "Required value"


# -- updates --


def test_an_update_may_change_container_images() -> None:
    old = created(pod(initContainers=[container("setup", image="busybox:1.36")]))
    new = copy.deepcopy(old)
    new["spec"]["containers"][0]["image"] = "nginx:1.28"
    new["spec"]["initContainers"][0]["image"] = "busybox:1.37"
    assert update_problems(new, old) == []


def test_an_update_of_any_other_spec_field_is_forbidden_with_the_difference() -> None:
    old = created(pod())
    new = copy.deepcopy(old)
    new["spec"]["restartPolicy"] = "Never"
    new["spec"]["containers"][0]["env"] = [{"name": "A", "value": "1"}]
    assert update_problems(new, old) == [
        "spec: Forbidden: pod updates may not change fields other than "
        "`spec.containers[*].image`,`spec.initContainers[*].image`,"
        "`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing "
        "tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was "
        'previously negative)\n+ spec.containers[0].env: [{"name":"A","value":"1"}]\n'
        '- spec.restartPolicy: "Always"\n+ spec.restartPolicy: "Never"'
    ]


def test_fields_set_to_their_zero_value_equal_fields_left_out() -> None:
    old = created(pod())
    new = copy.deepcopy(old)
    new["spec"].update({"hostNetwork": False, "nodeSelector": {}, "hostname": ""})
    assert update_problems(new, old) == []


def test_an_update_may_not_add_or_remove_containers() -> None:
    old = created(pod())
    new = copy.deepcopy(old)
    new["spec"]["containers"].append(container("sidecar"))
    assert update_problems(new, old) == [
        "spec.containers: Forbidden: pod updates may not add or remove containers"
    ]


def test_tolerations_may_be_added_or_retimed_but_not_changed_or_removed() -> None:
    old = created(pod(tolerations=[{"key": "gpu", "operator": "Exists", "effect": "NoExecute"}]))
    added = copy.deepcopy(old)
    added["spec"]["tolerations"].append({"key": "ssd", "operator": "Exists"})
    added["spec"]["tolerations"][0]["tolerationSeconds"] = 60
    assert update_problems(added, old) == []
    changed = copy.deepcopy(old)
    changed["spec"]["tolerations"][0].update({"operator": "Equal", "value": "a100"})
    removed = copy.deepcopy(old)
    del removed["spec"]["tolerations"][0]
    forbidden = [
        "spec.tolerations: Forbidden: existing toleration can not be modified except its "
        "tolerationSeconds"
    ]
    assert update_problems(changed, old) == forbidden
    assert update_problems(removed, old) == forbidden


def test_the_active_deadline_may_be_set_or_shortened_but_not_lengthened_or_dropped() -> None:
    old = created(pod())
    new = copy.deepcopy(old)
    new["spec"]["activeDeadlineSeconds"] = 600
    assert update_problems(new, old) == []
    later = copy.deepcopy(new)
    later["spec"]["activeDeadlineSeconds"] = 900
    assert update_problems(later, new) == [
        "spec.activeDeadlineSeconds: Invalid value: 900: must be less than or equal to previous "
        "value"
    ]
    assert update_problems(old, new) == [
        'spec.activeDeadlineSeconds: Invalid value: "null": must not update from a positive '
        "integer to nil value"
    ]


def test_a_plain_update_keeps_the_stored_status() -> None:
    old = created(pod())
    old["status"] = {"phase": "Running", "qosClass": "BestEffort", "podIP": "10.244.1.7"}
    new = copy.deepcopy(old)
    new["status"] = {"phase": "Failed"}
    assert updated(new, old)["status"] == old["status"]


# -- status --


def bound(**status: Any) -> Object:
    obj = created(pod(nodeName="node-1"))
    obj["status"].update(status)
    return obj


def test_a_status_update_changes_only_status_and_keeps_the_qos_class() -> None:
    old = bound()
    new = copy.deepcopy(old)
    new["spec"]["nodeName"] = "node-2"
    new["metadata"]["labels"] = {"hacked": "yes"}
    new["status"] = {"phase": "Running", "podIP": "10.244.1.7"}
    STATUS.prepare_for_update(new, old)
    assert new["spec"] == old["spec"]
    assert new["metadata"] == old["metadata"]
    assert new["status"] == {
        "phase": "Running",
        "podIP": "10.244.1.7",
        "podIPs": [{"ip": "10.244.1.7"}],
        "qosClass": "BestEffort",
    }
    assert STATUS.validate_update(new, old) == []


def test_a_status_is_checked_for_phase_conditions_ips_and_container_names() -> None:
    _, found = status_update(
        {
            "phase": "Done",
            "qosClass": "Guaranteed",
            "conditions": [
                {"type": "Ready", "status": "Yes"},
                {"type": "bad type", "status": "True"},
            ],
            "podIPs": [{"ip": "10.244.1.7"}, {"ip": "10.244.1.8"}, {"ip": "nope"}],
            "containerStatuses": [{"name": "web"}, {"name": "ghost"}],
        },
        bound(),
    )
    assert found == [
        'status.phase: Unsupported value: "Done": supported values: "Pending", "Running", '
        '"Succeeded", "Failed", "Unknown"',
        'status.conditions[0].status: Unsupported value: "Yes": supported values: "True", '
        '"False", "Unknown"',
        'metadata.conditions[1].Type: Invalid value: "bad type": name part must consist of '
        "alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric "
        "character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
        "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
        'status.qosClass: Invalid value: "Guaranteed": field is immutable',
        'status.containerStatuses[1].name: Not found: "ghost"',
        'status.podIPs[2]: Invalid value: "nope": must be a valid IP address, (e.g. 10.9.8.7 or '
        "2001:db8::ffff)",
        'status.podIPs: Invalid value: [{"ip":"10.244.1.7"},{"ip":"10.244.1.8"},{"ip":"nope"}]: '
        "may specify no more than one IP for each IP family",
    ]


def test_a_dual_stack_pod_may_report_one_ip_of_each_family() -> None:
    new, found = status_update({"podIPs": [{"ip": "10.244.1.7"}, {"ip": "fd00::7"}]}, bound())
    assert found == []
    assert new["status"]["podIP"] == "10.244.1.7"


def test_an_ended_container_of_a_pod_that_never_restarts_stays_ended() -> None:
    old = created(pod(nodeName="node-1", restartPolicy="Never"))
    old["status"]["containerStatuses"] = [{"name": "web", "state": {"terminated": {"exitCode": 0}}}]
    _, found = status_update(
        {
            "qosClass": "BestEffort",
            "containerStatuses": [{"name": "web", "state": {"running": {}}}],
        },
        old,
    )
    assert found == [
        "status.containerStatuses[0].state: Forbidden: may not be transitioned to "
        "non-terminated state"
    ]


# -- graceful deletion --


@pytest.mark.parametrize(
    ("spec", "phase", "requested", "grace"),
    [
        ({"nodeName": "node-1"}, "Running", None, 30),
        ({"nodeName": "node-1", "terminationGracePeriodSeconds": 5}, "Running", None, 5),
        ({"nodeName": "node-1"}, "Running", 10, 10),
        ({"nodeName": "node-1"}, "Running", 0, 0),
        ({"nodeName": "node-1"}, "Succeeded", None, 0),
        ({"nodeName": "node-1"}, "Failed", 10, 0),
        ({}, "Pending", 10, 0),
        ({"nodeName": "node-1", "terminationGracePeriodSeconds": -3}, "Running", None, 1),
    ],
)
def test_a_bound_running_pod_waits_its_grace_period_and_any_other_goes_at_once(
    spec: dict[str, Any], phase: str, requested: int | None, grace: int
) -> None:
    obj = created(pod(**spec))
    obj["status"]["phase"] = phase
    assert STRATEGY.grace_period(obj, requested) == grace


# -- through the registry --


@pytest.fixture
def pods(registry: Registry) -> Registry:
    registry.create(NAMESPACES, None, {"metadata": {"name": "default"}})
    return registry


@DB
def test_creating_a_pod_stores_it_defaulted_and_pending(pods: Registry) -> None:
    result = pods.create(PODS, "default", pod())
    stored = pods.get(PODS, "default", "web")
    assert result.created is True
    assert stored == result.object
    assert stored["status"] == {"phase": "Pending", "qosClass": "BestEffort"}
    assert stored["spec"]["containers"][0]["imagePullPolicy"] == "IfNotPresent"
    assert stored["spec"]["tolerations"] == DEFAULT_TOLERATIONS
    assert stored["metadata"]["generation"] == 1


@DB
def test_creating_a_pod_leaves_the_callers_manifest_as_it_was(pods: Registry) -> None:
    manifest = pod(container(resources={"limits": {"cpu": "0.5"}}))
    sent = copy.deepcopy(manifest)

    stored = pods.create(PODS, "default", manifest).object

    assert manifest == sent
    assert stored["spec"]["containers"][0]["resources"]["requests"] == {"cpu": "500m"}


@DB
def test_an_invalid_pod_is_refused_with_every_cause_and_nothing_is_stored(pods: Registry) -> None:
    with pytest.raises(Invalid) as raised:
        pods.create(PODS, "default", pod(container(image=""), restartPolicy="Sometimes"))
    assert [(c.field, c.message) for c in raised.value.causes] == [
        ("spec.containers[0].image", "Required value"),
        (
            "spec.restartPolicy",
            'Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
        ),
    ]
    assert str(raised.value).startswith('Pod "web" is invalid: [spec.containers[0].image: ')
    with pytest.raises(NotFound):
        pods.get(PODS, "default", "web")


@DB
def test_an_update_of_an_immutable_field_is_invalid_and_an_image_change_is_not(
    pods: Registry,
) -> None:
    pods.create(PODS, "default", pod())

    def restart_never(obj: Object) -> Object:
        obj["spec"]["restartPolicy"] = "Never"
        return obj

    with pytest.raises(Invalid) as raised:
        pods.update(PODS, "default", "web", restart_never)
    assert [c.field for c in raised.value.causes] == ["spec"]
    assert pods.get(PODS, "default", "web")["spec"]["restartPolicy"] == "Always"

    def new_image(obj: Object) -> Object:
        obj["spec"]["containers"][0]["image"] = "nginx:1.28"
        return obj

    changed = pods.update(PODS, "default", "web", new_image).object
    assert changed["spec"]["containers"][0]["image"] == "nginx:1.28"
    assert changed["metadata"]["generation"] == 2


@DB
def test_a_status_write_changes_the_status_and_not_the_spec(pods: Registry) -> None:
    pods.create(PODS, "default", pod(nodeName="node-1"))

    def report(obj: Object) -> Object:
        obj["spec"]["nodeName"] = "node-2"
        obj["status"] = {"phase": "Running", "podIP": "10.244.1.7"}
        return obj

    stored = pods.update(PODS, "default", "web", report, subresource="status").object
    assert stored["spec"]["nodeName"] == "node-1"
    assert stored["status"] == {
        "phase": "Running",
        "podIP": "10.244.1.7",
        "podIPs": [{"ip": "10.244.1.7"}],
        "qosClass": "BestEffort",
    }
    assert stored["metadata"]["generation"] == 1


@DB
def test_deleting_a_bound_pod_marks_it_and_a_delete_with_grace_zero_removes_it(
    pods: Registry,
) -> None:
    pods.create(PODS, "default", pod(nodeName="node-1"))

    marked = pods.delete(PODS, "default", "web", DeleteOptions())
    stored = pods.get(PODS, "default", "web")
    assert marked.deleted is False
    assert stored["metadata"]["deletionGracePeriodSeconds"] == 30
    assert stored["metadata"]["deletionTimestamp"] == marked.object["metadata"]["deletionTimestamp"]

    gone = pods.delete(PODS, "default", "web", DeleteOptions(grace_period_seconds=0))
    assert gone.deleted is True
    with pytest.raises(NotFound):
        pods.get(PODS, "default", "web")


@DB
def test_deleting_an_unbound_pod_removes_it_at_once(pods: Registry) -> None:
    pods.create(PODS, "default", pod())
    result = pods.delete(PODS, "default", "web", DeleteOptions(grace_period_seconds=30))
    assert result.deleted is True
    with pytest.raises(NotFound):
        pods.get(PODS, "default", "web")
