"""Facts about the machine the agent runs on, read from the kernel, for the Node's status.

The engine tells capacity (``RuntimeInfo``); this module tells who the host is (machine and
boot IDs, name, address) and whether it is under pressure, with kubelet's default eviction
thresholds: memory.available < 100Mi, nodefs.available < 10%, and (Pilothouse's choice, as
kubelet sets none by default) fewer than 5% of PIDs free.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path

MEMORY_AVAILABLE_MIN = 100 * 1024 * 1024
DISK_AVAILABLE_MIN_FRACTION = 0.10
PIDS_AVAILABLE_MIN_FRACTION = 0.05


@dataclass(frozen=True)
class Pressure:
    memory: bool
    disk: bool
    pids: bool


def _read(path: str, default: str = "") -> str:
    try:
        return Path(path).read_text().strip()
    except OSError:
        return default


def machine_id() -> str:
    return _read("/etc/machine-id") or _read("/var/lib/dbus/machine-id")


def boot_id() -> str:
    return _read("/proc/sys/kernel/random/boot_id")


def hostname() -> str:
    return socket.gethostname().lower()


def address_towards(host: str, port: int) -> str:
    """The local address the kernel would use to reach ``host`` (a UDP connect sends nothing)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as s:
        s.connect((host, port))
        address: str = s.getsockname()[0]
        return address


def memory_available() -> int | None:
    for line in _read("/proc/meminfo").splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) * 1024
    return None


def pressure(data_dir: Path) -> Pressure:
    available = memory_available()
    disk = os.statvfs(data_dir)
    pid_max = int(_read("/proc/sys/kernel/pid_max", "0") or 0)
    # The fourth field of loadavg is "runnable/total" scheduling entities (threads).
    tasks = _read("/proc/loadavg").split()
    total = int(tasks[3].split("/")[1]) if len(tasks) > 3 and "/" in tasks[3] else 0
    return Pressure(
        memory=available is not None and available < MEMORY_AVAILABLE_MIN,
        disk=disk.f_bavail < disk.f_blocks * DISK_AVAILABLE_MIN_FRACTION,
        pids=pid_max > 0 and pid_max - total < pid_max * PIDS_AVAILABLE_MIN_FRACTION,
    )
