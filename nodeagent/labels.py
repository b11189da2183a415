"""The labels that tie a container to its node, pod and container spec.

They are the agent's only memory that survives a restart (as kubelet's ``io.kubernetes.*``
labels are): from them it finds the containers of a pod, adopts them instead of starting
duplicates, and carries restart counts forward. The node label keeps two agents that share
one engine (tests, scale runs) off each other's containers.
"""

from __future__ import annotations

from collections.abc import Mapping

NODE = "io.pilothouse.node"
POD_UID = "io.kubernetes.pod.uid"
POD_NAME = "io.kubernetes.pod.name"
POD_NAMESPACE = "io.kubernetes.pod.namespace"
CONTAINER_NAME = "io.kubernetes.container.name"
CONTAINER_KIND = "io.kubernetes.docker.type"
# The container's ``ports`` from the spec, as JSON (for humans and ``docker inspect``).
PORTS = "io.kubernetes.container.ports"
RESTART_COUNT = "io.kubernetes.container.restartCount"
ATTEMPT = "io.kubernetes.sandbox.attempt"
SANDBOX = "podsandbox"
APP = "container"
# The name an init or app container has in the pod spec is unique across both lists, so a
# container's spec is found by name; whether it is an init container is recorded too.
INIT = "io.pilothouse.container.init"


def restart_count(labels: Mapping[str, str]) -> int:
    try:
        return int(labels.get(RESTART_COUNT, "0"))
    except ValueError:
        return 0
