"""The Table rows ``kubectl get`` prints: each kind's columns and cells, as kube-apiserver's.

Pure unit tests through the registered printers (``tables.PRINTERS``) and ``to_table``: no
database. Times are written relative to now and kept mid-way through the unit kube prints
("12m30s ago" prints as "12m"), so that a slow test run cannot change the expected text.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cluster.api import tables
from cluster.registry.resources import Resource
from cluster.registry.strategy import Strategy
from cluster.store.types import Object

IMAGE = "registry.local/web:1.0"


def ago(**delta: float) -> str:
    """An RFC 3339 timestamp ``delta`` before now, as the API writes them."""
    return (datetime.now(UTC) - timedelta(**delta)).strftime("%Y-%m-%dT%H:%M:%SZ")


def row(kind: str, obj: Object) -> dict[str, Any]:
    """The cells of ``obj`` by column name, wide columns included."""
    printer = tables.PRINTERS[kind]
    cells = printer.cells(obj)
    assert len(cells) == len(printer.columns)
    return {column.name: cell for column, cell in zip(printer.columns, cells, strict=True)}


# Pods


def running(name: str = "web", *, ready: bool = True, restarts: int = 0, **extra: Any) -> Object:
    return container(name, {"running": {"startedAt": ago(hours=1)}}, ready, restarts, **extra)


def waiting(name: str, reason: str, *, restarts: int = 0, **extra: Any) -> Object:
    return container(name, {"waiting": {"reason": reason}}, False, restarts, **extra)


def terminated(
    name: str,
    reason: str | None,
    exit_code: int,
    *,
    signal: int = 0,
    restarts: int = 0,
    **extra: Any,
) -> Object:
    state: Object = {"exitCode": exit_code, "finishedAt": ago(minutes=1)}
    if reason:
        state["reason"] = reason
    if signal:
        state["signal"] = signal
    return container(name, {"terminated": state}, False, restarts, **extra)


def container(
    name: str,
    state: Object,
    ready: bool,
    restarts: int,
    *,
    last_finished: str | None = None,
    started: bool | None = None,
) -> Object:
    status: Object = {
        "name": name,
        "image": IMAGE,
        "imageID": "",
        "ready": ready,
        "restartCount": restarts,
        "state": state,
    }
    if last_finished:
        status["lastState"] = {
            "terminated": {"exitCode": 1, "reason": "Error", "finishedAt": last_finished}
        }
    if started is not None:
        status["started"] = started
    return status


def pod(
    *,
    phase: str = "Running",
    containers: tuple[str, ...] = ("web",),
    statuses: tuple[Object, ...] = (),
    init_containers: tuple[Object, ...] = (),
    init_statuses: tuple[Object, ...] = (),
    conditions: tuple[Object, ...] = (),
    **status: Any,
) -> Object:
    spec: Object = {"containers": [{"name": c, "image": IMAGE} for c in containers]}
    if init_containers:
        spec["initContainers"] = list(init_containers)
    pod_status: Object = {"phase": phase, **status}
    for key, value in (
        ("containerStatuses", statuses),
        ("initContainerStatuses", init_statuses),
        ("conditions", conditions),
    ):
        if value:
            pod_status[key] = list(value)
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "web-1",
            "namespace": "default",
            "uid": "6f1c1e9e-0000-4000-8000-000000000001",
            "resourceVersion": "42",
            "creationTimestamp": ago(hours=3, minutes=20, seconds=30),
        },
        "spec": spec,
        "status": pod_status,
    }


def shown(p: Object) -> tuple[str, str, str]:
    """READY, STATUS and RESTARTS as ``kubectl get pods`` shows them."""
    cells = row("Pod", p)
    return cells["Ready"], cells["Status"], cells["Restarts"]


def init(name: str, **extra: Any) -> Object:
    return {"name": name, "image": IMAGE, **extra}


def condition(condition_type: str, status: str = "True", **extra: str) -> Object:
    return {"type": condition_type, "status": status, **extra}


def test_a_pending_pod_without_container_statuses_shows_pending() -> None:
    assert shown(pod(phase="Pending")) == ("0/1", "Pending", "0")


def test_a_pod_whose_container_is_being_created_shows_container_creating() -> None:
    p = pod(phase="Pending", statuses=(waiting("web", "ContainerCreating"),))
    assert shown(p) == ("0/1", "ContainerCreating", "0")


def test_a_running_pod_counts_its_ready_containers() -> None:
    p = pod(containers=("web", "log"), statuses=(running("web"), running("log", ready=False)))
    assert shown(p) == ("1/2", "Running", "0")


def test_a_crash_looping_pod_shows_the_restart_count_and_when_it_last_restarted() -> None:
    p = pod(
        statuses=(
            waiting(
                "web", "CrashLoopBackOff", restarts=5, last_finished=ago(minutes=12, seconds=30)
            ),
        )
    )
    assert shown(p) == ("0/1", "CrashLoopBackOff", "5 (12m ago)")


@pytest.mark.parametrize("reason", ["ErrImagePull", "ImagePullBackOff", "CreateContainerError"])
def test_a_waiting_container_reason_is_the_pod_status(reason: str) -> None:
    assert shown(pod(phase="Pending", statuses=(waiting("web", reason),))) == ("0/1", reason, "0")


def test_the_first_container_with_a_reason_decides_the_status() -> None:
    p = pod(
        containers=("web", "log"),
        statuses=(waiting("web", "CrashLoopBackOff", restarts=1), waiting("log", "ErrImagePull")),
    )
    assert shown(p) == ("0/2", "CrashLoopBackOff", "1")


def test_a_succeeded_pod_shows_completed() -> None:
    p = pod(phase="Succeeded", statuses=(terminated("web", "Completed", 0),))
    assert shown(p) == ("0/1", "Completed", "0")


def test_a_failed_pod_shows_error() -> None:
    p = pod(phase="Failed", statuses=(terminated("web", "Error", 1),))
    assert shown(p) == ("0/1", "Error", "0")


def test_a_container_terminated_without_a_reason_shows_its_signal_or_exit_code() -> None:
    by_signal = pod(phase="Failed", statuses=(terminated("web", None, 137, signal=9),))
    by_exit_code = pod(phase="Failed", statuses=(terminated("web", None, 2),))
    assert shown(by_signal)[1] == "Signal:9"
    assert shown(by_exit_code)[1] == "ExitCode:2"


def test_a_completed_container_beside_a_running_one_shows_running_when_the_pod_is_ready() -> None:
    statuses = (terminated("job", "Completed", 0), running("web"))
    ready = pod(containers=("job", "web"), statuses=statuses, conditions=(condition("Ready"),))
    not_ready = pod(
        containers=("job", "web"), statuses=statuses, conditions=(condition("Ready", "False"),)
    )
    assert shown(ready) == ("1/2", "Running", "0")
    assert shown(not_ready) == ("1/2", "NotReady", "0")


def test_a_pod_being_deleted_shows_terminating() -> None:
    p = pod(statuses=(running("web"),))
    p["metadata"]["deletionTimestamp"] = ago(seconds=5)
    assert shown(p) == ("1/1", "Terminating", "0")


def test_a_finished_pod_being_deleted_keeps_its_final_status() -> None:
    p = pod(phase="Succeeded", statuses=(terminated("web", "Completed", 0),))
    p["metadata"]["deletionTimestamp"] = ago(seconds=5)
    assert shown(p)[1] == "Completed"


def test_a_pod_deleted_after_its_node_was_lost_shows_unknown() -> None:
    p = pod(statuses=(running("web"),), reason="NodeLost")
    p["metadata"]["deletionTimestamp"] = ago(seconds=5)
    assert shown(p)[1] == "Unknown"


def test_the_pod_status_reason_replaces_the_phase() -> None:
    assert shown(pod(phase="Failed", reason="Evicted")) == ("0/1", "Evicted", "0")


def test_a_pod_held_by_scheduling_gates_shows_scheduling_gated() -> None:
    gated = condition("PodScheduled", "False", reason="SchedulingGated")
    assert shown(pod(phase="Pending", conditions=(gated,)))[1] == "SchedulingGated"


def test_a_pod_running_its_first_init_container_shows_init_0_of_2() -> None:
    p = pod(
        phase="Pending",
        init_containers=(init("migrate"), init("seed")),
        init_statuses=(running("migrate", ready=False), waiting("seed", "PodInitializing")),
        statuses=(waiting("web", "PodInitializing"),),
    )
    assert shown(p) == ("0/1", "Init:0/2", "0")


def test_a_pod_past_its_first_init_container_shows_init_1_of_2() -> None:
    p = pod(
        phase="Pending",
        init_containers=(init("migrate"), init("seed")),
        init_statuses=(terminated("migrate", "Completed", 0), running("seed", ready=False)),
        statuses=(waiting("web", "PodInitializing"),),
    )
    assert shown(p) == ("0/1", "Init:1/2", "0")


def test_an_init_container_waiting_its_turn_is_progress_not_a_reason() -> None:
    p = pod(
        phase="Pending",
        init_containers=(init("migrate"), init("seed")),
        init_statuses=(terminated("migrate", "Completed", 0), waiting("seed", "PodInitializing")),
        statuses=(waiting("web", "PodInitializing"),),
    )
    assert shown(p) == ("0/1", "Init:1/2", "0")


def test_a_crash_looping_init_container_shows_init_crash_loop_back_off_with_its_restarts() -> None:
    p = pod(
        phase="Pending",
        init_containers=(init("migrate"), init("seed")),
        init_statuses=(
            terminated("migrate", "Completed", 0),
            waiting("seed", "CrashLoopBackOff", restarts=3, last_finished=ago(minutes=40)),
        ),
        statuses=(waiting("web", "PodInitializing"),),
    )
    assert shown(p) == ("0/1", "Init:CrashLoopBackOff", "3 (40m ago)")


def test_a_failed_init_container_shows_its_reason_or_exit_code() -> None:
    def failed(reason: str | None) -> Object:
        return pod(
            phase="Pending",
            init_containers=(init("migrate"),),
            init_statuses=(terminated("migrate", reason, 3),),
        )

    assert shown(failed("Error"))[1] == "Init:Error"
    assert shown(failed(None))[1] == "Init:ExitCode:3"


def test_a_pod_whose_init_containers_are_done_shows_its_app_containers() -> None:
    p = pod(
        phase="Pending",
        init_containers=(init("migrate"),),
        init_statuses=(terminated("migrate", "Completed", 0),),
        statuses=(waiting("web", "PodInitializing"),),
    )
    assert shown(p) == ("0/1", "PodInitializing", "0")


def test_a_started_sidecar_counts_towards_ready_and_its_restarts_count_after_init() -> None:
    p = pod(
        init_containers=(init("proxy", restartPolicy="Always"),),
        init_statuses=(
            running("proxy", restarts=2, started=True, last_finished=ago(hours=2, minutes=10)),
        ),
        statuses=(running("web", restarts=1, last_finished=ago(minutes=40, seconds=30)),),
        conditions=(condition("Initialized"), condition("Ready")),
    )
    assert shown(p) == ("2/2", "Running", "3 (40m ago)")


def test_a_sidecar_not_started_yet_holds_the_pod_in_init() -> None:
    p = pod(
        phase="Pending",
        init_containers=(init("proxy", restartPolicy="Always"),),
        init_statuses=(running("proxy", ready=False, started=False),),
        statuses=(waiting("web", "PodInitializing"),),
    )
    assert shown(p) == ("0/2", "Init:0/1", "0")


def test_a_sidecar_crashing_after_init_shows_its_reason_and_still_counts_the_app() -> None:
    p = pod(
        init_containers=(init("proxy", restartPolicy="Always"),),
        init_statuses=(
            waiting("proxy", "CrashLoopBackOff", restarts=6, last_finished=ago(minutes=30)),
        ),
        statuses=(running("web", restarts=1, last_finished=ago(hours=2, minutes=10)),),
        conditions=(condition("Initialized"), condition("Ready", "False")),
    )
    assert shown(p) == ("1/2", "Init:CrashLoopBackOff", "7 (30m ago)")


def test_once_initialized_only_app_and_sidecar_restarts_count() -> None:
    p = pod(
        init_containers=(init("migrate"),),
        init_statuses=(
            terminated("migrate", "Completed", 0, restarts=4, last_finished=ago(minutes=5)),
        ),
        statuses=(running("web", restarts=1, last_finished=ago(minutes=40, seconds=30)),),
        conditions=(condition("Initialized"), condition("Ready")),
    )
    assert shown(p) == ("1/1", "Running", "1 (40m ago)")


def test_restarts_show_no_time_when_no_container_has_terminated_before() -> None:
    assert shown(pod(statuses=(running("web", restarts=2),)))[2] == "2"


def test_restarts_add_up_over_containers_and_show_the_latest_restart() -> None:
    p = pod(
        containers=("web", "log"),
        statuses=(
            running("web", restarts=4, last_finished=ago(hours=2, minutes=10)),
            running("log", restarts=3, last_finished=ago(minutes=40, seconds=30)),
        ),
    )
    assert shown(p) == ("2/2", "Running", "7 (40m ago)")


def test_a_pod_row_has_every_cell_kube_prints_wide_included() -> None:
    p = pod(
        statuses=(running("web"),),
        podIP="10.244.1.7",
        podIPs=[{"ip": "10.244.1.7"}, {"ip": "fd00::7"}],
        conditions=(
            condition("Ready"),
            condition("example.com/warm"),
            condition("example.com/lb", "False"),
        ),
    )
    p["spec"]["nodeName"] = "node-1"
    p["spec"]["readinessGates"] = [
        {"conditionType": "example.com/warm"},
        {"conditionType": "example.com/lb"},
    ]
    assert tables.PRINTERS["Pod"].cells(p) == [
        "web-1",
        "1/1",
        "Running",
        "0",
        "3h20m",
        "10.244.1.7",
        "node-1",
        "<none>",
        "1/2",
    ]


def test_an_unscheduled_pod_shows_none_for_its_ip_node_and_readiness_gates() -> None:
    p = pod(phase="Pending", nominatedNodeName="node-2")
    cells = row("Pod", p)
    assert [cells["IP"], cells["Node"], cells["Nominated Node"], cells["Readiness Gates"]] == [
        "<none>",
        "<none>",
        "node-2",
        "<none>",
    ]


def test_a_pod_with_pod_ip_alone_shows_it() -> None:
    assert row("Pod", pod(podIP="10.244.1.8"))["IP"] == "10.244.1.8"


def test_finished_pods_rows_are_marked_completed_and_running_ones_are_not() -> None:
    conditions = tables.PRINTERS["Pod"].conditions
    assert conditions is not None
    assert conditions(pod(phase="Succeeded")) == [
        {
            "type": "Completed",
            "status": "True",
            "reason": "Succeeded",
            "message": "The pod has completed successfully.",
        }
    ]
    assert conditions(pod(phase="Failed")) == [
        {"type": "Completed", "status": "True", "reason": "Failed", "message": "The pod failed."}
    ]
    assert conditions(pod(phase="Running")) == []


# Services


def service(spec: Object, status: Object | None = None) -> Object:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web", "namespace": "default", "creationTimestamp": ago(days=3)},
        "spec": spec,
        "status": status or {"loadBalancer": {}},
    }


def test_a_cluster_ip_service_shows_its_ip_ports_and_selector() -> None:
    svc = service(
        {
            "type": "ClusterIP",
            "clusterIP": "10.96.0.10",
            "clusterIPs": ["10.96.0.10"],
            "ports": [
                {"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"},
                {"name": "dns", "port": 53, "targetPort": 53, "protocol": "UDP"},
            ],
            "selector": {"tier": "front", "app": "web"},
        }
    )
    assert tables.PRINTERS["Service"].cells(svc) == [
        "web",
        "ClusterIP",
        "10.96.0.10",
        "<none>",
        "80/TCP,53/UDP",
        "3d",
        "app=web,tier=front",
    ]


def test_node_ports_follow_the_port_where_a_service_has_them() -> None:
    svc = service(
        {
            "type": "NodePort",
            "clusterIPs": ["10.96.0.11"],
            "ports": [
                {"port": 80, "nodePort": 30080, "protocol": "TCP"},
                {"port": 443, "protocol": "TCP"},
            ],
        }
    )
    cells = row("Service", svc)
    assert cells["Port(s)"] == "80:30080/TCP,443/TCP"
    assert cells["External-IP"] == "<none>"
    assert cells["Selector"] == "<none>"


def test_a_service_with_external_ips_shows_them() -> None:
    svc = service({"type": "ClusterIP", "externalIPs": ["192.0.2.10", "192.0.2.11"]})
    assert row("Service", svc)["External-IP"] == "192.0.2.10,192.0.2.11"


def test_a_load_balancer_without_ingress_is_pending() -> None:
    svc = service({"type": "LoadBalancer", "clusterIPs": ["10.96.0.12"]})
    assert row("Service", svc)["External-IP"] == "<pending>"


def test_a_load_balancer_shows_its_sorted_ingress_then_its_external_ips() -> None:
    ingress = [
        {"hostname": "lb.example.com"},
        {"ip": "203.0.113.9"},
        {"ip": "203.0.113.20"},
        {"ip": "203.0.113.9"},
        {"hostname": "alt.example.com"},
    ]
    svc = service(
        {"type": "LoadBalancer", "externalIPs": ["192.0.2.10"]},
        {"loadBalancer": {"ingress": ingress}},
    )
    assert row("Service", svc)["External-IP"] == (
        "203.0.113.20,203.0.113.9,alt.example.com,lb.example.com,192.0.2.10"
    )


def test_a_load_balancer_address_is_not_clipped_because_the_server_prints_wide() -> None:
    hostname = "a1b2c3d4e5f6-1234567890.eu-west-1.elb.example.com"
    svc = service({"type": "LoadBalancer"}, {"loadBalancer": {"ingress": [{"hostname": hostname}]}})
    assert row("Service", svc)["External-IP"] == hostname


def test_an_external_name_service_shows_the_name_and_no_cluster_ip_or_ports() -> None:
    svc = service({"type": "ExternalName", "externalName": "db.example.com"})
    cells = row("Service", svc)
    assert [cells["Cluster-IP"], cells["External-IP"], cells["Port(s)"]] == [
        "<none>",
        "db.example.com",
        "<none>",
    ]


def test_a_headless_service_shows_none_as_its_cluster_ip() -> None:
    svc = service({"type": "ClusterIP", "clusterIP": "None", "clusterIPs": ["None"]})
    assert row("Service", svc)["Cluster-IP"] == "None"


def test_a_service_with_cluster_ip_alone_shows_it() -> None:
    svc = service({"type": "ClusterIP", "clusterIP": "10.96.0.13"})
    assert row("Service", svc)["Cluster-IP"] == "10.96.0.13"


# Endpoints


def endpoints(*subsets: Object) -> Object:
    return {
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": {"name": "web", "namespace": "default", "creationTimestamp": ago(minutes=50)},
        "subsets": list(subsets),
    }


def subset(*ips: str, ports: tuple[int, ...] = (8080,)) -> Object:
    return {
        "addresses": [{"ip": ip} for ip in ips],
        "ports": [{"port": port, "protocol": "TCP"} for port in ports],
    }


def test_endpoints_without_subsets_show_none() -> None:
    assert tables.PRINTERS["Endpoints"].cells(endpoints()) == ["web", "<none>", "50m"]


def test_endpoints_show_each_address_with_its_port() -> None:
    ep = endpoints(subset("10.244.0.5", "10.244.0.6"))
    assert row("Endpoints", ep)["Endpoints"] == "10.244.0.5:8080,10.244.0.6:8080"


def test_three_endpoints_are_shown_without_a_count() -> None:
    ep = endpoints(subset("10.244.0.5", "10.244.0.6"), subset("10.244.1.5"))
    assert row("Endpoints", ep)["Endpoints"] == ("10.244.0.5:8080,10.244.0.6:8080,10.244.1.5:8080")


def test_endpoints_show_three_and_count_the_rest() -> None:
    ep = endpoints(subset("10.244.0.5", "10.244.0.6", "10.244.0.7"), subset("10.244.1.5"))
    assert row("Endpoints", ep)["Endpoints"] == (
        "10.244.0.5:8080,10.244.0.6:8080,10.244.0.7:8080 + 1 more..."
    )


def test_endpoints_with_several_ports_list_every_address_per_port() -> None:
    ep = endpoints(subset("10.244.0.5", "10.244.0.6", ports=(80, 443)))
    assert row("Endpoints", ep)["Endpoints"] == (
        "10.244.0.5:80,10.244.0.6:80,10.244.0.5:443 + 1 more..."
    )


def test_endpoints_of_a_headless_service_without_ports_show_bare_addresses() -> None:
    ep = endpoints(subset("10.244.0.5", "fd00::5", ports=()))
    assert row("Endpoints", ep)["Endpoints"] == "10.244.0.5,fd00::5"


def test_ipv6_endpoints_are_bracketed() -> None:
    assert row("Endpoints", endpoints(subset("fd00::5")))["Endpoints"] == "[fd00::5]:8080"


# Nodes


def node(*conditions: Object, labels: dict[str, str] | None = None, **spec: Any) -> Object:
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": "node-1",
            "labels": {"kubernetes.io/hostname": "node-1", **(labels or {})},
            "creationTimestamp": ago(days=10, hours=5),
        },
        "spec": spec,
        "status": {
            "conditions": list(conditions),
            "addresses": [
                {"type": "Hostname", "address": "node-1"},
                {"type": "InternalIP", "address": "172.18.0.2"},
            ],
            "nodeInfo": {
                "kubeletVersion": "v1.33.0-pilothouse",
                "osImage": "Debian GNU/Linux 12 (bookworm)",
                "kernelVersion": "6.1.0-18-amd64",
                "containerRuntimeVersion": "docker://24.0.7",
            },
        },
    }


def test_a_ready_node_row_has_every_cell_kube_prints() -> None:
    assert tables.PRINTERS["Node"].cells(node(condition("Ready"))) == [
        "node-1",
        "Ready",
        "<none>",
        "10d",
        "v1.33.0-pilothouse",
        "172.18.0.2",
        "<none>",
        "Debian GNU/Linux 12 (bookworm)",
        "6.1.0-18-amd64",
        "docker://24.0.7",
    ]


@pytest.mark.parametrize(
    ("conditions", "unschedulable", "status"),
    [
        ((condition("Ready", "False"),), False, "NotReady"),
        ((condition("Ready", "Unknown"),), False, "NotReady"),
        ((condition("MemoryPressure", "False"),), False, "Unknown"),
        ((condition("Ready"),), True, "Ready,SchedulingDisabled"),
        ((), True, "Unknown,SchedulingDisabled"),
    ],
)
def test_a_node_status_is_its_ready_condition_and_whether_it_is_cordoned(
    conditions: tuple[Object, ...], unschedulable: bool, status: str
) -> None:
    assert row("Node", node(*conditions, unschedulable=unschedulable))["Status"] == status


def test_node_roles_come_from_role_labels_sorted() -> None:
    labels = {
        "node-role.kubernetes.io/worker": "",
        "node-role.kubernetes.io/control-plane": "",
        "node-role.kubernetes.io/": "",
        "kubernetes.io/role": "edge",
    }
    assert row("Node", node(condition("Ready"), labels=labels))["Roles"] == (
        "control-plane,edge,worker"
    )


def test_a_node_without_reported_info_shows_unknown_in_the_wide_columns() -> None:
    n = node(condition("Ready"))
    n["status"]["addresses"] = [{"type": "ExternalIP", "address": "198.51.100.4"}]
    n["status"]["nodeInfo"] = {}
    cells = tables.PRINTERS["Node"].cells(n)
    assert cells[4:] == ["", "<none>", "198.51.100.4", "<unknown>", "<unknown>", "<unknown>"]


# Events


def event(**fields: Any) -> Object:
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": "web-1.17f3a", "namespace": "default"},
        "involvedObject": {
            "kind": "Pod",
            "namespace": "default",
            "name": "web-1",
            "fieldPath": "spec.containers{web}",
        },
        "type": "Warning",
        "reason": "BackOff",
        "message": "Back-off restarting failed container web\n",
        "source": {"component": "kubelet", "host": "node-1"},
        **fields,
    }


def test_an_event_row_has_every_cell_kube_prints() -> None:
    ev = event(
        firstTimestamp=ago(hours=5, minutes=10, seconds=20),
        lastTimestamp=ago(minutes=30, seconds=20),
        count=7,
    )
    assert tables.PRINTERS["Event"].cells(ev) == [
        "30m",
        "Warning",
        "BackOff",
        "pod/web-1",
        "spec.containers{web}",
        "kubelet, node-1",
        "Back-off restarting failed container web",
        "5h10m",
        7,
        "web-1.17f3a",
    ]


def test_an_event_of_the_events_api_is_seen_once_at_its_event_time() -> None:
    event_time = (datetime.now(UTC) - timedelta(minutes=30, seconds=20)).isoformat(
        timespec="microseconds"
    )
    ev = event(
        eventTime=event_time.replace("+00:00", "Z"),
        source={},
        reportingComponent="pilothouse-scheduler",
        reportingInstance="api-0",
    )
    cells = row("Event", ev)
    assert [cells["Last Seen"], cells["First Seen"], cells["Count"], cells["Source"]] == [
        "30m",
        "30m",
        1,
        "pilothouse-scheduler, api-0",
    ]


def test_an_event_series_decides_last_seen_and_count() -> None:
    ev = event(
        firstTimestamp=ago(hours=5, minutes=10, seconds=20),
        series={"count": 12, "lastObservedTime": ago(minutes=40, seconds=20)},
        count=3,
    )
    cells = row("Event", ev)
    assert [cells["Last Seen"], cells["First Seen"], cells["Count"]] == ["40m", "5h10m", 12]


def test_an_event_without_times_shows_unknown() -> None:
    cells = row("Event", event())
    assert [cells["Last Seen"], cells["First Seen"]] == ["<unknown>", "<unknown>"]


def test_an_event_about_an_unnamed_object_shows_its_kind_and_a_source_without_host() -> None:
    ev = event(involvedObject={"kind": "Node"}, source={"component": "node-controller"})
    cells = row("Event", ev)
    assert [cells["Object"], cells["Subobject"], cells["Source"]] == [
        "node",
        "",
        "node-controller",
    ]


# ReplicationControllers, Namespaces, Leases


def test_a_replication_controller_row_has_every_cell_kube_prints() -> None:
    rc = {
        "apiVersion": "v1",
        "kind": "ReplicationController",
        "metadata": {"name": "web", "namespace": "default", "creationTimestamp": ago(hours=30)},
        "spec": {
            "replicas": 3,
            "selector": {"app": "web"},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [
                        {"name": "web", "image": "nginx:1.27"},
                        {"name": "log", "image": "busybox"},
                    ]
                },
            },
        },
        "status": {"replicas": 2, "readyReplicas": 1},
    }
    assert tables.PRINTERS["ReplicationController"].cells(rc) == [
        "web",
        3,
        2,
        1,
        "30h",
        "web,log",
        "nginx:1.27,busybox",
        "app=web",
    ]


def test_a_new_replication_controller_counts_zero_current_and_ready() -> None:
    rc = {"metadata": {"name": "web", "creationTimestamp": ago(seconds=30)}, "spec": {}}
    assert tables.PRINTERS["ReplicationController"].cells(rc)[1:4] == [1, 0, 0]


def test_a_namespace_shows_its_phase() -> None:
    ns = {"metadata": {"name": "team-a", "creationTimestamp": ago(days=400)}}
    ns["status"] = {"phase": "Terminating"}
    assert tables.PRINTERS["Namespace"].cells(ns) == ["team-a", "Terminating", "400d"]


def test_a_lease_shows_its_holder_or_nothing() -> None:
    held = {
        "metadata": {"name": "node-1", "creationTimestamp": ago(days=2, hours=3)},
        "spec": {"holderIdentity": "node-1", "leaseDurationSeconds": 40},
    }
    free = {"metadata": {"name": "scheduler", "creationTimestamp": ago(days=2, hours=3)}}
    assert tables.PRINTERS["Lease"].cells(held) == ["node-1", "node-1", "2d3h"]
    assert tables.PRINTERS["Lease"].cells(free) == ["scheduler", "", "2d3h"]


# Columns


COLUMNS = {
    "Pod": [
        ("Name", "string", "name", 0),
        ("Ready", "string", "", 0),
        ("Status", "string", "", 0),
        ("Restarts", "string", "", 0),
        ("Age", "string", "", 0),
        ("IP", "string", "", 1),
        ("Node", "string", "", 1),
        ("Nominated Node", "string", "", 1),
        ("Readiness Gates", "string", "", 1),
    ],
    "Service": [
        ("Name", "string", "name", 0),
        ("Type", "string", "", 0),
        ("Cluster-IP", "string", "", 0),
        ("External-IP", "string", "", 0),
        ("Port(s)", "string", "", 0),
        ("Age", "string", "", 0),
        ("Selector", "string", "", 1),
    ],
    "ReplicationController": [
        ("Name", "string", "name", 0),
        ("Desired", "integer", "", 0),
        ("Current", "integer", "", 0),
        ("Ready", "integer", "", 0),
        ("Age", "string", "", 0),
        ("Containers", "string", "", 1),
        ("Images", "string", "", 1),
        ("Selector", "string", "", 1),
    ],
    "Namespace": [
        ("Name", "string", "name", 0),
        ("Status", "string", "", 0),
        ("Age", "string", "", 0),
    ],
    "Node": [
        ("Name", "string", "name", 0),
        ("Status", "string", "", 0),
        ("Roles", "string", "", 0),
        ("Age", "string", "", 0),
        ("Version", "string", "", 0),
        ("Internal-IP", "string", "", 1),
        ("External-IP", "string", "", 1),
        ("OS-Image", "string", "", 1),
        ("Kernel-Version", "string", "", 1),
        ("Container-Runtime", "string", "", 1),
    ],
    "Endpoints": [
        ("Name", "string", "name", 0),
        ("Endpoints", "string", "", 0),
        ("Age", "string", "", 0),
    ],
    "Event": [
        ("Last Seen", "string", "", 0),
        ("Type", "string", "", 0),
        ("Reason", "string", "", 0),
        ("Object", "string", "", 0),
        ("Subobject", "string", "", 1),
        ("Source", "string", "", 1),
        ("Message", "string", "", 0),
        ("First Seen", "string", "", 1),
        ("Count", "string", "", 1),
        ("Name", "string", "name", 1),
    ],
    "Lease": [
        ("Name", "string", "name", 0),
        ("Holder", "string", "", 0),
        ("Age", "string", "", 0),
    ],
}


@pytest.mark.parametrize("kind", sorted(COLUMNS))
def test_each_kind_has_kubes_columns_with_wide_ones_at_priority_one(kind: str) -> None:
    definitions = [c.definition() for c in tables.PRINTERS[kind].columns]
    assert [(d["name"], d["type"], d["format"], d["priority"]) for d in definitions] == (
        COLUMNS[kind]
    )
    assert all(d["description"] for d in definitions)


# to_table

POD_RESOURCE = Resource("", "v1", "Pod", "pods", "pod", Strategy())


def pod_list() -> Object:
    done = pod(phase="Succeeded", statuses=(terminated("web", "Completed", 0),))
    done["metadata"] = {**done["metadata"], "name": "job-1", "resourceVersion": "43"}
    return {
        "kind": "PodList",
        "apiVersion": "v1",
        "metadata": {"resourceVersion": "50", "continue": "token-1"},
        "items": [pod(statuses=(running("web"),)), done],
    }


def test_a_list_becomes_one_row_per_item_with_its_metadata_as_the_object() -> None:
    body = pod_list()
    table = tables.to_table(POD_RESOURCE, body)
    assert table["kind"] == "Table"
    assert table["apiVersion"] == "meta.k8s.io/v1"
    assert table["metadata"] == {"resourceVersion": "50", "continue": "token-1"}
    assert table["columnDefinitions"] == [c.definition() for c in tables.PRINTERS["Pod"].columns]
    assert [r["cells"][:3] for r in table["rows"]] == [
        ["web-1", "1/1", "Running"],
        ["job-1", "0/1", "Completed"],
    ]
    assert [r["object"] for r in table["rows"]] == [
        {
            "kind": "PartialObjectMetadata",
            "apiVersion": "meta.k8s.io/v1",
            "metadata": item["metadata"],
        }
        for item in body["items"]
    ]


def test_a_table_row_carries_the_whole_object_when_asked() -> None:
    body = pod_list()
    table = tables.to_table(POD_RESOURCE, body, include_object="Object")
    assert [r["object"] for r in table["rows"]] == body["items"]


def test_a_table_row_carries_no_object_when_asked_for_none() -> None:
    table = tables.to_table(POD_RESOURCE, pod_list(), include_object="None")
    assert [sorted(r) for r in table["rows"]] == [["cells"], ["cells", "conditions"]]


def test_only_a_finished_pods_row_carries_conditions() -> None:
    rows = tables.to_table(POD_RESOURCE, pod_list())["rows"]
    assert "conditions" not in rows[0]
    assert rows[1]["conditions"][0]["reason"] == "Succeeded"


def test_a_single_object_is_one_row_at_its_resource_version() -> None:
    table = tables.to_table(POD_RESOURCE, pod(statuses=(running("web"),)))
    assert table["metadata"] == {"resourceVersion": "42"}
    assert len(table["rows"]) == 1
    assert table["rows"][0]["cells"][0] == "web-1"


# Durations


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(-2, "<invalid>"), (-1, "0s"), (0, "0s"), (119, "119s"), (150, "2m30s"), (600, "10m")],
)
def test_human_duration_tolerates_a_second_of_clock_skew(seconds: int, text: str) -> None:
    assert tables.human_duration(seconds) == text
