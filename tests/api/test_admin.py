"""The Django admin as the dashboard: kubectl's columns, filters, search, and registry writes.

Each test drives the admin with Django's test client, signed in as a superuser, over the real
PostgreSQL store. Objects are set up through the registry (the ``registry`` fixture); the admin
writes through ``default_registry()``, whose store is the same database. What a test checks
after a write is read back through the registry and the store's watch, never from the table.
"""

from __future__ import annotations

import copy
import html
import json
import re
from typing import TYPE_CHECKING

import pytest
from django.contrib.admin.templatetags.admin_list import result_headers, results
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth.models import User
from django.contrib.messages import get_messages
from django.test import Client

from cluster.api.dashboard.filters import UNSET, FieldFilter
from cluster.api.models import KIND_MODELS
from cluster.api.tables import PRINTERS
from cluster.registry.catalog import RESOURCES
from cluster.registry.errors import Conflict, NotFound
from cluster.registry.kinds.podupdate import FORBIDDEN_CHANGE
from cluster.registry.registry import DeleteOptions, Registry
from cluster.registry.resources import Resource
from cluster.store.types import Object

if TYPE_CHECKING:
    # What the test client returns, with ``context`` and ``wsgi_request``; a stub-only name.
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

pytestmark = pytest.mark.django_db(transaction=True)

CONFLICT = (
    'Operation cannot be fulfilled on pods "web": the object has been modified; please apply '
    "your changes to the latest version and try again"
)


def resource(kind: str, group: str = "") -> Resource:
    found = RESOURCES.by_kind(group, kind)
    assert found is not None
    return found


PODS = resource("Pod")
NAMESPACES = resource("Namespace")


@pytest.fixture
def namespaces(registry: Registry) -> None:
    for name in ("default", "prod"):
        registry.create(NAMESPACES, None, {"metadata": {"name": name}})


def make_pod(
    registry: Registry,
    name: str,
    namespace: str = "default",
    *,
    labels: dict[str, str] | None = None,
    node: str = "",
    phase: str = "",
) -> Object:
    spec: Object = {"containers": [{"name": "app", "image": "nginx:1.27"}]}
    if node:
        spec["nodeName"] = node
    metadata: Object = {"name": name, "namespace": namespace, "labels": labels or {}}
    pod = registry.create(PODS, None, {"metadata": metadata, "spec": spec}).object
    if phase:

        def set_phase(old: Object) -> Object:
            old["status"]["phase"] = phase
            return old

        pod = registry.update(PODS, namespace, name, set_phase, subresource="status").object
    return pod


def pod_page(pod: Object) -> str:
    meta = pod["metadata"]
    row = KIND_MODELS["Pod"].objects.get(namespace=meta["namespace"], name=meta["name"])
    return f"/admin/api/pod/{row.pk}/change/"


def changelist(response: Response) -> ChangeList:
    assert response.status_code == 200
    cl: ChangeList = response.context["cl"]
    return cl


def listed_names(response: Response) -> list[str]:
    return [f"{o.namespace}/{o.name}" for o in changelist(response).result_list]


def text_of(cell: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", cell))


def form_errors(response: Response) -> list[str]:
    assert response.status_code == 200
    return list(response.context["adminform"].form.errors.get("manifest", []))


def messages_of(response: Response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def save(client: Client, url: str, obj: Object | str) -> Response:
    manifest = obj if isinstance(obj, str) else json.dumps(obj)
    response: Response = client.post(url, {"manifest": manifest, "_save": "Save"})
    return response


# Every kind is there


def test_every_kind_of_the_catalog_has_a_list_page(admin_client: Client) -> None:
    for each in RESOURCES.all:
        response = admin_client.get(f"/admin/api/{each.kind.lower()}/")
        assert response.status_code == 200, each.kind
    index = admin_client.get("/admin/api/").content.decode()
    for each in RESOURCES.all:
        assert f'href="/admin/api/{each.kind.lower()}/"' in index


ONE_OF_EACH_KIND: list[Object] = [
    {"kind": "Node", "metadata": {"name": "node-1"}},
    {
        "kind": "Pod",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]},
    },
    {
        "kind": "Service",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]},
    },
    {
        "kind": "ReplicationController",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "replicas": 2,
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]},
            },
        },
    },
    {
        "kind": "Endpoints",
        "metadata": {"name": "web", "namespace": "default"},
        "subsets": [{"addresses": [{"ip": "10.244.0.5"}], "ports": [{"port": 80}]}],
    },
    {
        "kind": "Event",
        "metadata": {"name": "web.1", "namespace": "default"},
        "involvedObject": {"kind": "Pod", "namespace": "default", "name": "web"},
        "reason": "Scheduled",
        "message": "Successfully assigned default/web to node-1",
        "type": "Normal",
        "count": 1,
    },
    {
        "kind": "Lease",
        "apiVersion": "coordination.k8s.io/v1",
        "metadata": {"name": "node-1", "namespace": "kube-node-lease"},
        "spec": {"holderIdentity": "node-1"},
    },
    {
        "kind": "EndpointSlice",
        "apiVersion": "discovery.k8s.io/v1",
        "metadata": {"name": "web-abcde", "namespace": "default"},
        "addressType": "IPv4",
        "endpoints": [{"addresses": ["10.244.0.5"], "conditions": {"ready": True}}],
        "ports": [{"name": "", "port": 80, "protocol": "TCP"}],
    },
]


