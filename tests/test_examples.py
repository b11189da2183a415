"""The manifests README.md tells newcomers to apply are accepted by the API as they stand.

They go through the same path ``kubectl apply`` takes: strict decoding against the schema,
then the registry's defaulting and validation, with server-side dry run so nothing is kept.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from django.test import Client

from cluster.api.tokens import ensure_admin_user, issue_token
from cluster.registry.bootstrap import ensure_system_namespaces
from cluster.registry.catalog import default_registry

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
PLURALS = {"Pod": "pods", "ReplicationController": "replicationcontrollers"}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("manifest", sorted(p.name for p in EXAMPLES.glob("*.yaml")))
def test_each_example_manifest_passes_strict_validation(manifest: str) -> None:
    ensure_system_namespaces(default_registry())
    client = Client(HTTP_AUTHORIZATION=f"Bearer {issue_token(ensure_admin_user(), name='t')}")
    obj = yaml.safe_load((EXAMPLES / manifest).read_text())

    response = client.post(
        f"/api/v1/namespaces/default/{PLURALS[obj['kind']]}?dryRun=All&fieldValidation=Strict",
        data=(EXAMPLES / manifest).read_bytes(),
        content_type="application/yaml",
    )

    assert response.status_code == 201, response.content
    assert response.json()["metadata"]["name"] == obj["metadata"]["name"]
    assert "Warning" not in response.headers


def test_the_readme_names_every_example() -> None:
    readme = (EXAMPLES.parent / "README.md").read_text()
    for path in EXAMPLES.glob("*.yaml"):
        assert f"examples/{path.name}" in readme
