"""A pod spec's container as the runtime creates it (pure translation, no engine)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from nodeagent import labels
from nodeagent.pods.containerspec import (
    ConfigError,
    PodContext,
    container_config,
    expand,
)


def pod(**spec: Any) -> dict[str, Any]:
    return {
        "metadata": {
            "name": "web",
            "namespace": "team",
            "uid": "u-1",
            "labels": {"app": "web"},
        },
        "spec": {"containers": [], **spec},
    }


def context(obj: dict[str, Any], tmp_path: Path) -> PodContext:
    return PodContext(
        pod=obj,
        node_name="node-a",
        host_ip="10.0.0.1",
        pod_ip="172.17.0.5",
        sandbox_id="sandbox-id",
        volume_path=lambda name: tmp_path / name,
    )


def test_command_replaces_the_entrypoint_and_args_the_cmd(tmp_path: Path) -> None:
    c = {"name": "c", "image": "i", "command": ["sh", "-c"], "args": ["echo hi"]}
    config = container_config(c, context(pod(), tmp_path), restart_count=0, init=False)
    assert (config.entrypoint, config.cmd) == (["sh", "-c"], ["echo hi"])
    bare = container_config(
        {"name": "c", "image": "i"}, context(pod(), tmp_path), restart_count=0, init=False
    )
    assert (bare.entrypoint, bare.cmd) == (None, None)


def test_references_expand_from_earlier_variables() -> None:
    assert expand("$(A)-$(B)-$$(A)-$(", {"A": "1"}) == "1-$(B)-$(A)-$("


def test_env_resolves_values_and_pod_fields(tmp_path: Path) -> None:
    c = {
        "name": "c",
        "image": "i",
        "args": ["$(GREETING)"],
        "env": [
            {"name": "NAME", "value": "x"},
            {"name": "GREETING", "value": "hello $(NAME)"},
            {"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
            {"name": "NS", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
            {"name": "UID", "valueFrom": {"fieldRef": {"fieldPath": "metadata.uid"}}},
            {"name": "NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
            {"name": "IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
            {"name": "HOST", "valueFrom": {"fieldRef": {"fieldPath": "status.hostIP"}}},
            {"name": "APP", "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['app']"}}},
        ],
    }
    config = container_config(c, context(pod(), tmp_path), restart_count=0, init=False)
    assert dict(config.env) == {
        "NAME": "x",
        "GREETING": "hello x",
        "POD": "web",
        "NS": "team",
        "UID": "u-1",
        "NODE": "node-a",
        "IP": "172.17.0.5",
        "HOST": "10.0.0.1",
        "APP": "web",
    }
    assert config.cmd == ["hello x"]


def test_unsupported_env_sources_are_a_config_error(tmp_path: Path) -> None:
    c = {
        "name": "c",
        "image": "i",
        "env": [{"name": "S", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}],
    }
    with pytest.raises(ConfigError, match="secretKeyRef"):
        container_config(c, context(pod(), tmp_path), restart_count=0, init=False)


def test_limits_and_empty_dirs(tmp_path: Path) -> None:
    c = {
        "name": "c",
        "image": "i",
        "workingDir": "/work",
        "resources": {"limits": {"cpu": "250m", "memory": "32Mi"}},
        "volumeMounts": [{"name": "scratch", "mountPath": "/data", "readOnly": True}],
    }
    obj = pod(volumes=[{"name": "scratch", "emptyDir": {}}])
    config = container_config(c, context(obj, tmp_path), restart_count=3, init=False)
    assert (config.nano_cpus, config.memory_bytes) == (250_000_000, 32 * 2**20)
    assert config.working_dir == "/work"
    assert [(m.source, m.target, m.read_only) for m in config.mounts] == [
        (str(tmp_path / "scratch"), "/data", True)
    ]
    assert config.sandbox_id == "sandbox-id"
    assert config.name == "k8s_c_web_team_u-1_3"
    assert config.labels[labels.POD_UID] == "u-1"
    assert config.labels[labels.RESTART_COUNT] == "3"
    assert config.labels[labels.NODE] == "node-a"