@pytest.fixture
def one_of_each_kind(registry: Registry, namespaces: None) -> None:
    registry.create(NAMESPACES, None, {"metadata": {"name": "kube-node-lease"}})
    for manifest in ONE_OF_EACH_KIND:
        group = manifest.get("apiVersion", "v1").rpartition("/")[0]
        registry.create(resource(manifest["kind"], group), None, manifest)


def test_each_kinds_list_prints_its_objects_as_kubectl_get_does(
    admin_client: Client, registry: Registry, one_of_each_kind: None
) -> None:
    for each in RESOURCES.all:
        cl = changelist(admin_client.get(f"/admin/api/{each.kind.lower()}/"))
        assert len(cl.result_list) >= 1, each.kind
        for obj, row in zip(cl.result_list, results(cl), strict=True):
            expected = printed_row(each, registry.get(each, obj.namespace, obj.name))
            assert timeless([text_of(cell) for cell in row][1:]) == expected, each.kind


def test_each_kinds_object_page_shows_its_object(
    admin_client: Client, registry: Registry, one_of_each_kind: None
) -> None:
    for each in RESOURCES.all:
        for row in KIND_MODELS[each.kind].objects.all():
            response = admin_client.get(f"/admin/api/{each.kind.lower()}/{row.pk}/change/")
            assert response.status_code == 200, each.kind
            stored = registry.get(each, row.namespace, row.name)
            assert html.escape(json.dumps(stored, indent=2)) in response.content.decode()


def printed_row(resource: Resource, obj: Object) -> list[str]:
    """What ``kubectl get -A`` prints for ``obj`` (its default columns), times left out."""
    printer = PRINTERS[resource.kind]
    cells = [
        str(cell)
        for column, cell in zip(printer.columns, printer.cells(obj), strict=True)
        if column.priority == 0
    ]
    namespace = [obj["metadata"]["namespace"]] if resource.namespaced else []
    return timeless(namespace + cells)


def timeless(cells: list[str]) -> list[str]:
    """``cells`` with durations (AGE, LAST SEEN), which tick while a test runs, as ``<time>``."""
    return ["<time>" if re.fullmatch(r"\d+s", cell) else cell for cell in cells]


def test_the_internal_allocation_records_have_no_page(admin_client: Client) -> None:
    assert sorted(KIND_MODELS) == sorted(r.kind for r in RESOURCES.all)
    assert admin_client.get("/admin/api/ipaddressallocation/").status_code == 404
    assert admin_client.get("/admin/api/nodeportallocation/").status_code == 404


def test_a_staff_user_without_permissions_is_refused(client: Client) -> None:
    user = User.objects.create_user("viewer", password="secret", is_staff=True)
    client.force_login(user)
    assert client.get("/admin/api/pod/").status_code == 403


# The list: kubectl get's columns


