"""A PostgreSQL function that aborts a write statement which changed nothing.

Each store write on PostgreSQL is one statement that bumps the revision counter and changes
an object. When the compare-and-swap finds the row moved on (or a create finds the name
taken), the statement calls this function, whose error rolls the whole statement back,
counter bump included, so the revision log stays gap-free without an explicit transaction.
"""

from __future__ import annotations

from django.db import migrations

from cluster.store.pgsql import on_postgresql

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


class Migration(migrations.Migration):
    dependencies = [("store", "0001_initial")]

    operations = [on_postgresql(_CREATE, _DROP)]
