"""list: scope, order, selectors evaluated by the store, pagination and resourceVersion.

The pagination tests change the data between pages on purpose: kube-apiserver promises that
all pages of one list come from the revision of the first page, and clients (informers,
``kubectl get --chunk-size``) rely on it.
"""

from __future__ import annotations

import pytest

from cluster.store.errors import BadRequest, TooLargeResourceVersion
from cluster.store.fields import FieldIndex
from cluster.store.protocol import Store
from cluster.store.selectors import (
    FieldSelector,
    LabelSelector,
    parse_field_selector,
    parse_label_selector,
)
from cluster.store.sql import SqlStore
from cluster.store.types import Key, ListResult, Object, ResourceVersionMatch
from tests.conftest import STORE_DB
from tests.store.support import (
    bind_to,
    config_map,
    keys,
    names,
    node,
    pod,
    pod_key,
    rv,
    set_image,
    set_labels,
)

pytestmark = STORE_DB

MAX_PAGES = 50


def all_pages(
    store: Store,
    kind: str,
    namespace: str | None = None,
    *,
    limit: int,
    label_selector: LabelSelector | None = None,
    field_selector: FieldSelector | None = None,
    resource_version: str = "",
    resource_version_match: ResourceVersionMatch = "",
) -> list[ListResult]:
    """Every page of one paginated list, following continue tokens (bounded)."""
    pages = [
        store.list(
            kind,
            namespace,
            limit=limit,
            label_selector=label_selector,
            field_selector=field_selector,
            resource_version=resource_version,
            resource_version_match=resource_version_match,
        )
    ]
    while pages[-1].continue_token:
        assert len(pages) < MAX_PAGES, "continue tokens never ran out"
        pages.append(
            store.list(
                kind,
                namespace,
                limit=limit,
                label_selector=label_selector,
                field_selector=field_selector,
                continue_token=pages[-1].continue_token,
            )
        )
    return pages


def test_list_in_a_namespace_returns_only_that_namespaces_objects_of_the_kind(
    store: Store,
) -> None:
    store.create(pod_key("web", "a"), pod("web", "a"))
    store.create(pod_key("api", "a"), pod("api", "a"))
    store.create(pod_key("web", "b"), pod("web", "b"))
    store.create(Key("ConfigMap", "a", "cfg"), config_map("cfg", "a"))

    result = store.list("Pod", "a")

    assert keys(result.items) == [("a", "api"), ("a", "web")]
    assert result.continue_token == ""
    assert store.list("Pod", "c").items == []


def test_list_across_namespaces_orders_by_namespace_then_name(store: Store) -> None:
    for namespace, name in [("b", "x"), ("a", "z"), ("a", "y"), ("b", "a"), ("a-b", "m")]:
        store.create(pod_key(name, namespace), pod(name, namespace))

    result = store.list("Pod")

    assert keys(result.items) == [("a", "y"), ("a", "z"), ("a-b", "m"), ("b", "a"), ("b", "x")]


def test_list_returns_items_as_stored_with_their_own_resource_versions(store: Store) -> None:
    web = store.create(pod_key("web"), pod("web"))
    api = store.create(pod_key("api"), pod("api"))
    web = store.guaranteed_update(pod_key("web"), set_image("two"))

    result = store.list("Pod", "default")

    assert result.items == [api, web]
    assert [rv(item) for item in result.items] == [2, 3]


def test_list_of_a_cluster_scoped_kind_returns_every_object(store: Store) -> None:
    for name in ("n2", "n1", "n3"):
        store.create(Key("Node", "", name), node(name))

    result = store.list("Node")

    assert names(result.items) == ["n1", "n2", "n3"]


def test_list_revision_is_the_stores_current_revision_even_for_other_kinds_writes(
    store: Store,
) -> None:
    store.create(pod_key("web"), pod("web"))
    store.create(Key("ConfigMap", "default", "cfg"), config_map("cfg"))
    store.create(Key("Node", "", "n1"), node("n1"))

    pods = store.list("Pod")
    services = store.list("Service")

    assert pods.revision == store.current_revision() == 3
    assert pods.resource_version == "3"
    assert services.items == []
    assert services.revision == 3


