"""ReplicationControllers: kube's defaults, validation, status rules and the Scale view.

The pod template's own rules belong to ``podspec`` and are tested there; here only that they
are applied, under ``spec.template``. The last group goes through the real registry.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from cluster.registry.errors import Cause, Conflict, Invalid
from cluster.registry.kinds.replicationcontrollers import (
    ReplicationControllerStatusStrategy,
    ReplicationControllerStrategy,
    apply_scale,
    scale_of,
    selector_string,
)
from cluster.registry.registry import DeleteOptions, Registry
from cluster.registry.resources import Resource
from cluster.store.types import Key, Object

DB = pytest.mark.django_db(transaction=True)
STRATEGY = ReplicationControllerStrategy()
STATUS = ReplicationControllerStatusStrategy(STRATEGY)


def rc(labels: dict[str, str] | None = None, **spec: Any) -> Object:
    template: dict[str, Any] = {"spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}}
    if labels is not None:
        template["metadata"] = {"labels": labels}
    body: dict[str, Any] = {"template": template}
    body.update(spec)
    return {
        "apiVersion": "v1",
        "kind": "ReplicationController",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": body,
    }


def defaulted(obj: Object) -> Object:
    new = copy.deepcopy(obj)
    STRATEGY.default(new)
    STRATEGY.prepare_for_create(new)
    return new


def causes_of(obj: Object) -> list[Cause]:
    return STRATEGY.validate(defaulted(obj))


# -- defaults --


def test_selector_labels_and_replicas_default_from_the_template() -> None:
    got = defaulted(rc({"app": "web"}))
    assert (got["spec"]["selector"], got["metadata"]["labels"], got["spec"]["replicas"]) == (
        {"app": "web"},
        {"app": "web"},
        1,
    )


def test_a_given_selector_labels_and_replicas_are_kept() -> None:
    obj = rc({"app": "web", "tier": "front"}, selector={"app": "web"}, replicas=0)
    obj["metadata"]["labels"] = {"team": "a"}
    got = defaulted(obj)
    assert (got["spec"]["selector"], got["metadata"]["labels"], got["spec"]["replicas"]) == (
        {"app": "web"},
        {"team": "a"},
        0,
    )


def test_the_template_gets_pod_defaults() -> None:
    spec = defaulted(rc({"app": "web"}))["spec"]["template"]["spec"]
    assert (spec["restartPolicy"], spec["dnsPolicy"], spec["terminationGracePeriodSeconds"]) == (
        "Always",
        "ClusterFirst",
        30,
    )


def test_a_new_controller_starts_with_zero_replicas_observed() -> None:
    got = defaulted({**rc({"app": "web"}), "status": {"replicas": 5}})
    assert got["status"] == {"replicas": 0}


def test_a_valid_controller_has_no_causes() -> None:
    assert causes_of(rc({"app": "web"})) == []


def test_a_selector_is_required() -> None:
    assert causes_of(rc()) == [Cause("spec.selector", "Required value", "FieldValueRequired")]


def test_the_template_labels_must_satisfy_the_selector() -> None:
    assert causes_of(rc({"app": "web"}, selector={"app": "api"})) == [
        Cause(
            "spec.template.metadata.labels",
            'Invalid value: {"app":"web"}: `selector` does not match template `labels`',
        )
    ]


def test_replicas_and_min_ready_seconds_may_not_be_negative() -> None:
    assert causes_of(rc({"app": "web"}, replicas=-1, minReadySeconds=-5)) == [
        Cause("spec.minReadySeconds", "Invalid value: -5: must be greater than or equal to 0"),
        Cause("spec.replicas", "Invalid value: -1: must be greater than or equal to 0"),
    ]


def test_a_template_is_required() -> None:
    obj = rc(selector={"app": "web"})
    del obj["spec"]["template"]
    assert causes_of(obj) == [Cause("spec.template", "Required value", "FieldValueRequired")]


def test_the_template_must_restart_always() -> None:
    obj = rc({"app": "web"})
    obj["spec"]["template"]["spec"]["restartPolicy"] = "OnFailure"
    assert causes_of(obj) == [
        Cause(
            "spec.template.spec.restartPolicy",
            'Unsupported value: "OnFailure": supported values: "Always"',
            "FieldValueNotSupported",
        )
    ]


def test_the_template_may_not_set_an_active_deadline() -> None:
    obj = rc({"app": "web"})
    obj["spec"]["template"]["spec"]["activeDeadlineSeconds"] = 60
    assert causes_of(obj) == [
        Cause(
            "spec.template.spec.activeDeadlineSeconds",
            "Forbidden: activeDeadlineSeconds in ReplicationController is not Supported",
            "FieldValueForbidden",
        )
    ]


def test_the_pod_spec_is_validated_under_spec_template_spec() -> None:
    obj = rc({"app": "web"})
    obj["spec"]["template"]["spec"]["containers"] = []
    assert causes_of(obj) == [
        Cause("spec.template.spec.containers", "Required value", "FieldValueRequired")
    ]


def test_template_labels_are_validated_under_spec_template_labels_as_kube_does() -> None:
    causes = causes_of(rc({"app": "bad value"}))
    assert [c.field for c in causes] == ["spec.template.labels"]
    assert causes[0].message.startswith('Invalid value: "bad value": a valid label must be')


def test_a_mistyped_spec_is_a_cause_not_a_crash() -> None:
    assert causes_of(rc({"app": "web"}, replicas="3")) == [
        Cause("spec.replicas", 'Invalid value: "3": must be an integer', "FieldValueTypeInvalid")
    ]


# -- status --


def status_causes(status: dict[str, Any]) -> list[Cause]:
    old = defaulted(rc({"app": "web"}))
    new = {**copy.deepcopy(old), "status": status}
    STATUS.prepare_for_update(new, old)
    return STATUS.validate_update(new, old)


def test_status_counts_that_add_up_are_accepted() -> None:
    counts = {"replicas": 3, "fullyLabeledReplicas": 3, "readyReplicas": 2, "availableReplicas": 2}
    assert status_causes({**counts, "observedGeneration": 1}) == []


def test_status_counts_may_not_be_negative() -> None:
    assert status_causes({"replicas": 1, "observedGeneration": -1}) == [
        Cause("status.observedGeneration", "Invalid value: -1: must be greater than or equal to 0")
    ]


def test_no_status_count_may_exceed_the_replicas_nor_available_exceed_ready() -> None:
    counts = {"replicas": 1, "fullyLabeledReplicas": 2, "readyReplicas": 2, "availableReplicas": 3}
    assert status_causes(counts) == [
        Cause(
            "status.fullyLabeledReplicas",
            "Invalid value: 2: cannot be greater than status.replicas",
        ),
        Cause("status.readyReplicas", "Invalid value: 2: cannot be greater than status.replicas"),
        Cause(
            "status.availableReplicas",
            "Invalid value: 3: cannot be greater than status.replicas",
        ),
        Cause("status.availableReplicas", "Invalid value: 3: cannot be greater than readyReplicas"),
    ]


def test_a_status_write_keeps_the_spec() -> None:
    old = defaulted(rc({"app": "web"}))
    new = {**copy.deepcopy(old), "spec": {"replicas": 9}, "status": {"replicas": 1}}
    STATUS.prepare_for_update(new, old)
    assert (new["spec"], new["status"]) == (old["spec"], {"replicas": 1})


# -- scale --


def stored_rc(replicas: int = 3) -> Object:
    obj = defaulted(rc({"app": "web", "tier": "front"}, replicas=replicas))
    obj["metadata"].update(
        uid="u-1", resourceVersion="42", creationTimestamp="2025-01-01T00:00:00Z"
    )
    obj["status"] = {"replicas": 2}
    return obj


def test_a_controller_shows_as_an_autoscaling_v1_scale() -> None:
    assert scale_of(stored_rc()) == {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            "name": "web",
            "namespace": "default",
            "uid": "u-1",
            "resourceVersion": "42",
            "creationTimestamp": "2025-01-01T00:00:00Z",
        },
        "spec": {"replicas": 3},
        "status": {"replicas": 2, "selector": "app=web,tier=front"},
    }


def test_a_scale_of_zero_replicas_has_an_empty_spec_as_autoscaling_v1_serialises_it() -> None:
    assert scale_of(stored_rc(0))["spec"] == {}


def test_a_selector_string_is_sorted_by_key() -> None:
    assert selector_string({"b": "2", "a": "1"}) == "a=1,b=2"


def test_applying_a_scale_sets_replicas_and_makes_the_write_conditional_on_its_version() -> None:
    scale = scale_of(stored_rc())
    scale["spec"]["replicas"] = 5
    new = apply_scale(stored_rc(), scale)
    assert (new["spec"]["replicas"], new["metadata"]["resourceVersion"]) == (5, "42")
    without_version = {**scale, "metadata": {"name": "web"}}
    assert apply_scale(stored_rc(), without_version)["metadata"]["resourceVersion"] == "42"
    assert apply_scale(stored_rc(), {**scale, "spec": {}})["spec"]["replicas"] == 0


def test_a_negative_scale_is_refused_as_kube_words_it() -> None:
    scale = scale_of(stored_rc())
    scale["spec"]["replicas"] = -1
    with pytest.raises(Invalid) as caught:
        apply_scale(stored_rc(), scale)
    assert caught.value.message == (
        'Scale.autoscaling "web" is invalid: spec.replicas: Invalid value: -1: '
        "must be greater than or equal to 0"
    )
    assert caught.value.causes == [
        Cause("spec.replicas", "Invalid value: -1: must be greater than or equal to 0")
    ]


# -- through the registry --


@pytest.fixture
def rcs() -> Resource:
    strategy = ReplicationControllerStrategy()
    return Resource(
        group="",
        version="v1",
        kind="ReplicationController",
        plural="replicationcontrollers",
        singular="replicationcontroller",
        strategy=strategy,
        short_names=("rc",),
        categories=("all",),
        subresources={"status": ReplicationControllerStatusStrategy(strategy)},
    )


@pytest.fixture
def default_namespace(registry: Registry) -> None:
    registry.store.create(
        Key("Namespace", "", "default"),
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "default"}},
    )


@DB
def test_a_created_controller_is_stored_defaulted_at_generation_one(
    registry: Registry, default_namespace: None, rcs: Resource
) -> None:
    created = registry.create(rcs, "default", rc({"app": "web"})).object
    got = registry.get(rcs, "default", "web")
    assert got == created
    assert (got["spec"]["replicas"], got["status"], got["metadata"]["generation"]) == (
        1,
        {"replicas": 0},
        1,
    )


@DB
def test_a_mismatched_selector_is_refused_with_a_422_naming_the_labels(
    registry: Registry, default_namespace: None, rcs: Resource
) -> None:
    with pytest.raises(Invalid) as caught:
        registry.create(rcs, "default", rc({"app": "web"}, selector={"app": "api"}))
    assert caught.value.message == (
        'ReplicationController "web" is invalid: spec.template.metadata.labels: Invalid value: '
        '{"app":"web"}: `selector` does not match template `labels`'
    )
    assert registry.store.list("ReplicationController", "default").items == []


@DB
def test_the_generation_moves_with_the_spec_and_not_with_labels_or_status(
    registry: Registry, default_namespace: None, rcs: Resource
) -> None:
    registry.create(rcs, "default", rc({"app": "web"}))

    def relabel(obj: Object) -> Object:
        obj["metadata"]["labels"]["team"] = "a"
        return obj

    def rescale(obj: Object) -> Object:
        obj["spec"]["replicas"] = 4
        return obj

    def observe(obj: Object) -> Object:
        obj["status"] = {"replicas": 4, "observedGeneration": 2}
        return obj

    assert registry.update(rcs, "default", "web", relabel).object["metadata"]["generation"] == 1
    assert registry.update(rcs, "default", "web", rescale).object["metadata"]["generation"] == 2
    observed = registry.update(rcs, "default", "web", observe, subresource="status").object
    assert (observed["metadata"]["generation"], observed["status"]["replicas"]) == (2, 4)


@DB
def test_the_main_resource_cannot_write_status(
    registry: Registry, default_namespace: None, rcs: Resource
) -> None:
    registry.create(rcs, "default", rc({"app": "web"}))

    def claim(obj: Object) -> Object:
        obj["status"] = {"replicas": 7}
        return obj

    assert registry.update(rcs, "default", "web", claim).object["status"] == {"replicas": 0}


@DB
def test_scaling_through_the_registry_sets_replicas_and_a_stale_scale_conflicts(
    registry: Registry, default_namespace: None, rcs: Resource
) -> None:
    registry.create(rcs, "default", rc({"app": "web"}))
    scale = scale_of(registry.get(rcs, "default", "web"))
    scale["spec"]["replicas"] = 3
    scaled = registry.update(rcs, "default", "web", lambda current: apply_scale(current, scale))
    assert (scaled.object["spec"]["replicas"], scaled.object["metadata"]["generation"]) == (3, 2)
    with pytest.raises(Conflict):  # the scale still names the version before the last write
        registry.update(rcs, "default", "web", lambda current: apply_scale(current, scale))
    assert registry.get(rcs, "default", "web")["spec"]["replicas"] == 3


@DB
def test_a_delete_without_a_policy_leaves_the_controller_for_the_orphaning_collector(
    registry: Registry, default_namespace: None, rcs: Resource
) -> None:
    registry.create(rcs, "default", rc({"app": "web"}))
    result = registry.delete(rcs, "default", "web", DeleteOptions())
    assert result.deleted is False
    meta = registry.get(rcs, "default", "web")["metadata"]
    assert (meta["finalizers"], "deletionTimestamp" in meta) == (["orphan"], True)
