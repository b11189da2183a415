"""``kubectl get endpointslices``: address type, ports and addresses, three of each at most.

Kube's printEndpointSlice: PORTS lists port numbers (the name of a port without a number,
``*`` for neither), ENDPOINTS every endpoint's addresses; past three, ``+ N more...``; an
empty list reads ``<unset>``.
"""

from __future__ import annotations

from cluster.api.tables import AGE, NAME, Cell, Column, Printer, age, name_of
from cluster.registry.vocabulary import Object

SHOWN = 3
UNSET = "<unset>"

ENDPOINT_SLICE_COLUMNS = (
    NAME,
    Column(
        "AddressType",
        description="addressType specifies the type of address carried by this EndpointSlice.",
    ),
    Column(
        "Ports",
        description="ports specifies the list of network ports exposed by each endpoint in this "
        "slice.",
    ),
    Column("Endpoints", description="endpoints is a list of unique endpoints in this slice."),
    AGE,
)


def list_with_more(items: list[str]) -> str:
    """kube's listWithMoreString: the first three, then how many more."""
    shown = ",".join(items[:SHOWN])
    if len(items) > SHOWN:
        return f"{shown} + {len(items) - SHOWN} more..."
    return shown or UNSET


def _port_label(port: Object) -> str:
    number = port.get("port")
    if number is not None:
        return str(number)
    return str(port.get("name")) if port.get("name") is not None else "*"


def format_ports(ports: list[Object]) -> str:
    return list_with_more([_port_label(p) for p in ports])


def format_addresses(endpoints: list[Object]) -> str:
    return list_with_more([str(a) for e in endpoints for a in e.get("addresses") or []])


def endpoint_slice_cells(endpoint_slice: Object) -> list[Cell]:
    return [
        name_of(endpoint_slice),
        str(endpoint_slice.get("addressType") or ""),
        format_ports(endpoint_slice.get("ports") or []),
        format_addresses(endpoint_slice.get("endpoints") or []),
        age(endpoint_slice),
    ]


ENDPOINT_SLICE: Printer = Printer(ENDPOINT_SLICE_COLUMNS, endpoint_slice_cells)
