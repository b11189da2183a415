"""Many nodes in one process, for scale tests: ``--nodes N`` with the simulated runtime.

Each node is a complete agent (its own Node, Lease, pod watch, workers and API connections),
named ``<node name>-0`` ... ``<node name>-<N-1>``, with a data directory of its own and its log
server on a free port of its own; they share only the process and the stop signal, as KWOK's
nodes share one controller.
"""

from __future__ import annotations

import threading
from dataclasses import replace

from nodeagent.agent import Agent
from nodeagent.config import AgentConfig


def fleet_configs(config: AgentConfig) -> list[AgentConfig]:
    """One configuration per node ``config`` asks for."""
    if config.nodes == 1:
        return [config]
    return [
        replace(
            config,
            node_name=f"{config.node_name}-{i}",
            data_dir=config.data_dir / f"{config.node_name}-{i}",
            nodes=1,
            kubelet_port=0,
        )
        for i in range(config.nodes)
    ]


def run_fleet(config: AgentConfig, stop: threading.Event) -> None:
    """Run every node's agent until ``stop`` is set."""
    agents = [Agent(c, stop=stop) for c in fleet_configs(config)]
    threads = [
        threading.Thread(target=a.run, name=f"agent-{a.config.node_name}", daemon=True)
        for a in agents
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
