"""Service environment variables: kubelet's names and values, which Services count, and how
they sit under the container's own env."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nodeagent.pods.containerspec import PodContext, container_config, exposed_ports
from nodeagent.services import ServiceCache, service_variables


def service(namespace: str, name: str, ip: str, *ports: dict[str, Any]) -> dict[str, Any]:
    return {
        "metadata": {"namespace": namespace, "name": name},
        "spec": {"clusterIP": ip, "ports": list(ports)},
    }


REDIS = service(
    "team",
    "redis-primary",
    "10.0.0.11",
    {"name": "db", "port": 6379, "protocol": "TCP"},
    {"port": 9121, "protocol": "UDP"},
)


def test_a_service_gets_kubelets_variables() -> None:
    assert service_variables(REDIS) == {
        "REDIS_PRIMARY_SERVICE_HOST": "10.0.0.11",
        "REDIS_PRIMARY_SERVICE_PORT": "6379",
        "REDIS_PRIMARY_SERVICE_PORT_DB": "6379",
        "REDIS_PRIMARY_PORT": "tcp://10.0.0.11:6379",
        "REDIS_PRIMARY_PORT_6379_TCP": "tcp://10.0.0.11:6379",
        "REDIS_PRIMARY_PORT_6379_TCP_PROTO": "tcp",
        "REDIS_PRIMARY_PORT_6379_TCP_PORT": "6379",
        "REDIS_PRIMARY_PORT_6379_TCP_ADDR": "10.0.0.11",
        "REDIS_PRIMARY_PORT_9121_UDP": "udp://10.0.0.11:9121",
        "REDIS_PRIMARY_PORT_9121_UDP_PROTO": "udp",
        "REDIS_PRIMARY_PORT_9121_UDP_PORT": "9121",
        "REDIS_PRIMARY_PORT_9121_UDP_ADDR": "10.0.0.11",
    }


def test_a_headless_service_has_none() -> None:
    assert service_variables(service("team", "db", "None", {"port": 5432})) == {}


def test_a_pod_sees_its_namespace_and_the_api_service_only() -> None:
    cache = ServiceCache()
    api = service("default", "kubernetes", "10.0.0.1", {"name": "https", "port": 443})
    cache.listed([REDIS, api, service("other", "web", "10.0.0.12", {"port": 80})])
    env = cache.environment("team")
    assert env["REDIS_PRIMARY_SERVICE_HOST"] == "10.0.0.11"
    assert env["KUBERNETES_SERVICE_HOST"] == "10.0.0.1"
    assert "WEB_SERVICE_HOST" not in env
    without_links = cache.environment("team", service_links=False)
    assert "REDIS_PRIMARY_SERVICE_HOST" not in without_links
    assert without_links["KUBERNETES_SERVICE_PORT_HTTPS"] == "443"


def test_the_cache_follows_changes() -> None:
    cache = ServiceCache()
    assert not cache.synced.is_set()
    cache.listed([])
    assert cache.synced.is_set()
    cache.changed(REDIS)
    assert "REDIS_PRIMARY_SERVICE_HOST" in cache.environment("team")
    cache.removed(REDIS)
    assert cache.environment("team") == {}


def test_the_containers_own_env_wins_and_may_refer_to_service_variables(tmp_path: Path) -> None:
    env = [
        {"name": "REDIS_PRIMARY_SERVICE_PORT", "value": "1"},
        {"name": "URL", "value": "redis://$(REDIS_PRIMARY_SERVICE_HOST)"},
    ]
    ports = [{"name": "http", "containerPort": 8080, "protocol": "TCP"}]
    spec = {"name": "app", "image": "busybox", "env": env, "ports": ports}
    pod = {
        "metadata": {"name": "web", "namespace": "team", "uid": "u"},
        "spec": {"containers": [spec]},
    }
    context = PodContext(
        pod=pod,
        node_name="n",
        host_ip="10.0.0.1",
        pod_ip="172.17.0.5",
        sandbox_id="s",
        volume_path=lambda name: tmp_path / name,
        service_env=service_variables(REDIS),
    )
    config = container_config(spec, context, restart_count=0, init=False)
    assert config.env["REDIS_PRIMARY_SERVICE_PORT"] == "1"
    assert config.env["URL"] == "redis://10.0.0.11"
    assert config.env["REDIS_PRIMARY_SERVICE_HOST"] == "10.0.0.11"
    assert config.labels["io.kubernetes.container.ports"] == (
        '[{"name":"http","containerPort":8080,"protocol":"TCP"}]'
    )
    assert exposed_ports(pod) == ((8080, "tcp"),)
