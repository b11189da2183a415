"""A PostgreSQL function that aborts a create whose parent (``Store.create(within=...)``) is
missing or terminating, with an error code that says which.

Like ``pilothouse_lost_race`` (0002), its error rolls the whole write statement back, counter
bump included; the code is the SQLSTATE the store maps back to an error: PH001 lost race,
PH002 parent missing, PH003 parent terminating.
"""

from __future__ import annotations

from django.db import migrations

from cluster.store.pgsql import on_postgresql

_CREATE = """
CREATE OR REPLACE FUNCTION pilothouse_refuse(code text) RETURNS bigint
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = code, MESSAGE = 'store write refused';
END
$$
"""
_DROP = "DROP FUNCTION IF EXISTS pilothouse_refuse(text)"


class Migration(migrations.Migration):
    dependencies = [("store", "0003_locks")]

    operations = [on_postgresql(_CREATE, _DROP)]
