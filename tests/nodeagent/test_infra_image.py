"""Offline sandboxes: the infra image built from a static busybox binary, never pulled."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from pathlib import Path

import docker
import docker.errors
import pytest

from nodeagent.runtime.docker import DockerRuntime

pytestmark = [pytest.mark.docker, pytest.mark.e2e]

BUSYBOX = Path("/bin/busybox")


@pytest.fixture
def image(docker_client: docker.DockerClient) -> Iterator[str]:
    tag = f"pilothouse/infra-build-test:{uuid.uuid4().hex[:8]}"
    try:
        yield tag
    finally:
        for container in docker_client.containers.list(all=True, filters={"ancestor": tag}):
            container.remove(force=True)
        with contextlib.suppress(docker.errors.ImageNotFound):
            docker_client.images.remove(tag, force=True)


def test_the_infra_image_is_built_from_busybox_once_and_sleeps(
    docker_client: docker.DockerClient, image: str
) -> None:
    if not BUSYBOX.exists():
        pytest.fail("/bin/busybox is missing: scripts/services.sh installs busybox-static")
    runtime = DockerRuntime(docker_client)
    assert runtime.build_from_static_binary(image, BUSYBOX)
    assert not runtime.build_from_static_binary(image, BUSYBOX)

    container = docker_client.containers.run(image, detach=True, network_mode="none")
    container.reload()
    assert container.status == "running"
    assert container.attrs["Config"]["Cmd"] == ["/busybox", "sleep", "2147483647"]
