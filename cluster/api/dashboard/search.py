"""The search box of a kind's list: a name, or a label selector as ``kubectl get -l`` takes it.

A term with ``=``, ``!`` or ``(`` cannot be part of a name, so it is read as a label selector
(``app=web``, ``tier!=db``, ``env in (prod,staging)``, ``!canary``); anything else matches
names. The selector is parsed by the store's own parser and turned into ORM conditions on the
``labels`` JSON column, which run on PostgreSQL and SQLite.
"""

from __future__ import annotations

from django.db.models import Q
from django.db.models.fields.json import KeyTextTransform
from django.db.models.lookups import In

from cluster.registry.vocabulary import LabelRequirement, LabelSelector

_SELECTOR_MARKS = ("=", "!", "(")


def is_label_selector(term: str) -> bool:
    return any(mark in term for mark in _SELECTOR_MARKS)


def _requirement_query(requirement: LabelRequirement) -> Q:
    has_key = Q(labels__has_key=requirement.key)
    match requirement.operator:
        case "=" | "in":
            return Q(In(KeyTextTransform(requirement.key, "labels"), list(requirement.values)))
        case "!=" | "notin":
            # As in Kubernetes, an object without the label matches too.
            value_in = In(KeyTextTransform(requirement.key, "labels"), list(requirement.values))
            return ~has_key | ~Q(value_in)
        case "exists":
            return has_key
        case "!":
            return ~has_key


def label_query(selector: LabelSelector) -> Q:
    """The objects whose labels ``selector`` matches: every requirement holds."""
    query = Q()
    for requirement in selector.requirements:
        query &= _requirement_query(requirement)
    return query