def test_the_pod_list_shows_the_columns_kubectl_get_prints(
    admin_client: Client, registry: Registry, namespaces: None
) -> None:
    make_pod(registry, "web", labels={"app": "web"})
    cl = changelist(admin_client.get("/admin/api/pod/"))
    headers = [h["text"] for h in result_headers(cl)][1:]  # after the selection checkbox
    assert headers == ["NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    [row] = [[text_of(cell) for cell in r][1:] for r in results(cl)]
    assert row[:5] == ["default", "web", "0/1", "Pending", "0"]
    assert re.fullmatch(r"\d+s", row[5])


def test_a_cluster_scoped_kind_lists_no_namespace_column(
    admin_client: Client, namespaces: None
) -> None:
    cl = changelist(admin_client.get("/admin/api/namespace/"))
    assert [h["text"] for h in result_headers(cl)][1:] == ["NAME", "STATUS", "AGE"]
    assert [text_of(r[2]) for r in results(cl)] == ["Active", "Active"]


def test_the_list_is_ordered_by_namespace_then_name(
    admin_client: Client, registry: Registry, namespaces: None
) -> None:
    for namespace, name in [("prod", "api"), ("default", "web"), ("default", "db")]:
        make_pod(registry, name, namespace)
    response = admin_client.get("/admin/api/pod/")
    assert listed_names(response) == ["default/db", "default/web", "prod/api"]


# Filters


@pytest.fixture
def three_pods(registry: Registry, namespaces: None) -> None:
    make_pod(
        registry, "web", labels={"app": "web", "tier": "front"}, node="node-1", phase="Running"
    )
    make_pod(registry, "db", labels={"app": "db"}, node="node-2", phase="Running")
    make_pod(registry, "web-canary", "prod", labels={"app": "web", "canary": "yes"})


def test_the_namespace_filter_lists_only_that_namespace(
    admin_client: Client, three_pods: None
) -> None:
    response = admin_client.get("/admin/api/pod/?namespace=prod")
    assert listed_names(response) == ["prod/web-canary"]


def test_the_phase_filter_reads_the_pods_status_phase(
    admin_client: Client, three_pods: None
) -> None:
    assert listed_names(admin_client.get("/admin/api/pod/?phase=Running")) == [
        "default/db",
        "default/web",
    ]
    assert listed_names(admin_client.get("/admin/api/pod/?phase=Pending")) == ["prod/web-canary"]


def test_the_node_filter_reads_the_pods_node_name_and_offers_unscheduled_pods(
    admin_client: Client, three_pods: None
) -> None:
    response = admin_client.get("/admin/api/pod/")
    [node_filter] = [f for f in changelist(response).filter_specs if f.title == "node"]
    assert isinstance(node_filter, FieldFilter)
    assert [choice for choice, _ in node_filter.lookup_choices] == [UNSET, "node-1", "node-2"]
    assert listed_names(admin_client.get("/admin/api/pod/?node=node-2")) == ["default/db"]
    unscheduled = admin_client.get("/admin/api/pod/", {"node": UNSET})
    assert listed_names(unscheduled) == ["prod/web-canary"]


# Search


def test_plain_text_in_the_search_box_matches_names(admin_client: Client, three_pods: None) -> None:
    response = admin_client.get("/admin/api/pod/", {"q": "web"})
    assert listed_names(response) == ["default/web", "prod/web-canary"]


def test_a_label_selector_in_the_search_box_matches_labels(
    admin_client: Client, three_pods: None
) -> None:
    def found(selector: str) -> list[str]:
        return listed_names(admin_client.get("/admin/api/pod/", {"q": selector}))

    assert found("app=web") == ["default/web", "prod/web-canary"]
    assert found("app=web,!canary") == ["default/web"]
    assert found("app!=web") == ["default/db"]
    assert found("tier notin (back)") == ["default/db", "default/web", "prod/web-canary"]
    assert found("app in (db,cache)") == ["default/db"]


def test_a_malformed_label_selector_is_reported_and_matches_nothing(
    admin_client: Client, three_pods: None
) -> None:
    response = admin_client.get("/admin/api/pod/", {"q": "app in (web"})
    assert listed_names(response) == []
    assert messages_of(response) == ["unable to parse requirement: unexpected end of selector"]


# The object page


def test_the_object_page_shows_the_stored_json(
    admin_client: Client, registry: Registry, namespaces: None
) -> None:
    pod = make_pod(registry, "web", labels={"app": "web"})
    response = admin_client.get(pod_page(pod))
    assert response.status_code == 200
    content = response.content.decode()
    pretty = html.escape(json.dumps(pod, indent=2))
    assert f'<pre style="white-space: pre-wrap; margin: 0">{pretty}</pre>' in content
    assert f">\n{pretty}</textarea>" in content
    assert '<div class="readonly">app=web</div>' in content


# Edits go through the registry


def test_editing_labels_stores_a_new_revision_that_watchers_see(
    admin_client: Client, registry: Registry, namespaces: None
) -> None:
    pod = make_pod(registry, "web", labels={"app": "web"})
    before = pod["metadata"]["resourceVersion"]
    watch = registry.watch(PODS, "default", from_revision=int(before))
    try:
        pod["metadata"]["labels"] = {"app": "web", "tier": "front"}
        response = save(admin_client, pod_page(pod), pod)
        assert response.status_code == 302
        assert response["Location"] == "/admin/api/pod/"
        event = watch.next_event(timeout=10)
    finally:
        watch.stop()
    stored = registry.get(PODS, "default", "web")
    assert stored["metadata"]["labels"] == {"app": "web", "tier": "front"}
    assert int(stored["metadata"]["resourceVersion"]) == int(before) + 1
    assert event is not None
    assert event["type"] == "MODIFIED"
    assert event["object"]["metadata"]["labels"] == {"app": "web", "tier": "front"}
    assert event["object"]["metadata"]["resourceVersion"] == stored["metadata"]["resourceVersion"]


def test_an_immutable_field_change_is_shown_with_its_field_path_and_stores_nothing(
    admin_client: Client, registry: Registry, namespaces: None
) -> None:
    pod = make_pod(registry, "web")
    revision = registry.store.current_revision()
    edited = copy.deepcopy(pod)
    edited["spec"]["restartPolicy"] = "Never"
    response = save(admin_client, pod_page(pod), edited)
    assert form_errors(response) == [
        f'spec: Forbidden: {FORBIDDEN_CHANGE}\n- spec.restartPolicy: "Always"\n'
        '+ spec.restartPolicy: "Never"'
    ]
    assert registry.store.current_revision() == revision
    assert registry.get(PODS, "default", "web") == pod


def test_an_invalid_value_is_shown_with_its_field_path(
    admin_client: Client, registry: Registry, namespaces: None
) -> None:
    pod = make_pod(registry, "web")
    edited = copy.deepcopy(pod)
    edited["metadata"]["labels"] = {"app": "not valid!"}
    response = save(admin_client, pod_page(pod), edited)
    assert form_errors(response) == [
        'metadata.labels: Invalid value: "not valid!": a valid label must be an empty string or '
        "consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
        "alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for "
        "validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
    ]
    assert registry.get(PODS, "default", "web") == pod


def test_malformed_json_is_refused_before_the_registry_sees_it(
    admin_client: Client, registry: Registry, namespaces: None
) -> None:
    pod = make_pod(registry, "web")
    revision = registry.store.current_revision()
    response = save(admin_client, pod_page(pod), '{"metadata": ')
    assert form_errors(response) == ["Invalid JSON: Expecting value: line 1 column 14 (char 13)"]
    array = save(admin_client, pod_page(pod), "[]")
    assert form_errors(array) == ["The object must be a JSON object, not an array."]
    assert registry.store.current_revision() == revision


def test_a_stale_resource_version_is_refused_as_a_conflict(
    admin_client: Client, registry: Registry, namespaces: None
) -> None:
    pod = make_pod(registry, "web")
    url = pod_page(pod)

    def relabel(old: Object) -> Object:
        old["metadata"]["labels"] = {"changed": "elsewhere"}
        return old

    newer = registry.update(PODS, "default", "web", relabel).object
    pod["metadata"]["labels"] = {"app": "web"}
    response = save(admin_client, url, pod)
    assert form_errors(response) == [CONFLICT]
    assert registry.get(PODS, "default", "web") == newer


def test_renaming_an_object_in_its_edit_form_is_refused(
    admin_client: Client, registry: Registry, namespaces: None
) -> None:
    pod = make_pod(registry, "web")
    url = pod_page(pod)
    pod["metadata"]["name"] = "api"
    response = save(admin_client, url, pod)
    assert form_errors(response) == [
        "the name of the object (api) does not match the name of the object being edited (web)"
    ]
    with pytest.raises(NotFound):
        registry.get(PODS, "default", "api")


def test_adding_a_pod_creates_it_through_the_registry_with_its_defaults(
    admin_client: Client, registry: Registry, namespaces: None
) -> None:
    manifest = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "web", "namespace": "prod"},
        "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]},
    }
    response = save(admin_client, "/admin/api/pod/add/", manifest)
    assert response.status_code == 302
    stored = registry.get(PODS, "prod", "web")
    assert stored["spec"]["restartPolicy"] == "Always"
    assert stored["status"]["phase"] == "Pending"
    assert response["Location"] == "/admin/api/pod/"


