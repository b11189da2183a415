"""Create, get, guaranteed_update and delete: the single-object verbs and their revisions.

Each test checks what the call returned and then what the store holds afterwards, because a
verb that answers correctly but stores something else is the worse bug.
"""

from __future__ import annotations

import copy
import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from cluster.store.errors import (
    AlreadyExists,
    BadRequest,
    Conflict,
    NotFound,
    StoreError,
    TooLargeResourceVersion,
)
from cluster.store.protocol import Store
from cluster.store.types import Key, Object, Preconditions
from tests.conftest import STORE_DB
from tests.store.support import config_map, node, pod, pod_key, rv, set_image, set_labels

pytestmark = STORE_DB

RFC3339_SECONDS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


def test_create_assigns_uid_creation_timestamp_and_the_next_revision(store: Store) -> None:
    before = store.current_revision()

    created = store.create(pod_key("web"), pod("web"))

    meta = created["metadata"]
    assert uuid.UUID(meta["uid"])
    assert RFC3339_SECONDS.match(meta["creationTimestamp"])
    stamp = datetime.strptime(meta["creationTimestamp"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert abs(datetime.now(UTC) - stamp) < timedelta(minutes=1)
    assert meta["resourceVersion"] == str(before + 1)
    assert store.current_revision() == before + 1
    assert created["spec"] == pod("web")["spec"]
    assert store.get(pod_key("web")) == created


def test_current_revision_of_an_empty_store_is_zero(store: Store) -> None:
    assert store.current_revision() == 0
    assert store.compacted_revision() == 0

    store.create(pod_key("web"), pod("web"))

    assert store.current_revision() == 1


def test_create_of_a_taken_key_raises_already_exists_and_keeps_the_original(
    store: Store,
) -> None:
    original = store.create(pod_key("web"), pod("web", image="one"))

    with pytest.raises(AlreadyExists):
        store.create(pod_key("web"), pod("web", image="two"))

    assert store.get(pod_key("web")) == original
    assert store.current_revision() == rv(original)


def test_the_same_name_may_exist_in_another_namespace_or_kind(store: Store) -> None:
    store.create(pod_key("web", "a"), pod("web", "a"))

    in_b = store.create(pod_key("web", "b"), pod("web", "b"))
    config = store.create(Key("ConfigMap", "a", "web"), config_map("web", "a"))

    assert store.get(pod_key("web", "b")) == in_b
    assert store.get(Key("ConfigMap", "a", "web")) == config
    assert in_b["metadata"]["uid"] != config["metadata"]["uid"]


def test_create_does_not_mutate_the_callers_object(store: Store) -> None:
    submitted = pod("web", labels={"app": "web"})
    pristine = copy.deepcopy(submitted)

    created = store.create(pod_key("web"), submitted)

    assert submitted == pristine
    assert "resourceVersion" in created["metadata"]


def test_a_recreated_object_gets_a_new_uid(store: Store) -> None:
    first = store.create(pod_key("web"), pod("web"))
    store.delete(pod_key("web"))

    second = store.create(pod_key("web"), pod("web"))

    assert second["metadata"]["uid"] != first["metadata"]["uid"]
    assert rv(second) == rv(first) + 2


def test_get_of_a_missing_key_raises_not_found(store: Store) -> None:
    store.create(pod_key("web", "a"), pod("web", "a"))

    for missing in (pod_key("web", "b"), pod_key("api", "a"), Key("ConfigMap", "a", "web")):
        with pytest.raises(NotFound):
            store.get(missing)


@pytest.mark.parametrize("resource_version", ["", "0"])
def test_get_with_no_or_zero_resource_version_returns_the_object(
    store: Store, resource_version: str
) -> None:
    store.create(pod_key("web"), pod("web", image="one"))
    updated = store.guaranteed_update(pod_key("web"), set_image("two"))

    got = store.get(pod_key("web"), resource_version=resource_version)

    assert got == updated


def test_get_not_older_than_an_old_revision_returns_the_latest_object(store: Store) -> None:
    created = store.create(pod_key("web"), pod("web", image="one"))
    updated = store.guaranteed_update(pod_key("web"), set_image("two"))

    assert store.get(pod_key("web"), resource_version=str(rv(created))) == updated
    assert store.get(pod_key("web"), resource_version=str(rv(updated))) == updated


def test_get_newer_than_the_store_raises_too_large_resource_version(store: Store) -> None:
    store.create(pod_key("web"), pod("web"))

    with pytest.raises(TooLargeResourceVersion) as excinfo:
        store.get(pod_key("web"), resource_version=str(store.current_revision() + 1000))

    assert excinfo.value.code == 504


@pytest.mark.parametrize("resource_version", ["abc", "1.5", "-1", "0x10", "+5", "1_000", " 5"])
def test_get_with_a_resource_version_that_is_not_a_revision_is_a_bad_request(
    store: Store, resource_version: str
) -> None:
    store.create(pod_key("web"), pod("web"))

    with pytest.raises(BadRequest):
        store.get(pod_key("web"), resource_version=resource_version)


def test_guaranteed_update_stores_the_result_at_the_next_revision(store: Store) -> None:
    created = store.create(pod_key("web"), pod("web", image="one"))
    seen: list[Object] = []

    def update(obj: Object) -> Object:
        seen.append(copy.deepcopy(obj))
        obj["spec"]["containers"][0]["image"] = "two"
        return obj

    updated = store.guaranteed_update(pod_key("web"), update)

    assert seen == [created]
    assert rv(updated) == rv(created) + 1
    assert updated["spec"]["containers"][0]["image"] == "two"
    assert updated["metadata"]["uid"] == created["metadata"]["uid"]
    assert store.get(pod_key("web")) == updated
    assert store.current_revision() == rv(updated)


def test_guaranteed_update_retries_on_the_newer_copy_when_a_write_lands_in_between(
    store: Store,
) -> None:
    created = store.create(Key("ConfigMap", "default", "counter"), config_map("counter", n="0"))
    key = Key("ConfigMap", "default", "counter")
    calls: list[Object] = []

    def increment(obj: Object) -> Object:
        calls.append(copy.deepcopy(obj))
        if len(calls) == 1:
            # Another writer increments first: this attempt read a version that is now stale.
            store.guaranteed_update(key, lambda o: {**o, "data": {"n": "1"}})
        obj["data"]["n"] = str(int(obj["data"]["n"]) + 1)
        return obj

    updated = store.guaranteed_update(key, increment)

    assert len(calls) == 2
    assert rv(calls[0]) == rv(created)
    assert rv(calls[1]) == rv(created) + 1
    assert calls[1]["data"] == {"n": "1"}
    assert updated["data"] == {"n": "2"}
    assert rv(updated) == rv(created) + 2
    assert store.get(key) == updated


def test_guaranteed_update_from_a_current_cached_copy_starts_from_it(store: Store) -> None:
    created = store.create(pod_key("web"), pod("web", image="one"))
    seen: list[Object] = []

    def update(obj: Object) -> Object:
        seen.append(copy.deepcopy(obj))
        obj["spec"]["containers"][0]["image"] = "two"
        return obj

    updated = store.guaranteed_update(pod_key("web"), update, cached=created)

    assert seen == [created]
    assert rv(updated) == rv(created) + 1
    assert store.get(pod_key("web")) == updated
    watch = store.watch("Pod", from_revision=rv(created))
    try:
        event = watch.next_event(timeout=5)
    finally:
        watch.stop()
    assert event is not None
    assert event["object"] == updated


def test_guaranteed_update_from_a_stale_cached_copy_retries_on_the_stored_one(
    store: Store,
) -> None:
    stale = store.create(pod_key("web"), pod("web", image="one"))
    newer = store.guaranteed_update(pod_key("web"), set_image("two"))
    seen: list[Object] = []

    def relabel(obj: Object) -> Object:
        seen.append(copy.deepcopy(obj))
        obj["metadata"]["labels"] = {"tier": "web"}
        return obj

    updated = store.guaranteed_update(pod_key("web"), relabel, cached=stale)

    assert [rv(o) for o in seen] == [rv(stale), rv(newer)]
    assert updated["spec"]["containers"][0]["image"] == "two"
    assert updated["metadata"]["labels"] == {"tier": "web"}
    assert store.get(pod_key("web")) == updated


def test_guaranteed_update_from_a_cached_copy_of_a_deleted_object_raises_not_found(
    store: Store,
) -> None:
    gone = store.create(pod_key("web"), pod("web"))
    store.delete(pod_key("web"))
    with pytest.raises(NotFound):
        store.guaranteed_update(pod_key("web"), set_image("two"), cached=gone)
    assert store.current_revision() == rv(gone) + 1


def test_guaranteed_update_with_a_stale_resource_version_raises_conflict(store: Store) -> None:
    created = store.create(pod_key("web"), pod("web", image="one"))
    current = store.guaranteed_update(pod_key("web"), set_image("two"))

    with pytest.raises(Conflict) as excinfo:
        store.guaranteed_update(
            pod_key("web"),
            set_image("three"),
            preconditions=Preconditions(resource_version=str(rv(created))),
        )

    assert excinfo.value.code == 409
    assert store.get(pod_key("web")) == current
    assert store.current_revision() == rv(current)


def test_guaranteed_update_with_the_current_resource_version_succeeds(store: Store) -> None:
    created = store.create(pod_key("web"), pod("web", image="one"))

    updated = store.guaranteed_update(
        pod_key("web"),
        set_image("two"),
        preconditions=Preconditions(resource_version=str(rv(created))),
    )

    assert rv(updated) == rv(created) + 1
    assert store.get(pod_key("web"))["spec"]["containers"][0]["image"] == "two"


def test_guaranteed_update_with_another_uid_raises_conflict(store: Store) -> None:
    created = store.create(pod_key("web"), pod("web", image="one"))

    with pytest.raises(Conflict):
        store.guaranteed_update(
            pod_key("web"), set_image("two"), preconditions=Preconditions(uid=str(uuid.uuid4()))
        )

    assert store.get(pod_key("web")) == created
    updated = store.guaranteed_update(
        pod_key("web"),
        set_image("two"),
        preconditions=Preconditions(uid=created["metadata"]["uid"]),
    )
    assert store.get(pod_key("web")) == updated
    assert rv(updated) == rv(created) + 1


def test_guaranteed_update_that_changes_nothing_writes_no_revision(store: Store) -> None:
    created = store.create(pod_key("web"), pod("web", labels={"app": "web"}))
    watch = store.watch("Pod", from_revision=store.current_revision())
    try:
        unchanged = store.guaranteed_update(pod_key("web"), lambda obj: obj)
        relabelled = store.guaranteed_update(pod_key("web"), set_labels({"app": "web"}))

        assert unchanged == created
        assert relabelled == created
        assert store.current_revision() == rv(created)
        changed = store.guaranteed_update(pod_key("web"), set_labels({"app": "api"}))
        first = watch.next_event(timeout=3.0)
        assert first is not None
        assert first["type"] == "MODIFIED"
        assert rv(first["object"]) == rv(changed) == rv(created) + 1
    finally:
        watch.stop()


def test_guaranteed_update_keeps_uid_creation_timestamp_name_and_namespace(
    store: Store,
) -> None:
    created = store.create(pod_key("web"), pod("web", image="one"))

    def rewrite_identity(obj: Object) -> Object:
        obj["metadata"].update(
            uid=str(uuid.uuid4()),
            creationTimestamp="2000-01-01T00:00:00Z",
            name="impostor",
            namespace="elsewhere",
        )
        obj["spec"]["containers"][0]["image"] = "two"
        return obj

    try:
        returned: Object | None = store.guaranteed_update(pod_key("web"), rewrite_identity)
    except StoreError:
        returned = None  # refusing the update outright also keeps the identity

    stored = store.get(pod_key("web"))
    for obj in (stored, returned) if returned is not None else (stored,):
        assert obj["metadata"]["uid"] == created["metadata"]["uid"]
        assert obj["metadata"]["creationTimestamp"] == created["metadata"]["creationTimestamp"]
        assert obj["metadata"]["name"] == "web"
        assert obj["metadata"]["namespace"] == "default"
    for moved in (Key("Pod", "default", "impostor"), Key("Pod", "elsewhere", "impostor")):
        with pytest.raises(NotFound):
            store.get(moved)


def test_guaranteed_update_of_a_missing_key_raises_not_found_without_calling_back(
    store: Store,
) -> None:
    calls: list[Object] = []

    def update(obj: Object) -> Object:
        calls.append(obj)
        return obj

    with pytest.raises(NotFound):
        store.guaranteed_update(pod_key("ghost"), update)

    assert calls == []
    assert store.current_revision() == 0
    with pytest.raises(NotFound):
        store.get(pod_key("ghost"))


def test_an_exception_from_try_update_propagates_and_writes_nothing(store: Store) -> None:
    created = store.create(pod_key("web"), pod("web"))

    class Refused(Exception):
        pass

    def refuse(obj: Object) -> Object:
        obj["spec"]["containers"][0]["image"] = "half-written"
        raise Refused

    with pytest.raises(Refused):
        store.guaranteed_update(pod_key("web"), refuse)

    assert store.get(pod_key("web")) == created
    assert store.current_revision() == rv(created)


def test_delete_removes_the_object_and_returns_it_at_the_deletion_revision(
    store: Store,
) -> None:
    created = store.create(pod_key("web"), pod("web", labels={"app": "web"}))
    store.create(pod_key("api"), pod("api"))

    deleted = store.delete(pod_key("web"))

    assert rv(deleted) == rv(created) + 2 == store.current_revision()
    assert deleted["metadata"]["uid"] == created["metadata"]["uid"]
    assert deleted["metadata"]["labels"] == {"app": "web"}
    assert deleted["spec"] == created["spec"]
    with pytest.raises(NotFound):
        store.get(pod_key("web"))
    assert [i["metadata"]["name"] for i in store.list("Pod", "default").items] == ["api"]


def test_delete_of_a_missing_key_raises_not_found_and_writes_nothing(store: Store) -> None:
    store.create(pod_key("web"), pod("web"))

    with pytest.raises(NotFound):
        store.delete(pod_key("ghost"))

    assert store.current_revision() == 1


def test_delete_with_a_stale_resource_version_raises_conflict_and_keeps_the_object(
    store: Store,
) -> None:
    created = store.create(pod_key("web"), pod("web", image="one"))
    current = store.guaranteed_update(pod_key("web"), set_image("two"))

    with pytest.raises(Conflict):
        store.delete(pod_key("web"), preconditions=Preconditions(resource_version=str(rv(created))))

    assert store.get(pod_key("web")) == current
    assert store.current_revision() == rv(current)


def test_delete_with_the_current_resource_version_deletes(store: Store) -> None:
    created = store.create(pod_key("web"), pod("web"))

    deleted = store.delete(
        pod_key("web"), preconditions=Preconditions(resource_version=str(rv(created)))
    )

    assert rv(deleted) == rv(created) + 1
    with pytest.raises(NotFound):
        store.get(pod_key("web"))


def test_delete_with_the_uid_of_an_earlier_incarnation_raises_conflict(store: Store) -> None:
    first = store.create(pod_key("web"), pod("web"))
    store.delete(pod_key("web"))
    second = store.create(pod_key("web"), pod("web"))

    with pytest.raises(Conflict):
        store.delete(pod_key("web"), preconditions=Preconditions(uid=first["metadata"]["uid"]))

    assert store.get(pod_key("web")) == second
    deleted = store.delete(
        pod_key("web"), preconditions=Preconditions(uid=second["metadata"]["uid"])
    )
    assert deleted["metadata"]["uid"] == second["metadata"]["uid"]
    with pytest.raises(NotFound):
        store.get(pod_key("web"))


def test_every_write_of_any_kind_advances_the_one_revision_by_exactly_one(
    store: Store,
) -> None:
    start = store.current_revision()

    revisions = [
        rv(store.create(pod_key("web"), pod("web"))),
        rv(store.create(Key("ConfigMap", "default", "cfg"), config_map("cfg", a="1"))),
        rv(store.create(Key("Node", "", "n1"), node("n1"))),
        rv(store.guaranteed_update(pod_key("web"), set_image("two"))),
        rv(
            store.guaranteed_update(Key("Node", "", "n1"), lambda o: node("n1", unschedulable=True))
        ),
        rv(store.delete(Key("ConfigMap", "default", "cfg"))),
        rv(store.create(pod_key("api", "other"), pod("api", "other"))),
    ]

    assert revisions == list(range(start + 1, start + 8))
    assert store.current_revision() == revisions[-1]
    assert rv(store.get(Key("Node", "", "n1"))) == revisions[4]


def test_failed_writes_do_not_advance_the_revision(store: Store) -> None:
    created = store.create(pod_key("web"), pod("web"))
    stale = Preconditions(resource_version=str(rv(created) - 1))

    with pytest.raises(AlreadyExists):
        store.create(pod_key("web"), pod("web"))
    with pytest.raises(Conflict):
        store.guaranteed_update(pod_key("web"), set_image("x"), preconditions=stale)
    with pytest.raises(Conflict):
        store.delete(pod_key("web"), preconditions=stale)
    with pytest.raises(NotFound):
        store.delete(pod_key("ghost"))

    assert store.current_revision() == rv(created)
    assert rv(store.create(pod_key("next"), pod("next"))) == rv(created) + 1
