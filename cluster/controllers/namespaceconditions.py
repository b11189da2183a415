"""What a terminating namespace's status says about its deletion: kube's deletion conditions.

While the namespace controller empties a namespace it keeps five conditions on it, as kube's
namespaced-resources deleter does, so ``kubectl describe namespace`` tells why a namespace is
stuck in Terminating: content that could not be deleted, content still there (pods waiting for
their nodes), content held by finalizers. Each pass tallies what it saw (``Tally``) and the
conditions follow from the tally; the two discovery conditions always hold, since the
resources Pilothouse serves are a fixed table.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

DISCOVERY_FAILURE = "NamespaceDeletionDiscoveryFailure"
GROUP_VERSION_PARSING_FAILURE = "NamespaceDeletionGroupVersionParsingFailure"
CONTENT_FAILURE = "NamespaceDeletionContentFailure"
CONTENT_REMAINING = "NamespaceContentRemaining"
FINALIZERS_REMAINING = "NamespaceFinalizersRemaining"

# (reason, message) of each condition when all is well: status False.
_FINE = {
    DISCOVERY_FAILURE: ("ResourcesDiscovered", "All resources successfully discovered"),
    GROUP_VERSION_PARSING_FAILURE: (
        "ParsedGroupVersions",
        "All legacy kube types successfully parsed",
    ),
    CONTENT_FAILURE: (
        "ContentDeleted",
        "All content successfully deleted, may be waiting on finalization",
    ),
    CONTENT_REMAINING: ("ContentRemoved", "All content successfully removed"),
    FINALIZERS_REMAINING: ("ContentHasNoFinalizers", "All content-preserving finalizers finished"),
}


@dataclass
class Tally:
    """What one deletion pass left behind."""

    remaining: Counter[str] = field(default_factory=Counter)
    """Objects still present, by kube's ``resource.group`` name ("pods." for core)."""
    finalizers: Counter[str] = field(default_factory=Counter)
    """Objects still held, by finalizer."""
    failures: list[str] = field(default_factory=list)
    """Deletions that failed, as error messages."""

    @property
    def empty(self) -> bool:
        return not self.failures and not +self.remaining


def _trouble(tally: Tally) -> dict[str, tuple[str, str]]:
    """(reason, message) of each condition that is True after this pass."""
    found: dict[str, tuple[str, str]] = {}
    if tally.failures:
        message = (
            f"Failed to delete all resource types, {len(tally.failures)} remaining: "
            + ", ".join(sorted(tally.failures))
        )
        found[CONTENT_FAILURE] = ("ContentDeletionFailed", message)
    remaining = sorted(
        f"{name} has {count} resource instances" for name, count in tally.remaining.items() if count
    )
    if remaining:
        message = "Some resources are remaining: " + ", ".join(remaining)
        found[CONTENT_REMAINING] = ("SomeResourcesRemain", message)
    held = sorted(
        f"{name} in {count} resource instances" for name, count in tally.finalizers.items() if count
    )
    if held:
        message = "Some content in the namespace has finalizers remaining: " + ", ".join(held)
        found[FINALIZERS_REMAINING] = ("SomeFinalizersRemain", message)
    return found


def updated_conditions(
    conditions: list[dict[str, Any]], tally: Tally, *, now: str
) -> list[dict[str, Any]]:
    """The five deletion conditions as ``tally`` sets them, other conditions kept.

    A condition's ``lastTransitionTime`` moves only when its status, reason or message does.
    """
    trouble = _trouble(tally)
    result = [dict(c) for c in conditions]
    for type_, fine in _FINE.items():
        status = "True" if type_ in trouble else "False"
        reason, message = trouble.get(type_, fine)
        current = next((c for c in result if c.get("type") == type_), None)
        if current is None:
            current = {"type": type_}
            result.append(current)
        elif (current.get("status"), current.get("reason"), current.get("message")) == (
            status,
            reason,
            message,
        ):
            continue
        current.update(status=status, reason=reason, message=message, lastTransitionTime=now)
    return result
