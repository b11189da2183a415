"""Migration steps that only PostgreSQL runs: the store's SQL functions (migrations 0002 and
0004). SQLite has no stored functions; its store raises the same errors from Python."""

from __future__ import annotations

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps


def on_postgresql(forward: str, backward: str) -> migrations.RunPython:
    """A migration operation that runs ``forward`` (``backward`` to undo it) on PostgreSQL."""

    def apply(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(forward)

    def undo(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(backward)

    return migrations.RunPython(apply, undo)