LABELLED = {
    "web-front": {"app": "web", "tier": "front"},
    "db-back": {"app": "db", "tier": "back"},
    "web-only": {"app": "web"},
    "no-labels": {},
    "empty-tier": {"app": "cache", "tier": ""},
}


@pytest.fixture
def labelled(store: Store) -> Store:
    for name, labels in LABELLED.items():
        store.create(pod_key(name), pod(name, labels=labels))
    store.create(Key("ConfigMap", "default", "web-front"), config_map("web-front"))
    return store


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("app=web", ["web-front", "web-only"]),
        ("app==web", ["web-front", "web-only"]),
        ("app!=web", ["db-back", "empty-tier", "no-labels"]),
        ("app in (web,db)", ["db-back", "web-front", "web-only"]),
        ("app notin (web,db)", ["empty-tier", "no-labels"]),
        ("tier", ["db-back", "empty-tier", "web-front"]),
        ("!tier", ["no-labels", "web-only"]),
        ("tier=", ["empty-tier"]),
        ("tier!=", ["db-back", "no-labels", "web-front", "web-only"]),
        ("tier notin (front)", ["db-back", "empty-tier", "no-labels", "web-only"]),
        ("app=web,tier", ["web-front"]),
        ("app=web,!tier", ["web-only"]),
        ("app in (web),tier notin (back)", ["web-front", "web-only"]),
        ("app in (nothing)", []),
        ("", ["db-back", "empty-tier", "no-labels", "web-front", "web-only"]),
    ],
)
def test_label_selector_is_evaluated_by_the_store_as_kubernetes_does(
    labelled: Store, selector: str, expected: list[str]
) -> None:
    result = labelled.list("Pod", "default", label_selector=parse_label_selector(selector))

    assert names(result.items) == expected


def test_label_selectors_handle_prefixed_keys_and_values_that_look_like_numbers(
    store: Store,
) -> None:
    store.create(pod_key("one"), pod("one", labels={"app.kubernetes.io/name": "web", "v": "1"}))
    store.create(
        pod_key("zero-one"), pod("zero-one", labels={"app.kubernetes.io": "web", "v": "01"})
    )
    store.create(pod_key("dotted"), pod("dotted", labels={"app.kubernetes.io/name.x": "web"}))

    def matching(selector: str) -> list[str]:
        return names(store.list("Pod", label_selector=parse_label_selector(selector)).items)

    assert matching("app.kubernetes.io/name=web") == ["one"]
    assert matching("app.kubernetes.io/name") == ["one"]
    assert matching("!app.kubernetes.io/name") == ["dotted", "zero-one"]
    assert matching("app.kubernetes.io=web") == ["zero-one"]
    assert matching("app.kubernetes.io/name.x in (web)") == ["dotted"]
    assert matching("v=1") == ["one"]
    assert matching("v in (1,2)") == ["one"]
    assert matching("v notin (1)") == ["dotted", "zero-one"]


@pytest.fixture
def scheduled(store: Store) -> Store:
    store.create(pod_key("pending"), pod("pending"))
    store.create(pod_key("starting"), pod("starting", node="n1", phase="Pending"))
    store.create(pod_key("running"), pod("running", node="n1", phase="Running"))
    store.create(pod_key("moved", "other"), pod("moved", "other", node="n2", phase="Running"))
    store.create(pod_key("done"), pod("done", node="n2", phase="Succeeded"))
    return store


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("metadata.name=running", ["default/running"]),
        (
            "metadata.name!=running",
            ["default/done", "default/pending", "default/starting", "other/moved"],
        ),
        ("metadata.namespace=other", ["other/moved"]),
        (
            "metadata.namespace!=other",
            ["default/done", "default/pending", "default/running", "default/starting"],
        ),
        ("spec.nodeName=n1", ["default/running", "default/starting"]),
        ("spec.nodeName==n2", ["default/done", "other/moved"]),
        ("spec.nodeName=", ["default/pending"]),
        (
            "spec.nodeName!=",
            ["default/done", "default/running", "default/starting", "other/moved"],
        ),
        ("status.phase=Running", ["default/running", "other/moved"]),
        ("status.phase!=Running", ["default/done", "default/pending", "default/starting"]),
        ("spec.nodeName=n1,status.phase=Running", ["default/running"]),
        ("spec.nodeName=n3", []),
    ],
)
def test_field_selector_is_evaluated_by_the_store(
    scheduled: Store, selector: str, expected: list[str]
) -> None:
    result = scheduled.list("Pod", field_selector=parse_field_selector(selector))

    assert [f"{namespace}/{name}" for namespace, name in keys(result.items)] == expected


