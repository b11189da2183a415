"""Lost messages: the periodic resync repairs what a flushed broker forgot."""

from __future__ import annotations

import base64
import json

import pytest
import redis

from tests.controlplane.cluster import ControlPlane, eventually
from tests.controlplane.manifests import rc_manifest

pytestmark = pytest.mark.e2e


def queued_keys(control_plane: ControlPlane) -> list[list[str]]:
    """The (reconciler, key) arguments of the reconcile messages waiting in Redis."""
    client = redis.Redis.from_url(control_plane.redis_url)
    try:
        raw: list[bytes] = client.lrange("celery", 0, -1)  # type: ignore[assignment]
        messages = [json.loads(m) for m in raw]
    finally:
        client.close()
    bodies = [json.loads(base64.b64decode(m["body"])) for m in messages]
    return [b[0] for b in bodies if len(b[0]) == 2]


def test_a_flushed_broker_is_repaired_by_the_resync(
    control_plane: ControlPlane, namespace: str
) -> None:
    api = control_plane.api
    control_plane.stop_workers()
    try:
        api.create(f"/api/v1/namespaces/{namespace}/replicationcontrollers", rc_manifest("web", 2))
        # The dispatcher announced the new RC; nobody consumed it; now it is lost.
        eventually(lambda: ["replication", f"{namespace}/web"] in queued_keys(control_plane))
        control_plane.flush_redis()
        assert queued_keys(control_plane) == []
    finally:
        control_plane.start_worker()
        control_plane.start_worker()

    def two_pods() -> bool:
        pods = api.get(f"/api/v1/namespaces/{namespace}/pods").body["items"]
        return len(pods) == 2

    # Resync runs every 5 s (CONTROL_PLANE_ENV); allow a few rounds on a busy machine.
    eventually(two_pods, timeout=30)
