"""``runcluster``'s own process handling: how it stops its children and starts the agent.

Stopping must keep copying a child's output while the child shuts down: a Celery worker that
logs its shutdown into a full pipe would otherwise block and be killed after the timeout. The
agent must be told the cluster's CIDRs, or it would route and blackhole the defaults.
"""

from __future__ import annotations

import io
import subprocess
import sys
import time
from pathlib import Path

from django.core.management.base import OutputWrapper
from django.test import override_settings

from cluster.management.commands import runcluster

# On SIGTERM: print far more than a pipe holds (64 KiB), then exit 3.
_CHATTY_ON_STOP = """
import signal, sys, time
def stop(signum, frame):
    for n in range(20000):
        print(f"stopping {n}", flush=False)
    print("stopped", flush=True)
    sys.exit(3)
signal.signal(signal.SIGTERM, stop)
print("ready", flush=True)
time.sleep(60)
"""


def _chatty_child() -> runcluster.Child:
    popen = subprocess.Popen(
        [sys.executable, "-c", _CHATTY_ON_STOP],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    assert popen.stdout is not None
    assert popen.stdout.readline() == b"ready\n"
    return runcluster.Child("worker", popen)


def test_stopping_copies_a_childs_shutdown_output_so_it_exits_by_itself() -> None:
    child = _chatty_child()
    out = io.StringIO()
    command = runcluster.Command()
    command.stdout = OutputWrapper(out)
    began = time.monotonic()
    command._stop_all([child])
    assert time.monotonic() - began < runcluster.STOP_TIMEOUT_SECONDS / 2
    assert child.popen.returncode == 3  # its own exit, not SIGKILL's -9
    lines = out.getvalue().splitlines()
    assert lines[-1] == "worker | stopped"
    assert len(lines) == 20001


@override_settings(CLUSTER_CIDR="10.90.0.0/16", CLUSTER_SERVICE_CIDR="10.91.0.0/16")
def test_the_agent_is_given_the_clusters_pod_and_service_cidrs() -> None:
    command = runcluster.agent_command(
        "simulated", node_name="n1", kubeconfig=Path("/nonexistent/n1.kubeconfig")
    )
    assert command[command.index("--cluster-cidr") + 1] == "10.90.0.0/16"
    assert command[command.index("--service-cidr") + 1] == "10.91.0.0/16"