def test_adding_an_object_that_exists_is_refused(
    admin_client: Client, registry: Registry, namespaces: None
) -> None:
    pod = make_pod(registry, "web")
    revision = registry.store.current_revision()
    response = save(admin_client, "/admin/api/pod/add/", pod)
    assert form_errors(response) == ['pods "web" already exists']
    assert registry.store.current_revision() == revision


def test_adding_an_object_of_another_kind_on_a_kinds_page_is_refused(
    admin_client: Client, namespaces: None
) -> None:
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}}
    response = save(admin_client, "/admin/api/pod/add/", service)
    assert form_errors(response) == [
        "the kind in the data (Service) does not match the expected kind (Pod)"
    ]


def test_the_add_page_starts_from_the_kinds_skeleton(admin_client: Client) -> None:
    response = admin_client.get("/admin/api/lease/add/")
    form = response.context["adminform"].form
    assert json.loads(form.fields["manifest"].initial) == {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {"name": "", "namespace": "default"},
    }


# Deletes go through the registry


def delete(client: Client, pod: Object) -> Response:
    url = pod_page(pod).replace("/change/", "/delete/")
    response: Response = client.post(url, {"post": "yes"})
    return response


def test_deleting_an_unscheduled_pod_removes_it_at_once(
    admin_client: Client, registry: Registry, namespaces: None
) -> None:
    pod = make_pod(registry, "web")
    response = delete(admin_client, pod)
    assert response.status_code == 302
    with pytest.raises(NotFound):
        registry.get(PODS, "default", "web")


