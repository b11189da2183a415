"""Objects the control-plane tests create, as a user's manifests would describe them."""

from __future__ import annotations

from typing import Any

IMAGE = "pilothouse/busybox:test"


def rc_manifest(name: str, replicas: int, *, grace_seconds: int | None = None) -> dict[str, Any]:
    """A ReplicationController of ``replicas`` one-container pods labelled ``app=<name>``.

    ``grace_seconds`` sets the pods' termination grace period (0: a deleted pod goes at once
    even when bound to a node, with no kubelet to confirm).
    """
    labels = {"app": name}
    spec: dict[str, Any] = {"containers": [{"name": "c", "image": IMAGE}]}
    if grace_seconds is not None:
        spec["terminationGracePeriodSeconds"] = grace_seconds
    return {
        "apiVersion": "v1",
        "kind": "ReplicationController",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": labels,
            "template": {"metadata": {"labels": labels}, "spec": spec},
        },
    }
