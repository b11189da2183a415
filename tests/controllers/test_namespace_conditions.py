"""The deletion conditions a terminating namespace carries, as kube's deleter words them.

Pure logic, no store: a tally of what one deletion pass left behind in, five conditions out.
"""

from __future__ import annotations

from collections import Counter

from cluster.controllers.namespaceconditions import Tally, updated_conditions

THEN, NOW = "2025-01-01T12:00:00Z", "2025-01-01T12:00:05Z"


def by_type(conditions: list[dict[str, str]]) -> dict[str, tuple[str, str, str]]:
    return {c["type"]: (c["status"], c["reason"], c["message"]) for c in conditions}


def test_an_empty_tally_gives_five_conditions_that_all_hold_false() -> None:
    assert by_type(updated_conditions([], Tally(), now=NOW)) == {
        "NamespaceDeletionDiscoveryFailure": (
            "False",
            "ResourcesDiscovered",
            "All resources successfully discovered",
        ),
        "NamespaceDeletionGroupVersionParsingFailure": (
            "False",
            "ParsedGroupVersions",
            "All legacy kube types successfully parsed",
        ),
        "NamespaceDeletionContentFailure": (
            "False",
            "ContentDeleted",
            "All content successfully deleted, may be waiting on finalization",
        ),
        "NamespaceContentRemaining": (
            "False",
            "ContentRemoved",
            "All content successfully removed",
        ),
        "NamespaceFinalizersRemaining": (
            "False",
            "ContentHasNoFinalizers",
            "All content-preserving finalizers finished",
        ),
    }


def test_remaining_content_and_finalizers_are_listed_sorted() -> None:
    tally = Tally(
        remaining=Counter({"services.": 1, "pods.": 2, "leases.coordination.k8s.io": 0}),
        finalizers=Counter({"example.com/b": 1, "example.com/a": 2}),
    )

    found = by_type(updated_conditions([], tally, now=NOW))

    assert found["NamespaceContentRemaining"] == (
        "True",
        "SomeResourcesRemain",
        "Some resources are remaining: pods. has 2 resource instances, services. has 1 "
        "resource instances",
    )
    assert found["NamespaceFinalizersRemaining"] == (
        "True",
        "SomeFinalizersRemain",
        "Some content in the namespace has finalizers remaining: example.com/a in 2 resource "
        "instances, example.com/b in 1 resource instances",
    )


def test_failed_deletions_are_counted_and_quoted() -> None:
    tally = Tally(failures=['pods "b" is forbidden', 'pods "a" is forbidden'])

    found = by_type(updated_conditions([], tally, now=NOW))

    assert found["NamespaceDeletionContentFailure"] == (
        "True",
        "ContentDeletionFailed",
        'Failed to delete all resource types, 2 remaining: pods "a" is forbidden, pods "b" is '
        "forbidden",
    )
    assert Tally(failures=["x"]).empty is False


def test_a_tally_is_empty_when_nothing_remains_and_nothing_failed() -> None:
    assert Tally(remaining=Counter({"pods.": 0})).empty is True
    assert Tally(remaining=Counter({"pods.": 1})).empty is False


def test_a_condition_moves_its_transition_time_only_when_it_changes() -> None:
    first = updated_conditions([], Tally(remaining=Counter({"pods.": 1})), now=THEN)

    second = updated_conditions(first, Tally(), now=NOW)

    times = {c["type"]: c["lastTransitionTime"] for c in second}
    assert times["NamespaceContentRemaining"] == NOW
    assert times["NamespaceDeletionDiscoveryFailure"] == THEN


def test_conditions_of_other_types_are_kept() -> None:
    other = {"type": "example.com/Audited", "status": "True"}

    assert updated_conditions([other], Tally(), now=NOW)[0] == other