def test_deleting_a_bound_pod_marks_it_for_graceful_deletion(
    admin_client: Client, registry: Registry, namespaces: None
) -> None:
    pod = make_pod(registry, "web", node="node-1", phase="Running")
    response = delete(admin_client, pod)
    assert response.status_code == 302
    stored = registry.get(PODS, "default", "web")
    assert stored["metadata"]["deletionGracePeriodSeconds"] == 30
    assert "deletionTimestamp" in stored["metadata"]
    assert messages_of(response) == [
        'pod "default/web" is terminating: it stays, marked for deletion, until its '
        "finalizers are done or its node confirms.",
        "The pod “default/web” was deleted successfully.",
    ]


def test_deleting_selected_objects_goes_through_the_registry(
    admin_client: Client, registry: Registry, three_pods: None
) -> None:
    rows = KIND_MODELS["Pod"].objects.order_by("name")
    response = admin_client.post(
        "/admin/api/pod/",
        {"action": "delete_selected", "_selected_action": [r.pk for r in rows], "post": "yes"},
    )
    assert response.status_code == 302
    names = [p["metadata"]["name"] for p in registry.list(PODS, None).items]
    # The bound pods wait for their nodes; the unscheduled one is gone.
    assert names == ["db", "web"]
    assert all("deletionTimestamp" in p["metadata"] for p in registry.list(PODS, None).items)


def test_a_deletion_the_registry_refuses_is_shown_not_raised(
    admin_client: Client, registry: Registry, namespaces: None
) -> None:
    pod = make_pod(registry, "web")
    url = pod_page(pod)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Registry, "delete", _refuse_deletion)
        response = admin_client.post(url.replace("/change/", "/delete/"), {"post": "yes"})
    assert response.status_code == 302
    assert response["Location"] == url
    assert messages_of(response) == ['Operation cannot be fulfilled on pods "web": try again']
    assert registry.get(PODS, "default", "web")["metadata"]["uid"] == pod["metadata"]["uid"]


def _refuse_deletion(
    self: Registry, resource: Resource, namespace: str | None, name: str, options: DeleteOptions
) -> None:
    raise Conflict(f'Operation cannot be fulfilled on pods "{name}": try again')


def test_deletions_the_registry_refuses_in_a_bulk_delete_are_shown_not_raised(
    admin_client: Client, registry: Registry, three_pods: None
) -> None:
    rows = KIND_MODELS["Pod"].objects.order_by("namespace", "name")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Registry, "delete", _refuse_deletion)
        response = admin_client.post(
            "/admin/api/pod/",
            {"action": "delete_selected", "_selected_action": [r.pk for r in rows], "post": "yes"},
        )
    assert response.status_code == 302
    assert response["Location"] == "/admin/api/pod/"
    assert messages_of(response) == [
        'Operation cannot be fulfilled on pods "db": try again',
        'Operation cannot be fulfilled on pods "web": try again',
        'Operation cannot be fulfilled on pods "web-canary": try again',
    ]
    assert len(registry.list(PODS, None).items) == 3
