"""``DockerRuntime.remove_network`` tells a network still in use from one already gone: the
agent retries the first (its pods' containers are still stopping) and is done with the second
(someone removed it by hand, or an earlier attempt did), instead of retrying it for ever."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import docker
import docker.errors
import pytest

from nodeagent.runtime.docker import DockerRuntime

pytestmark = [pytest.mark.docker, pytest.mark.e2e]

# A subnet of this test's own (per process), clear of the cluster CIDRs other tests use.
SUBNET = f"10.254.{os.getpid() % 250}.0/24"
GATEWAY = SUBNET.replace(".0/24", ".1")


@pytest.fixture
def network(docker_client: docker.DockerClient) -> Iterator[str]:
    name = f"pilothouse-rm-test-{os.getpid()}"
    try:
        yield name
    finally:
        for container in docker_client.containers.list(all=True, filters={"network": name}):
            container.remove(force=True)
        with contextlib.suppress(docker.errors.NotFound):
            docker_client.networks.get(name).remove()


def test_a_network_in_use_is_kept_and_a_gone_one_counts_as_removed(
    docker_client: docker.DockerClient, infra_image: str, network: str
) -> None:
    runtime = DockerRuntime(docker_client)
    runtime.ensure_network(network, subnet=SUBNET, gateway=GATEWAY, bridge=f"phrm{os.getpid()}")
    sandbox = docker_client.containers.run(infra_image, detach=True, network=network)

    assert runtime.remove_network(network) is False  # a running container is attached
    sandbox.remove(force=True)
    assert runtime.remove_network(network) is True
    assert runtime.remove_network(network) is True  # gone already: nothing left to remove
    with pytest.raises(docker.errors.NotFound):
        docker_client.networks.get(network)
