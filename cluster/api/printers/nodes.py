"""``kubectl get nodes`` and ``kubectl get leases`` (a node's heartbeat is its Lease).

A node's STATUS is its Ready condition (``Ready``, ``NotReady``; ``Unknown`` with none),
then ``SchedulingDisabled`` when cordoned; ROLES come from ``node-role.kubernetes.io/<role>``
and ``kubernetes.io/role`` labels.
"""

from __future__ import annotations

from cluster.api.printers.common import NONE, UNKNOWN, spec_of, status_of
from cluster.api.tables import AGE, NAME, Cell, Column, Printer, age, name_of
from cluster.registry.vocabulary import Object

ADDRESSES = "List of addresses reachable to the node."

NODE_COLUMNS = (
    NAME,
    Column("Status", description="The status of the node"),
    Column("Roles", description="The roles of the node"),
    AGE,
    Column("Version", description="Kubelet Version reported by the node."),
    Column("Internal-IP", priority=1, description=ADDRESSES),
    Column("External-IP", priority=1, description=ADDRESSES),
    Column(
        "OS-Image",
        priority=1,
        description="OS Image reported by the node from /etc/os-release "
        "(e.g. Debian GNU/Linux 7 (wheezy)).",
    ),
    Column(
        "Kernel-Version",
        priority=1,
        description="Kernel Version reported by the node from 'uname -r' "
        "(e.g. 3.16.0-0.bpo.4-amd64).",
    ),
    Column(
        "Container-Runtime",
        priority=1,
        description="ContainerRuntime Version reported by the node through runtime remote API "
        "(e.g. containerd://1.4.2).",
    ),
)

ROLE_LABEL_PREFIX = "node-role.kubernetes.io/"
ROLE_LABEL = "kubernetes.io/role"


def node_status(node: Object) -> str:
    # The last condition of a type wins, as in kube's map of conditions by type.
    ready = {c.get("type"): c for c in status_of(node).get("conditions") or []}.get("Ready")
    if ready is None:
        states = ["Unknown"]
    else:
        states = ["Ready" if ready.get("status") == "True" else "NotReady"]
    if spec_of(node).get("unschedulable"):
        states.append("SchedulingDisabled")
    return ",".join(states)


def node_roles(node: Object) -> str:
    roles = set()
    for key, value in ((node.get("metadata") or {}).get("labels") or {}).items():
        if key.startswith(ROLE_LABEL_PREFIX) and key != ROLE_LABEL_PREFIX:
            roles.add(key.removeprefix(ROLE_LABEL_PREFIX))
        elif key == ROLE_LABEL and value:
            roles.add(value)
    return ",".join(sorted(roles)) or NONE


def _address(node: Object, address_type: str) -> str:
    for address in status_of(node).get("addresses") or []:
        if address.get("type") == address_type:
            return str(address.get("address", ""))
    return NONE


def node_cells(node: Object) -> list[Cell]:
    info = status_of(node).get("nodeInfo") or {}
    return [
        name_of(node),
        node_status(node),
        node_roles(node),
        age(node),
        info.get("kubeletVersion", ""),
        _address(node, "InternalIP"),
        _address(node, "ExternalIP"),
        info.get("osImage") or UNKNOWN,
        info.get("kernelVersion") or UNKNOWN,
        info.get("containerRuntimeVersion") or UNKNOWN,
    ]


NODE: Printer = Printer(NODE_COLUMNS, node_cells)

LEASE_COLUMNS = (
    NAME,
    Column(
        "Holder",
        description="holderIdentity contains the identity of the holder of a current lease.",
    ),
    AGE,
)


def lease_cells(lease: Object) -> list[Cell]:
    return [name_of(lease), spec_of(lease).get("holderIdentity") or "", age(lease)]


LEASE: Printer = Printer(LEASE_COLUMNS, lease_cells)
