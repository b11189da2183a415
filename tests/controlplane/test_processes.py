"""The control plane's processes start as production starts them and stay up."""

from __future__ import annotations

import pytest

from tests.controlplane.cluster import ControlPlane

pytestmark = pytest.mark.e2e


def test_workers_and_beat_run_with_the_dispatcher(control_plane: ControlPlane) -> None:
    assert len(control_plane.workers) == 2
    assert all(w.popen.poll() is None for w in control_plane.workers)
    assert control_plane.beat is not None
    assert control_plane.beat.popen.poll() is None
    beat_log = control_plane.beat.output()
    assert "dispatcher watching" in beat_log
    assert "Traceback" not in control_plane.logs()