def test_field_selector_on_a_boolean_field_matches_its_text_form(store: Store) -> None:
    store.create(Key("Node", "", "n1"), node("n1"))
    store.create(Key("Node", "", "n2"), node("n2", unschedulable=True))

    cordoned = store.list("Node", field_selector=parse_field_selector("spec.unschedulable=true"))
    schedulable = store.list(
        "Node", field_selector=parse_field_selector("spec.unschedulable!=true")
    )

    assert names(cordoned.items) == ["n2"]
    assert names(schedulable.items) == ["n1"]


def test_label_and_field_selectors_must_both_match(store: Store) -> None:
    store.create(pod_key("a"), pod("a", labels={"app": "web"}, node="n1"))
    store.create(pod_key("b"), pod("b", labels={"app": "web"}, node="n2"))
    store.create(pod_key("c"), pod("c", labels={"app": "db"}, node="n1"))

    result = store.list(
        "Pod",
        "default",
        label_selector=parse_label_selector("app=web"),
        field_selector=parse_field_selector("spec.nodeName=n1"),
    )

    assert names(result.items) == ["a"]


def test_field_selector_sees_fields_changed_by_an_update(store: Store) -> None:
    store.create(pod_key("web"), pod("web"))
    store.guaranteed_update(pod_key("web"), bind_to("n1", "Running"))

    on_n1 = store.list("Pod", field_selector=parse_field_selector("spec.nodeName=n1"))
    unbound = store.list("Pod", field_selector=parse_field_selector("spec.nodeName="))

    assert names(on_n1.items) == ["web"]
    assert unbound.items == []


@pytest.mark.parametrize(
    ("kind", "selector"),
    [
        ("Pod", "spec.containers=x"),
        ("Pod", "metadata.labels=x"),
        ("Pod", "spec.nodeName=n1,status.reason=x"),
        ("ConfigMap", "spec.nodeName=n1"),
    ],
)
def test_field_selector_on_an_unsupported_field_is_a_bad_request(
    store: Store, kind: str, selector: str
) -> None:
    store.create(pod_key("web"), pod("web"))

    with pytest.raises(BadRequest) as excinfo:
        store.list(kind, field_selector=parse_field_selector(selector))

    assert excinfo.value.code == 400


def test_a_kind_can_declare_more_selectable_fields(store_alias: str, store: Store) -> None:
    fields = FieldIndex()
    fields.declare("Widget", "spec.color")
    widgets = SqlStore(using=store_alias, fields=fields)
    try:
        for name, color in (("w1", "red"), ("w2", "blue"), ("w3", "red")):
            widget: Object = {
                "kind": "Widget",
                "metadata": {"name": name},
                "spec": {"color": color},
            }
            widgets.create(Key("Widget", "", name), widget)

        red = widgets.list("Widget", field_selector=parse_field_selector("spec.color=red"))
        not_red = widgets.list("Widget", field_selector=parse_field_selector("spec.color!=red"))

        assert names(red.items) == ["w1", "w3"]
        assert names(not_red.items) == ["w2"]
        with pytest.raises(BadRequest):
            store.list("Gadget", field_selector=parse_field_selector("spec.color=red"))
    finally:
        widgets.close()


def test_limit_splits_a_list_into_pages_in_key_order(store: Store) -> None:
    for i in (4, 0, 3, 1, 2):
        store.create(pod_key(f"p{i}"), pod(f"p{i}"))

    pages = all_pages(store, "Pod", "default", limit=2)

    assert [names(page.items) for page in pages] == [["p0", "p1"], ["p2", "p3"], ["p4"]]
    assert [bool(page.continue_token) for page in pages] == [True, True, False]
    assert {page.revision for page in pages} == {5}
    for page, remaining in zip(pages, (3, 1, 0), strict=True):
        assert page.remaining_item_count in (None, remaining)


