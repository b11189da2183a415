"""Create the store's tables; on PostgreSQL also GIN indexes for label and field selectors."""

from __future__ import annotations

from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

_GIN = [
    "CREATE INDEX IF NOT EXISTS store_object_labels_gin ON store_object USING gin (labels)",
    "CREATE INDEX IF NOT EXISTS store_object_fields_gin ON store_object USING gin (fields)",
]
_DROP_GIN = [
    "DROP INDEX IF EXISTS store_object_labels_gin",
    "DROP INDEX IF EXISTS store_object_fields_gin",
]


def _create_gin(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for statement in _GIN:
            schema_editor.execute(statement)


def _drop_gin(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for statement in _DROP_GIN:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="StoredObject",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("kind", models.CharField(max_length=63)),
                ("namespace", models.CharField(blank=True, max_length=63)),
                ("name", models.CharField(max_length=253)),
                ("uid", models.CharField(max_length=36)),
                ("resource_version", models.BigIntegerField()),
                ("labels", models.JSONField(default=dict)),
                ("fields", models.JSONField(default=dict)),
                ("data", models.TextField()),
            ],
            options={
                "db_table": "store_object",
                "indexes": [
                    models.Index(fields=["kind", "resource_version"], name="store_object_kind_rv")
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("kind", "namespace", "name"), name="store_object_key_unique"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="StoreEvent",
            fields=[
                ("revision", models.BigIntegerField(primary_key=True, serialize=False)),
                ("type", models.CharField(max_length=8)),
                ("kind", models.CharField(max_length=63)),
                ("namespace", models.CharField(blank=True, max_length=63)),
                ("name", models.CharField(max_length=253)),
                ("object", models.TextField()),
                ("prev_object", models.TextField(null=True)),
                ("created_at", models.FloatField()),
            ],
            options={
                "db_table": "store_event",
                "indexes": [
                    models.Index(fields=["kind", "revision"], name="store_event_kind_rev")
                ],
            },
        ),
        migrations.CreateModel(
            name="StoreMeta",
            fields=[
                ("id", models.SmallIntegerField(primary_key=True, serialize=False)),
                ("revision", models.BigIntegerField(default=0)),
                ("compacted", models.BigIntegerField(default=0)),
            ],
            options={"db_table": "store_meta"},
        ),
        migrations.RunPython(_create_gin, _drop_gin),
    ]
