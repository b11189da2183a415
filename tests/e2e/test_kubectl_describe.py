"""``kubectl describe`` of pods, replication controllers, services, nodes and namespaces.

kubectl composes describe output itself from what it reads (the object, its events found by
field selector, a node's pods and lease), so these tests check that the server answers each
of those reads as kube-apiserver does. Column alignment is kubectl's and is squeezed away.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tests.e2e import manifests
from tests.e2e.cluster import Api, Kubectl, described, sibling, squeeze

pytestmark = pytest.mark.e2e


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _human(timestamp: str) -> str:
    """A kube timestamp as describe prints it (Go's RFC1123Z)."""
    moment = datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%S%z")
    return moment.strftime("%a, %d %b %Y %H:%M:%S +0000")


def _event_about(api: Api, namespace: str, obj: dict[str, Any], message: str) -> None:
    event = manifests.event(f"{obj['metadata']['name']}.1", namespace)
    event["involvedObject"] = {
        "kind": obj["kind"],
        "name": obj["metadata"]["name"],
        "namespace": namespace,
        "uid": obj["metadata"]["uid"],
    }
    event["message"] = message
    event["firstTimestamp"] = event["lastTimestamp"] = _now()
    api.create(f"/api/v1/namespaces/{namespace}/events", event)


def test_describe_pod_shows_its_spec_and_its_events(
    kubectl: Kubectl, api: Api, namespace: str
) -> None:
    manifest = manifests.pod("web", env={"MODE": "fast"})
    manifest["spec"]["containers"][0]["resources"] = {
        "requests": {"cpu": "100m", "memory": "64Mi"},
        "limits": {"memory": "128Mi"},
    }
    pod = api.create(f"/api/v1/namespaces/{namespace}/pods", manifest)
    _event_about(api, namespace, pod, "Successfully assigned it")

    out = kubectl.ok("describe", "pod", "web")

    assert squeeze(out) == described(
        out,
        f"""\
Name:  web
Namespace:  {namespace}
Priority:  0
Node:  <none>
Labels:  app=web
Annotations:  <none>
Status:  Pending
IP:
IPs:  <none>
Containers:
  web:
    Image:  nginx:1.25
    Port:  80/TCP
    Host Port:  0/TCP
    Limits:
      memory:  128Mi
    Requests:
      cpu:  100m
      memory:  64Mi
    Environment:
      MODE:  fast
    Mounts:  <none>
Volumes:  <none>
QoS Class:  Burstable
Node-Selectors:  <none>
Tolerations:  node.kubernetes.io/not-ready:NoExecute op=Exists for 300s
  node.kubernetes.io/unreachable:NoExecute op=Exists for 300s
Events:
  Type  Reason  Age  From  Message
  ----  ------  ----  ----  -------
  Normal  Scheduled  <age>  default-scheduler  Successfully assigned it
""",
    )


def test_describe_rc_shows_replicas_and_the_pod_template(
    kubectl: Kubectl, api: Api, namespace: str
) -> None:
    api.create(
        f"/api/v1/namespaces/{namespace}/replicationcontrollers",
        manifests.replication_controller("front"),
    )

    out = kubectl.ok("describe", "rc", "front")

    assert squeeze(out) == squeeze(
        f"""\
Name:  front
Namespace:  {namespace}
Selector:  app=front
Labels:  app=front
Annotations:  <none>
Replicas:  0 current / 2 desired
Pods Status:  0 Running / 0 Waiting / 0 Succeeded / 0 Failed
Pod Template:
  Labels:  app=front
  Containers:
   web:
    Image:  nginx:1.25
    Port:  80/TCP
    Host Port:  0/TCP
    Environment:  <none>
    Mounts:  <none>
  Volumes:  <none>
  Node-Selectors:  <none>
  Tolerations:  <none>
Events:  <none>
"""
    )


def test_describe_service_shows_type_addresses_and_ports(
    kubectl: Kubectl, api: Api, namespace: str
) -> None:
    manifest = manifests.service("front")
    manifest["metadata"]["labels"] = {"team": "web"}
    svc = api.create(f"/api/v1/namespaces/{namespace}/services", manifest)
    ip = svc["spec"]["clusterIP"]

    out = kubectl.ok("describe", "service", "front")

    assert squeeze(out) == squeeze(
        f"""\
Name:  front
Namespace:  {namespace}
Labels:  team=web
Annotations:  <none>
Selector:  app=front
Type:  ClusterIP
IP Family Policy:  SingleStack
IP Families:  IPv4
IP:  {ip}
IPs:  {ip}
Port:  http  80/TCP
TargetPort:  8080/TCP
Endpoints:  <none>
Session Affinity:  None
Internal Traffic Policy:  Cluster
Events:  <none>
"""
    )


def _node_with_a_pod(api: Api, namespace: str) -> tuple[str, dict[str, Any]]:
    name = sibling(namespace, "node")
    node = api.create("/api/v1/nodes", manifests.node(name))
    pod = manifests.pod("web", node_name=name)
    pod["spec"]["containers"][0]["resources"] = {
        "requests": {"cpu": "100m", "memory": "64Mi"},
        "limits": {"memory": "128Mi"},
    }
    api.create(f"/api/v1/namespaces/{namespace}/pods", pod)
    return name, node


def test_describe_node_shows_status_system_info_and_its_pods(
    kubectl: Kubectl, api: Api, namespace: str
) -> None:
    name, node = _node_with_a_pod(api, namespace)

    out = kubectl.ok("describe", "node", name)

    created = _human(node["metadata"]["creationTimestamp"])
    heartbeat = "Thu, 01 Jan 2026 00:00:00 +0000"
    assert squeeze(out) == described(
        out,
        f"""\
Name:  {name}
Roles:  <none>
Labels:  kubernetes.io/hostname={name}
  kubernetes.io/os=linux
Annotations:  <none>
CreationTimestamp:  {created}
Taints:  <none>
Unschedulable:  false
Lease:  Failed to get lease: leases.coordination.k8s.io "{name}" not found
Conditions:
  Type  Status  LastHeartbeatTime  LastTransitionTime  Reason  Message
  ----  ------  -----------------  ------------------  ------  -------
  Ready  True  {heartbeat}  {heartbeat}  KubeletReady  kubelet is posting ready status
Addresses:
  InternalIP:  192.0.2.10
  Hostname:  {name}
Capacity:
  cpu:  2
  memory:  4Gi
  pods:  110
Allocatable:
  cpu:  2
  memory:  4Gi
  pods:  110
System Info:
  Machine ID:  m-1
  System UUID:  u-1
  Boot ID:  b-1
  Kernel Version:  6.1.0
  OS Image:  Debian GNU/Linux 12 (bookworm)
  Operating System:  linux
  Architecture:  amd64
  Container Runtime Version:  docker://24.0.0
  Kubelet Version:  v1.37.0
PodCIDR:  10.244.1.0/24
PodCIDRs:  10.244.1.0/24
Non-terminated Pods:  (1 in total)
  Namespace  Name  CPU Requests  CPU Limits  Memory Requests  Memory Limits  Age
  ---------  ----  ------------  ----------  ---------------  -------------  ---
  {namespace}  web  100m (5%)  0 (0%)  64Mi (1%)  128Mi (3%)  <age>
Allocated resources:
  (Total limits may be over 100 percent, i.e., overcommitted.)
  Resource  Requests  Limits
  --------  --------  ------
  cpu  100m (5%)  0 (0%)
  memory  64Mi (1%)  128Mi (3%)
  ephemeral-storage  0 (0%)  0 (0%)
Events:  <none>
""",
    )


def test_describe_node_shows_its_heartbeat_lease(
    kubectl: Kubectl, api: Api, namespace: str
) -> None:
    name = sibling(namespace, "node")
    api.create("/api/v1/nodes", manifests.node(name))
    api.create(
        "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases", manifests.lease(name)
    )

    out = squeeze(kubectl.ok("describe", "node", name))

    assert (
        "Lease:\n"
        f"  HolderIdentity:  {name}\n"
        "  AcquireTime:  <unset>\n"
        "  RenewTime:  Fri, 02 Jan 2026 03:04:05 +0000\n"
    ) in out


def test_describe_namespace_shows_status_and_labels(kubectl: Kubectl, namespace: str) -> None:
    out = kubectl.ok("describe", "namespace", namespace)

    assert squeeze(out) == squeeze(
        f"""\
Name:  {namespace}
Labels:  kubernetes.io/metadata.name={namespace}
Annotations:  <none>
Status:  Active
"""
    )


def test_describe_by_label_describes_every_match(
    kubectl: Kubectl, api: Api, namespace: str
) -> None:
    for name in ("a", "b"):
        api.create(
            f"/api/v1/namespaces/{namespace}/pods", manifests.pod(name, labels={"tier": "x"})
        )

    out = squeeze(kubectl.ok("describe", "pods", "-l", "tier=x"))

    assert [line for line in out.splitlines() if line.startswith("Name:")] == [
        "Name:  a",
        "Name:  b",
    ]


def test_describe_a_missing_object_is_not_found(kubectl: Kubectl) -> None:
    assert kubectl("describe", "pod", "ghost") == (
        1,
        "",
        'Error from server (NotFound): pods "ghost" not found\n',
    )