def test_a_limit_larger_than_the_list_returns_one_page_without_a_token(store: Store) -> None:
    for i in range(3):
        store.create(pod_key(f"p{i}"), pod(f"p{i}"))

    result = store.list("Pod", "default", limit=10)

    assert names(result.items) == ["p0", "p1", "p2"]
    assert result.continue_token == ""


def test_pages_with_selectors_together_hold_exactly_the_matching_objects(store: Store) -> None:
    for i in range(12):
        labels = {"app": "web" if i % 3 else "db"}
        store.create(pod_key(f"p{i:02}"), pod(f"p{i:02}", labels=labels, node=f"n{i % 2}"))

    pages = all_pages(
        store,
        "Pod",
        limit=2,
        label_selector=parse_label_selector("app=web"),
        field_selector=parse_field_selector("spec.nodeName=n1"),
    )

    assert [name for page in pages for name in names(page.items)] == ["p01", "p05", "p07", "p11"]
    assert all(len(page.items) <= 2 for page in pages)


def test_later_pages_show_the_state_at_the_first_pages_revision(store: Store) -> None:
    originals = {f"p{i}": store.create(pod_key(f"p{i}"), pod(f"p{i}")) for i in range(6)}
    first = store.list("Pod", "default", limit=2)
    assert names(first.items) == ["p0", "p1"]

    store.guaranteed_update(pod_key("p1"), set_image("changed"))
    store.guaranteed_update(pod_key("p3"), set_image("changed"))
    store.delete(pod_key("p4"))
    store.create(pod_key("p2a"), pod("p2a"))
    store.create(pod_key("p9"), pod("p9"))
    store.delete(pod_key("p5"))
    store.create(pod_key("p5"), pod("p5", image="reborn"))
    store.create(pod_key("p0", "other"), pod("p0", "other"))

    second = store.list("Pod", "default", limit=2, continue_token=first.continue_token)
    third = store.list("Pod", "default", limit=2, continue_token=second.continue_token)

    assert second.items == [originals["p2"], originals["p3"]]
    assert third.items == [originals["p4"], originals["p5"]]
    assert third.continue_token == ""
    assert second.revision == third.revision == first.revision == 6
    assert names(store.list("Pod", "default").items) == ["p0", "p1", "p2", "p2a", "p3", "p5", "p9"]


def test_later_pages_apply_selectors_to_the_snapshot_not_to_the_current_state(
    store: Store,
) -> None:
    for i, (kept, host) in enumerate(
        [("yes", "n1"), ("yes", "n1"), ("no", "n1"), ("yes", "n1"), ("no", "n1"), ("yes", "n2")]
    ):
        store.create(pod_key(f"p{i}"), pod(f"p{i}", labels={"keep": kept}, node=host))
    keep = parse_label_selector("keep=yes")
    on_n1 = parse_field_selector("spec.nodeName=n1")
    first = store.list("Pod", "default", limit=1, label_selector=keep, field_selector=on_n1)
    assert names(first.items) == ["p0"]

    store.guaranteed_update(pod_key("p1"), set_labels({"keep": "no"}))
    store.guaranteed_update(pod_key("p2"), set_labels({"keep": "yes"}))
    store.guaranteed_update(pod_key("p3"), bind_to("n2"))
    store.guaranteed_update(pod_key("p5"), bind_to("n1"))

    rest: list[Object] = []
    token = first.continue_token
    for _ in range(MAX_PAGES):
        if not token:
            break
        page = store.list(
            "Pod",
            "default",
            limit=1,
            label_selector=keep,
            field_selector=on_n1,
            continue_token=token,
        )
        assert page.revision == first.revision
        rest.extend(page.items)
        token = page.continue_token

    assert names(rest) == ["p1", "p3"]
    assert [item["metadata"]["labels"] for item in rest] == [{"keep": "yes"}, {"keep": "yes"}]
    assert [item["spec"]["nodeName"] for item in rest] == ["n1", "n1"]


def test_a_continue_token_with_a_resource_version_is_a_bad_request(store: Store) -> None:
    for i in range(3):
        store.create(pod_key(f"p{i}"), pod(f"p{i}"))
    first = store.list("Pod", "default", limit=1)

    with pytest.raises(BadRequest):
        store.list(
            "Pod",
            "default",
            limit=1,
            continue_token=first.continue_token,
            resource_version=str(first.revision),
        )


