"""coordination.k8s.io/v1 Leases: kube's ``pkg/registry/coordination/lease``.

Node agents hold a Lease named after their node in ``kube-node-lease`` and renew it; the node
lifecycle controller reads ``renewTime`` to tell a live node from a lost one. Times are
``MicroTime``s, stored in UTC with microseconds.
"""

from __future__ import annotations

from cluster.registry import names
from cluster.registry.errors import Cause, forbidden, invalid, not_supported
from cluster.registry.kinds.formats import NEGATIVE_PROBLEM, each
from cluster.registry.kinds.shapes import check_types, is_int, mapping
from cluster.registry.kinds.timestamps import micro_time_causes, normalize_micro_time
from cluster.registry.strategy import Strategy
from cluster.store.types import Object

LEASE_STRATEGIES = ["OldestEmulationVersion"]
_TIMES = ("acquireTime", "renewTime")
_SPEC_TYPES = {
    "holderIdentity": "string",
    "leaseDurationSeconds": "integer",
    "leaseTransitions": "integer",
    "strategy": "string",
    "preferredHolder": "string",
}


def _strategy_causes(strategy: str) -> list[Cause]:
    # Kube reports the strategy one level too deep (sic).
    path = "spec.strategy.strategy"
    if "/" not in strategy:
        if strategy in LEASE_STRATEGIES:
            return []
        return [not_supported(path, strategy, LEASE_STRATEGIES)]
    return each(path, names.qualified_name(strategy), strategy)


class LeaseStrategy(Strategy):
    generation_fields = ()

    def default(self, obj: Object) -> None:
        spec = obj.get("spec")
        if isinstance(spec, dict):
            for field in _TIMES:
                if field in spec:
                    spec[field] = normalize_micro_time(spec[field])

    def validate(self, obj: Object) -> list[Cause]:
        spec = mapping(obj.get("spec"))
        causes = check_types(obj, "", {"spec": "object"}) + check_types(spec, "spec", _SPEC_TYPES)
        duration = spec.get("leaseDurationSeconds")
        if is_int(duration) and duration <= 0:
            causes.append(invalid("spec.leaseDurationSeconds", duration, "must be greater than 0"))
        transitions = spec.get("leaseTransitions")
        if is_int(transitions) and transitions < 0:
            causes.append(invalid("spec.leaseTransitions", transitions, NEGATIVE_PROBLEM))
        strategy = spec.get("strategy")
        if isinstance(strategy, str):
            causes += _strategy_causes(strategy)
        if spec.get("preferredHolder") and not strategy:
            detail = "may only be specified if `strategy` is defined"
            causes.append(forbidden("spec.preferredHolder", detail))
        for field in _TIMES:
            causes += micro_time_causes(spec.get(field), f"spec.{field}")
        return causes
