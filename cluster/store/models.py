"""The store's tables.

- ``store_object``: the current state, one row per (kind, namespace, name), with the object's
  JSON text plus the columns selectors need (labels, declared fields) so they run in SQL.
- ``store_event``: the event log, one row per revision (gap-free: a failed write rolls its
  revision back), carrying the object after and before the write. Watches resume from it and
  paginated lists rebuild an older snapshot from it; compaction trims its head.
- ``store_meta``: a single row holding the revision counter and the compacted revision.
  Writers lock it inside their transaction, which makes commits happen in revision order.
- ``store_lock``: expiring named locks (``locks.py``), etcd's mutexes for the controllers.

The hot paths use SQL directly (``sql.py``); these models define the schema and give the
admin something to show.
"""

from __future__ import annotations

from django.db import models


class StoredObject(models.Model):
    kind = models.CharField(max_length=63)
    namespace = models.CharField(max_length=63, blank=True)
    name = models.CharField(max_length=253)
    uid = models.CharField(max_length=36)
    resource_version = models.BigIntegerField()
    labels = models.JSONField(default=dict)
    fields = models.JSONField(default=dict)
    data = models.TextField()

    class Meta:
        db_table = "store_object"
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "namespace", "name"], name="store_object_key_unique"
            )
        ]
        indexes = [models.Index(fields=["kind", "resource_version"], name="store_object_kind_rv")]

    def __str__(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}" if self.namespace else self.name


class StoreEvent(models.Model):
    revision = models.BigIntegerField(primary_key=True)
    type = models.CharField(max_length=8)
    kind = models.CharField(max_length=63)
    namespace = models.CharField(max_length=63, blank=True)
    name = models.CharField(max_length=253)
    object = models.TextField()
    prev_object = models.TextField(null=True)  # noqa: DJ001 - NULL means "did not exist"
    created_at = models.FloatField()

    class Meta:
        db_table = "store_event"
        indexes = [models.Index(fields=["kind", "revision"], name="store_event_kind_rev")]

    def __str__(self) -> str:
        return f"{self.revision} {self.type} {self.kind} {self.namespace}/{self.name}"


class StoreMeta(models.Model):
    id = models.SmallIntegerField(primary_key=True)
    revision = models.BigIntegerField(default=0)
    compacted = models.BigIntegerField(default=0)

    class Meta:
        db_table = "store_meta"

    def __str__(self) -> str:
        return f"revision {self.revision} (compacted {self.compacted})"


class StoreLock(models.Model):
    name = models.CharField(max_length=255, primary_key=True)
    holder = models.CharField(max_length=255)
    expires_at = models.FloatField()
    dirty = models.BooleanField(default=False)

    class Meta:
        db_table = "store_lock"

    def __str__(self) -> str:
        return f"{self.name} held by {self.holder}"