def test_a_malformed_continue_token_is_a_bad_request(store: Store) -> None:
    store.create(pod_key("p0"), pod("p0"))

    for token in ("garbage", "eyJydiI6ICJ4In0=", "%%%"):
        with pytest.raises(BadRequest):
            store.list("Pod", "default", limit=1, continue_token=token)


@pytest.mark.parametrize(
    ("resource_version", "match"), [("", ""), ("0", ""), ("0", "NotOlderThan")]
)
def test_list_without_a_specific_revision_serves_the_latest_state(
    store: Store, resource_version: str, match: ResourceVersionMatch
) -> None:
    store.create(pod_key("web"), pod("web", image="one"))
    latest = store.guaranteed_update(pod_key("web"), set_image("two"))
    api = store.create(pod_key("api"), pod("api"))

    result = store.list(
        "Pod",
        "default",
        resource_version=resource_version,
        resource_version_match=match,
    )

    assert result.items == [api, latest]
    assert result.revision == store.current_revision()


@pytest.mark.parametrize("match", ["", "NotOlderThan"])
def test_list_not_older_than_an_old_revision_serves_the_latest_state(
    store: Store, match: ResourceVersionMatch
) -> None:
    created = store.create(pod_key("web"), pod("web", image="one"))
    latest = store.guaranteed_update(pod_key("web"), set_image("two"))

    result = store.list(
        "Pod",
        "default",
        resource_version=str(rv(created)),
        resource_version_match=match,
    )

    assert result.items == [latest]
    assert result.revision == rv(latest)


@pytest.mark.parametrize("match", ["", "NotOlderThan"])
def test_list_newer_than_the_store_raises_too_large_resource_version(
    store: Store, match: ResourceVersionMatch
) -> None:
    store.create(pod_key("web"), pod("web"))

    with pytest.raises(TooLargeResourceVersion):
        store.list(
            "Pod",
            resource_version=str(store.current_revision() + 1000),
            resource_version_match=match,
        )


@pytest.mark.parametrize("resource_version", ["abc", "-1", "1e3", "+5", "1_000"])
def test_list_with_a_resource_version_that_is_not_a_revision_is_a_bad_request(
    store: Store, resource_version: str
) -> None:
    with pytest.raises(BadRequest):
        store.list("Pod", resource_version=resource_version)


def test_exact_list_at_an_old_revision_shows_the_history(store: Store) -> None:
    p1_v1 = store.create(pod_key("p1"), pod("p1", labels={"app": "web"}))
    p2 = store.create(pod_key("p2"), pod("p2", labels={"app": "web"}))
    p1_v2 = store.guaranteed_update(pod_key("p1"), set_labels({"app": "db"}))
    store.delete(pod_key("p2"))
    store.create(pod_key("p3"), pod("p3", labels={"app": "web"}))
    store.create(pod_key("p0", "other"), pod("p0", "other"))

    def exact(revision: int, selector: str = "") -> ListResult:
        return store.list(
            "Pod",
            "default",
            label_selector=parse_label_selector(selector),
            resource_version=str(revision),
            resource_version_match="Exact",
        )

    assert exact(1).items == [p1_v1]
    assert exact(2).items == [p1_v1, p2]
    assert exact(3).items == [p1_v2, p2]
    assert exact(4).items == [p1_v2]
    assert names(exact(5).items) == ["p1", "p3"]
    assert exact(2, "app=web").items == [p1_v1, p2]
    assert exact(3, "app=web").items == [p2]
    assert exact(3).revision == 3
    assert names(store.list("Pod", "default").items) == ["p1", "p3"]


def test_exact_list_with_a_limit_reads_every_page_at_that_revision(store: Store) -> None:
    for i in range(5):
        store.create(pod_key(f"p{i}"), pod(f"p{i}"))
    at_three = store.current_revision() - 2
    store.delete(pod_key("p1"))
    store.guaranteed_update(pod_key("p2"), set_image("changed"))

    pages = all_pages(
        store,
        "Pod",
        "default",
        limit=2,
        resource_version=str(at_three),
        resource_version_match="Exact",
    )

    items = [item for page in pages for item in page.items]
    assert names(items) == ["p0", "p1", "p2"]
    assert [rv(item) for item in items] == [1, 2, 3]
    assert {page.revision for page in pages} == {at_three}
