"""The agent's settings: command-line options, each with an environment variable fallback.

Twelve-factor like the rest of Pilothouse: ``NODEAGENT_KUBECONFIG``, ``NODEAGENT_NODE_NAME``
and so on set what the options do not, so a container or a unit file can configure the agent
from its environment alone.
"""

from __future__ import annotations

import argparse
import os
import socket
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

# Kubelet's default pod-infra image. Offline machines configure a locally built one.
DEFAULT_INFRA_IMAGE = "registry.k8s.io/pause:3.10"
# Kubelet's port, where the API server reaches the log server.
DEFAULT_KUBELET_PORT = 10250
RUNTIMES = ("docker", "simulated")
PROXY_MODES = ("iptables", "userspace", "none")
# The control plane's defaults (CLUSTER_CIDR, CLUSTER_SERVICE_CIDR).
DEFAULT_CLUSTER_CIDR = "10.244.0.0/16"
DEFAULT_SERVICE_CIDR = "10.96.0.0/12"


@dataclass(frozen=True)
class AgentConfig:
    kubeconfig: Path
    node_name: str
    runtime: str = "docker"
    infra_image: str = DEFAULT_INFRA_IMAGE
    data_dir: Path = Path(".cluster/nodes")
    # The Docker network of the pods; empty: the node's own pod network from its podCIDR
    # (``nodeagent.podnet``).
    network: str = ""
    # How Services are proxied (``nodeagent.proxy``): iptables, falling back to userspace
    # where iptables cannot be used; "none" leaves Services to someone else.
    proxy_mode: str = "iptables"
    cluster_cidr: str = DEFAULT_CLUSTER_CIDR
    service_cidr: str = DEFAULT_SERVICE_CIDR
    node_ip: str | None = None
    # Kubelet's container restart back-off: 10 s, doubling, at most 5 minutes.
    backoff_initial: float = 10.0
    backoff_max: float = 300.0
    log_level: str = "INFO"
    # The simulated runtime: how long a container takes to start, and how many nodes this
    # process hosts (named <node_name>-0 ... <node_name>-<nodes - 1> when more than one).
    start_delay: float = 0.0
    nodes: int = 1
    # A static busybox binary to build ``infra_image`` from when the engine lacks it, so that
    # an offline machine never needs to pull one (``make up`` passes Debian's /bin/busybox).
    infra_from_binary: Path | None = None
    # The log server (``nodeagent.logserver``): its port on the node's InternalIP (0: any
    # free one), and the file holding the API server's token; no file, no log server.
    kubelet_port: int = DEFAULT_KUBELET_PORT
    api_server_token_file: Path | None = None


