"""``kubectl get replicationcontrollers``: NAME DESIRED CURRENT READY AGE, and CONTAINERS
IMAGES SELECTOR for ``-o wide``."""

from __future__ import annotations

from cluster.api.printers.common import container_cells, format_labels, spec_of, status_of
from cluster.api.tables import AGE, NAME, Cell, Column, Printer, age, name_of
from cluster.registry.vocabulary import Object

CONTAINERS = Column(
    "Containers", priority=1, description="Names of each container in the template."
)
IMAGES = Column(
    "Images", priority=1, description="Images referenced by each container in the template."
)

RC_COLUMNS = (
    NAME,
    Column("Desired", "integer", description="Replicas is the number of desired replicas."),
    Column(
        "Current",
        "integer",
        description="Replicas is the most recently observed number of replicas.",
    ),
    Column(
        "Ready",
        "integer",
        description="The number of ready replicas for this replication controller.",
    ),
    AGE,
    CONTAINERS,
    IMAGES,
    Column(
        "Selector",
        priority=1,
        description="Selector is a label query over pods that should match the Replicas count.",
    ),
)


def rc_cells(rc: Object) -> list[Cell]:
    spec, status = spec_of(rc), status_of(rc)
    return [
        name_of(rc),
        spec.get("replicas", 1),  # unset means 1, as kube's v1 defaulting has it
        status.get("replicas", 0),
        status.get("readyReplicas", 0),
        age(rc),
        *container_cells(spec_of(spec.get("template") or {}).get("containers") or []),
        format_labels(spec.get("selector")),
    ]


REPLICATION_CONTROLLER: Printer = Printer(RC_COLUMNS, rc_cells)
