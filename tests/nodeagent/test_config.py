"""The agent's command line, its environment fallbacks, and the kubeconfig it reads."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
import yaml

from nodeagent.config import DEFAULT_INFRA_IMAGE, parse_config
from nodeagent.kubeconfig import KubeconfigError, load_kubeconfig


def test_options_win_over_the_environment() -> None:
    env = {"NODEAGENT_NODE_NAME": "from-env", "NODEAGENT_KUBECONFIG": "/env/kubeconfig"}
    config = parse_config(["--node-name", "from-flag", "--runtime", "simulated"], env)
    assert (config.node_name, config.kubeconfig, config.runtime) == (
        "from-flag",
        Path("/env/kubeconfig"),
        "simulated",
    )
    assert config.infra_image == DEFAULT_INFRA_IMAGE
    assert config.data_dir == (Path(".cluster/nodes") / "from-flag").absolute()


def test_the_environment_configures_every_option(tmp_path: Path) -> None:
    env = {
        "NODEAGENT_KUBECONFIG": "k",
        "NODEAGENT_NODE_NAME": "n1",
        "NODEAGENT_INFRA_IMAGE": "local/infra:1",
        "NODEAGENT_DATA_DIR": str(tmp_path),
        "NODEAGENT_NETWORK": "podnet",
        "NODEAGENT_NODE_IP": "10.0.0.5",
        "NODEAGENT_INFRA_FROM_BINARY": "/bin/busybox",
    }
    config = parse_config([], env)
    assert config.infra_image == "local/infra:1"
    assert config.infra_from_binary == Path("/bin/busybox")
    assert (config.data_dir, config.network, config.node_ip) == (tmp_path, "podnet", "10.0.0.5")


def test_it_requires_a_kubeconfig(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parse_config(["--node-name", "n1"], {})
    assert "--kubeconfig (or NODEAGENT_KUBECONFIG) is required" in capsys.readouterr().err


def _write(path: Path, cluster: dict[str, str], user: dict[str, str]) -> Path:
    config = {
        "clusters": [{"name": "c", "cluster": cluster}],
        "users": [{"name": "u", "user": user}],
        "contexts": [{"name": "ctx", "context": {"cluster": "c", "user": "u"}}],
        "current-context": "ctx",
    }
    path.write_text(yaml.safe_dump(config))
    return path


def test_kubeconfig_gives_server_ca_data_and_token(tmp_path: Path) -> None:
    ca = base64.b64encode(b"PEM").decode()
    path = _write(
        tmp_path / "k",
        {"server": "https://127.0.0.1:6443/", "certificate-authority-data": ca},
        {"token": "secret"},
    )
    credentials = load_kubeconfig(path)
    assert (credentials.server, credentials.ca_pem, credentials.token) == (
        "https://127.0.0.1:6443",
        b"PEM",
        "secret",
    )


def test_kubeconfig_files_are_relative_to_the_kubeconfig(tmp_path: Path) -> None:
    (tmp_path / "ca.crt").write_bytes(b"PEM")
    (tmp_path / "token").write_text("secret\n")
    path = _write(
        tmp_path / "k",
        {"server": "https://api:6443", "certificate-authority": "ca.crt"},
        {"tokenFile": "token"},
    )
    credentials = load_kubeconfig(path)
    assert (credentials.ca_pem, credentials.token) == (b"PEM", "secret")


def test_kubeconfig_without_the_current_cluster_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "k"
    path.write_text(yaml.safe_dump({"current-context": "missing", "contexts": []}))
    with pytest.raises(KubeconfigError, match="no context named 'missing'"):
        load_kubeconfig(path)


def test_back_off_defaults_to_kubelets_and_is_configurable() -> None:
    base = ["--kubeconfig", "k", "--node-name", "n1"]
    config = parse_config(base, {})
    assert (config.backoff_initial, config.backoff_max) == (10.0, 300.0)
    env = {"NODEAGENT_BACKOFF_INITIAL": "1", "NODEAGENT_BACKOFF_MAX": "8"}
    config = parse_config(base, env)
    assert (config.backoff_initial, config.backoff_max) == (1.0, 8.0)
    config = parse_config([*base, "--backoff-max", "20"], env)
    assert (config.backoff_initial, config.backoff_max) == (1.0, 20.0)


def test_many_nodes_need_the_simulated_runtime(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parse_config(["--kubeconfig", "k", "--nodes", "2"], {})
    assert "--nodes must be 1, or more with --runtime simulated" in capsys.readouterr().err
    env = {"NODEAGENT_NODES": "4", "NODEAGENT_START_DELAY": "0.5", "NODEAGENT_RUNTIME": "simulated"}
    config = parse_config(["--kubeconfig", "k"], env)
    assert (config.nodes, config.start_delay, config.runtime) == (4, 0.5, "simulated")


def test_the_log_server_listens_on_kubelets_port_unless_told_otherwise() -> None:
    env = {"NODEAGENT_KUBECONFIG": "k", "NODEAGENT_NODE_NAME": "n1"}

    default = parse_config([], env)
    configured = parse_config(
        ["--kubelet-port", "0"],
        {**env, "NODEAGENT_API_SERVER_TOKEN_FILE": "/data/pki/apiserver-kubelet-client.token"},
    )

    assert (default.kubelet_port, default.api_server_token_file) == (10250, None)
    assert (configured.kubelet_port, configured.api_server_token_file) == (
        0,
        Path("/data/pki/apiserver-kubelet-client.token"),
    )


def test_a_port_out_of_range_is_refused() -> None:
    with pytest.raises(SystemExit):
        parse_config(["--kubeconfig", "k", "--node-name", "n", "--kubelet-port", "70000"], {})