def _parser(env: Mapping[str, str]) -> argparse.ArgumentParser:
    def default(name: str, fallback: str | None = None) -> str | None:
        return env.get(f"NODEAGENT_{name}", fallback)

    p = argparse.ArgumentParser(
        prog="python -m nodeagent",
        description="Pilothouse's node agent: runs the pods bound to this node through Docker.",
    )
    p.add_argument("--kubeconfig", default=default("KUBECONFIG"), help="API server credentials")
    p.add_argument(
        "--node-name",
        default=default("NODE_NAME", socket.gethostname().lower()),
        help="the Node to register and run pods for (default: the host name)",
    )
    p.add_argument("--runtime", choices=RUNTIMES, default=default("RUNTIME", "docker"))
    p.add_argument(
        "--infra-image",
        default=default("INFRA_IMAGE", DEFAULT_INFRA_IMAGE),
        help="the image of each pod's sandbox container, which holds its network namespace",
    )
    p.add_argument(
        "--data-dir",
        default=default("DATA_DIR"),
        help="where pod volumes live (default: .cluster/nodes/<node name>)",
    )
    p.add_argument(
        "--infra-from-binary",
        default=default("INFRA_FROM_BINARY"),
        help="a static busybox binary: build --infra-image from it if the engine lacks it",
    )
    p.add_argument(
        "--network",
        default=default("NETWORK", ""),
        help="Docker network of the pods (default: the node's own, from its podCIDR)",
    )
    p.add_argument(
        "--proxy-mode",
        choices=PROXY_MODES,
        default=default("PROXY_MODE", "iptables"),
        help="how Services are proxied (iptables falls back to userspace if unavailable)",
    )
    p.add_argument("--cluster-cidr", default=default("CLUSTER_CIDR", DEFAULT_CLUSTER_CIDR))
    p.add_argument("--service-cidr", default=default("SERVICE_CIDR", DEFAULT_SERVICE_CIDR))
    p.add_argument("--node-ip", default=default("NODE_IP"), help="the node's InternalIP")
    p.add_argument(
        "--backoff-initial",
        type=float,
        default=default("BACKOFF_INITIAL", "10"),
        help="seconds before the first restart of a crashed container or a failed pull "
        "(kubelet: 10), doubling each time",
    )
    p.add_argument(
        "--backoff-max",
        type=float,
        default=default("BACKOFF_MAX", "300"),
        help="the longest restart or pull back-off in seconds (kubelet: 300)",
    )
    p.add_argument(
        "--start-delay",
        type=float,
        default=default("START_DELAY", "0"),
        help="simulated runtime: seconds a container takes to start",
    )
    p.add_argument(
        "--nodes",
        type=int,
        default=default("NODES", "1"),
        help="simulated runtime: host this many nodes, <node name>-0 ... <node name>-<N-1>",
    )
    p.add_argument(
        "--kubelet-port",
        type=int,
        default=default("KUBELET_PORT", str(DEFAULT_KUBELET_PORT)),
        help="port of the HTTPS log server on the node's address (0: any free port)",
    )
    p.add_argument(
        "--api-server-token-file",
        default=default("API_SERVER_TOKEN_FILE"),
        help="the API server's token for the log server (its pki/apiserver-kubelet-client"
        ".token); without it, no logs are served",
    )
    p.add_argument("--log-level", default=default("LOG_LEVEL", "INFO"))
    return p


def parse_config(argv: Sequence[str], env: Mapping[str, str] | None = None) -> AgentConfig:
    """The configuration from ``argv`` (options) and ``env`` (their fallbacks)."""
    env = os.environ if env is None else env
    parser = _parser(env)
    args = parser.parse_args(argv)
    if not args.kubeconfig:
        parser.error("--kubeconfig (or NODEAGENT_KUBECONFIG) is required")
    if not args.node_name:
        parser.error("--node-name (or NODEAGENT_NODE_NAME) is required")
    if args.nodes < 1 or (args.nodes > 1 and args.runtime != "simulated"):
        parser.error("--nodes must be 1, or more with --runtime simulated")
    if args.backoff_initial <= 0 or args.backoff_max < args.backoff_initial:
        parser.error("back-off: need 0 < --backoff-initial <= --backoff-max")
    if not 0 <= args.kubelet_port <= 65535:
        parser.error("--kubelet-port must be 0 to 65535")
    data_dir = Path(args.data_dir) if args.data_dir else Path(".cluster/nodes") / args.node_name
    token_file = args.api_server_token_file
    return AgentConfig(
        kubeconfig=Path(args.kubeconfig),
        node_name=args.node_name,
        runtime=args.runtime,
        infra_image=args.infra_image,
        data_dir=data_dir.absolute(),
        network=args.network,
        proxy_mode=args.proxy_mode,
        cluster_cidr=args.cluster_cidr,
        service_cidr=args.service_cidr,
        node_ip=args.node_ip,
        log_level=args.log_level.upper(),
        backoff_initial=args.backoff_initial,
        backoff_max=args.backoff_max,
        start_delay=args.start_delay,
        nodes=args.nodes,
        infra_from_binary=Path(args.infra_from_binary) if args.infra_from_binary else None,
        kubelet_port=args.kubelet_port,
        api_server_token_file=Path(token_file).absolute() if token_file else None,
    )
