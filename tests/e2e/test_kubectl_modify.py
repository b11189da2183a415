"""Changing live objects: ``label``, ``annotate``, ``patch`` (each type), ``edit``, ``scale``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e import manifests
from tests.e2e.cluster import Api, Kubectl

pytestmark = pytest.mark.e2e


@pytest.fixture
def web(api: Api, namespace: str) -> str:
    """A pod named web, labelled app=web."""
    api.create(f"/api/v1/namespaces/{namespace}/pods", manifests.pod("web"))
    return "web"


@pytest.fixture
def front(api: Api, namespace: str) -> str:
    """A replication controller named front with two replicas."""
    api.create(
        f"/api/v1/namespaces/{namespace}/replicationcontrollers",
        manifests.replication_controller("front"),
    )
    return "front"


def test_label_adds_overwrites_only_when_asked_and_removes(kubectl: Kubectl, web: str) -> None:
    assert kubectl("label", "pod", web, "env=prod") == (0, "pod/web labeled\n", "")
    assert kubectl.json("pod", web)["metadata"]["labels"] == {"app": "web", "env": "prod"}

    assert kubectl("label", "pod", web, "env=dev") == (
        1,
        "",
        "error: 'env' already has a value (prod), and --overwrite is false\n",
    )
    assert kubectl.json("pod", web)["metadata"]["labels"]["env"] == "prod"

    assert kubectl("label", "pod", web, "env=dev", "--overwrite") == (0, "pod/web labeled\n", "")
    assert kubectl.json("pod", web)["metadata"]["labels"]["env"] == "dev"

    assert kubectl("label", "pod", web, "env-") == (0, "pod/web unlabeled\n", "")
    assert kubectl.json("pod", web)["metadata"]["labels"] == {"app": "web"}


def test_label_refuses_an_invalid_label_value(kubectl: Kubectl, web: str) -> None:
    rc, out, err = kubectl("label", "pod", web, "env=not valid!")

    assert (rc, out) == (1, "")
    assert err.startswith('error: invalid label value: "env=not valid!": a valid label must be')


def test_label_by_selector_labels_every_match(kubectl: Kubectl, api: Api, namespace: str) -> None:
    for name, tier in (("a", "front"), ("b", "front"), ("c", "back")):
        api.create(
            f"/api/v1/namespaces/{namespace}/pods", manifests.pod(name, labels={"tier": tier})
        )

    assert kubectl("label", "pods", "-l", "tier=front", "seen=yes") == (
        0,
        "pod/a labeled\npod/b labeled\n",
        "",
    )
    assert kubectl.ok("get", "pods", "-l", "seen=yes", "-o", "name") == "pod/a\npod/b\n"


def test_annotate_adds_overwrites_only_when_asked_and_removes(kubectl: Kubectl, web: str) -> None:
    assert kubectl("annotate", "pod", web, "note=first") == (0, "pod/web annotated\n", "")
    assert kubectl.json("pod", web)["metadata"]["annotations"] == {"note": "first"}

    assert kubectl("annotate", "pod", web, "note=second") == (
        1,
        "",
        "error: --overwrite is false but found the following declared annotation(s): "
        "'note' already has a value (first)\n",
    )

    assert kubectl("annotate", "pod", web, "note=second", "--overwrite") == (
        0,
        "pod/web annotated\n",
        "",
    )
    assert kubectl.json("pod", web)["metadata"]["annotations"] == {"note": "second"}

    assert kubectl("annotate", "pod", web, "note-") == (0, "pod/web annotated\n", "")
    assert "annotations" not in kubectl.json("pod", web)["metadata"]


def test_patch_strategic_merges_containers_by_name(kubectl: Kubectl, front: str) -> None:
    patch = {
        "spec": {
            "template": {"spec": {"containers": [{"name": "sidecar", "image": "busybox:1.36"}]}}
        }
    }

    assert kubectl("patch", "rc", front, "-p", json.dumps(patch)) == (
        0,
        "replicationcontroller/front patched\n",
        "",
    )

    containers = kubectl.json("rc", front)["spec"]["template"]["spec"]["containers"]
    assert [(c["name"], c["image"]) for c in containers] == [
        ("sidecar", "busybox:1.36"),
        ("web", "nginx:1.25"),
    ]


def test_patch_strategic_delete_directive_removes_one_container(
    kubectl: Kubectl, front: str
) -> None:
    add = {"spec": {"template": {"spec": {"containers": [{"name": "b", "image": "busybox"}]}}}}
    kubectl.ok("patch", "rc", front, "--type=strategic", "-p", json.dumps(add))
    remove = {"spec": {"template": {"spec": {"containers": [{"name": "b", "$patch": "delete"}]}}}}

    assert kubectl("patch", "rc", front, "--type=strategic", "-p", json.dumps(remove)) == (
        0,
        "replicationcontroller/front patched\n",
        "",
    )

    containers = kubectl.json("rc", front)["spec"]["template"]["spec"]["containers"]
    assert [c["name"] for c in containers] == ["web"]


def test_patch_merge_replaces_lists_whole(kubectl: Kubectl, front: str) -> None:
    patch = {
        "metadata": {"labels": {"merged": "yes"}},
        "spec": {"template": {"spec": {"containers": [{"name": "only", "image": "busybox:1.36"}]}}},
    }

    assert kubectl("patch", "rc", front, "--type=merge", "-p", json.dumps(patch)) == (
        0,
        "replicationcontroller/front patched\n",
        "",
    )

    stored = kubectl.json("rc", front)
    assert stored["metadata"]["labels"] == {"app": "front", "merged": "yes"}
    assert [c["name"] for c in stored["spec"]["template"]["spec"]["containers"]] == ["only"]


def test_patch_merge_null_removes_a_field(kubectl: Kubectl, web: str) -> None:
    kubectl.ok("label", "pod", web, "gone=soon")

    kubectl.ok("patch", "pod", web, "--type=merge", "-p", '{"metadata":{"labels":{"gone":null}}}')

    assert kubectl.json("pod", web)["metadata"]["labels"] == {"app": "web"}


def test_patch_json_applies_operations_in_order(kubectl: Kubectl, front: str) -> None:
    ops = [
        {"op": "replace", "path": "/spec/replicas", "value": 4},
        {"op": "add", "path": "/metadata/labels/patched", "value": "json"},
        {"op": "remove", "path": "/metadata/labels/app"},
    ]

    assert kubectl("patch", "rc", front, "--type=json", "-p", json.dumps(ops)) == (
        0,
        "replicationcontroller/front patched\n",
        "",
    )

    stored = kubectl.json("rc", front)
    assert stored["spec"]["replicas"] == 4
    assert stored["metadata"]["labels"] == {"patched": "json"}


def test_patch_json_with_a_failing_test_op_changes_nothing(kubectl: Kubectl, front: str) -> None:
    before = kubectl.json("rc", front)
    ops = [
        {"op": "replace", "path": "/spec/replicas", "value": 9},
        {"op": "test", "path": "/metadata/labels/app", "value": "other"},
    ]

    rc, out, err = kubectl("patch", "rc", front, "--type=json", "-p", json.dumps(ops))

    assert (rc, out) == (1, "")
    assert err.startswith("The request is invalid: ")
    assert (
        kubectl.json("rc", front)["metadata"]["resourceVersion"]
        == (before["metadata"]["resourceVersion"])
    )


def test_patch_that_changes_nothing_says_so(kubectl: Kubectl, web: str) -> None:
    assert kubectl("patch", "pod", web, "-p", '{"metadata":{"labels":{"app":"web"}}}') == (
        0,
        "pod/web patched (no change)\n",
        "",
    )


def test_patch_of_an_immutable_pod_field_is_invalid(kubectl: Kubectl, web: str) -> None:
    rc, out, err = kubectl("patch", "pod", web, "-p", '{"spec":{"restartPolicy":"Never"}}')

    assert (rc, out) == (1, "")
    assert err.startswith(
        'The Pod "web" is invalid: spec: Forbidden: pod updates may not change fields other '
        "than `spec.containers[*].image`"
    )


def _editor(tmp_path: Path, sed: str) -> dict[str, str]:
    """An EDITOR that rewrites the file kubectl hands it with one sed expression (and a
    TMPDIR, so that the copies kubectl keeps of failed edits stay in the test's directory)."""
    script = tmp_path / "editor.sh"
    script.write_text(f"#!/bin/sh\nexec sed -i '{sed}' \"$1\"\n")
    script.chmod(0o755)
    return {"EDITOR": str(script), "TMPDIR": str(tmp_path)}


def test_edit_saves_what_the_editor_changed(kubectl: Kubectl, front: str, tmp_path: Path) -> None:
    editor = _editor(tmp_path, "s/replicas: 2/replicas: 6/")

    assert kubectl("edit", "rc", front, env=editor) == (
        0,
        "replicationcontroller/front edited\n",
        "",
    )

    assert kubectl.json("rc", front)["spec"]["replicas"] == 6


def test_edit_without_changes_cancels(kubectl: Kubectl, front: str, tmp_path: Path) -> None:
    assert kubectl("edit", "rc", front, env=_editor(tmp_path, "s/no-such-text//")) == (
        0,
        "",
        "Edit cancelled, no changes made.\n",
    )


def test_edit_to_an_invalid_object_is_refused_and_kept(
    kubectl: Kubectl, web: str, tmp_path: Path
) -> None:
    editor = _editor(tmp_path, 's/image: nginx:1.25/image: ""/')

    rc, out, err = kubectl("edit", "pod", web, env=editor)

    # kubectl reopens the file with the server's causes on top; this editor then changes
    # nothing more, so kubectl gives up and keeps a copy.
    kept = next(p for p in tmp_path.glob("kubectl-edit-*.yaml") if f'"{p}"' in err)
    assert (rc, out, err) == (
        1,
        "",
        'error: pods "web" is invalid\n'
        f'A copy of your changes has been stored to "{kept}"\n'
        "error: Edit cancelled, no valid changes were saved.\n",
    )
    assert '# pods "web" was not valid:\n# * spec.containers[0].image: Required value\n' in (
        kept.read_text()
    )
    assert kubectl.json("pod", web)["spec"]["containers"][0]["image"] == "nginx:1.25"


def test_scale_sets_the_desired_replicas(kubectl: Kubectl, front: str) -> None:
    assert kubectl("scale", "rc", front, "--replicas=5") == (
        0,
        "replicationcontroller/front scaled\n",
        "",
    )
    assert kubectl.json("rc", front)["spec"]["replicas"] == 5

    assert kubectl("scale", "rc", front, "--replicas=0") == (
        0,
        "replicationcontroller/front scaled\n",
        "",
    )
    assert kubectl.json("rc", front)["spec"]["replicas"] == 0


def test_scale_with_a_stale_current_replicas_precondition_fails(
    kubectl: Kubectl, front: str
) -> None:
    assert kubectl("scale", "rc", front, "--current-replicas=3", "--replicas=5") == (
        1,
        "",
        "error: Expected replicas to be 3, was 2\n",
    )
    assert kubectl.json("rc", front)["spec"]["replicas"] == 2


def test_scale_reads_and_writes_the_scale_subresource(api: Api, namespace: str, front: str) -> None:
    path = f"/api/v1/namespaces/{namespace}/replicationcontrollers/{front}/scale"

    scale = api.get(path).body

    assert scale["apiVersion"] == "autoscaling/v1"
    assert scale["kind"] == "Scale"
    assert scale["spec"] == {"replicas": 2}
    assert scale["status"] == {"replicas": 0, "selector": "app=front"}
