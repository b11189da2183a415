"""A PostgreSQL function that aborts a write statement which changed nothing.

Each store write on PostgreSQL is one statement that bumps the revision counter and changes
an object. When the compare-and-swap finds the row moved on (or a create finds the name
taken), the statement calls this function, whose error rolls the whole statement back,
counter bump included, so the revision log stays gap-free without an explicit transaction.
"""

from __future__ import annotations

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

LOST_RACE_SQLSTATE = "PH001"

_CREATE = f"""
CREATE OR REPLACE FUNCTION pilothouse_lost_race() RETURNS bigint
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = '{LOST_RACE_SQLSTATE}', MESSAGE = 'store write lost a race';
END
$$
"""
_DROP = "DROP FUNCTION IF EXISTS pilothouse_lost_race()"


def _create(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(_CREATE)


def _drop(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(_DROP)


class Migration(migrations.Migration):
    dependencies = [("store", "0001_initial")]

    operations = [migrations.RunPython(_create, _drop)]
