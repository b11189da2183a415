"""Every reconciler the control plane runs, by name."""

from __future__ import annotations

from functools import cache

from cluster.registry.reconcile import Reconciler


@cache
def reconcilers() -> dict[str, Reconciler]:
    # Imported here, not at module level: the catalog is built once per process, after Django.
    from cluster.controllers import all_controllers
    from cluster.scheduling import scheduler

    found: list[Reconciler] = [scheduler(), *all_controllers()]
    return {r.name: r for r in found}
