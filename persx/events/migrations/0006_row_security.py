"""PostgreSQL: row-level security on the tables keyed by visitor id (persx/http/row_security.py).

Nothing happens on SQLite. On PostgreSQL each table below gets ``ENABLE ROW LEVEL SECURITY``
and one policy, ``visitor_rows``: a row is visible and writable when its ``visitor_id`` is
one of the transaction's ``persx.visitor_ids`` (none when unset). Not ``FORCE``d: the tables' owner (the
application's login role: admin, reports, rollups, jobs) is not subject to it; the role
``persx_web`` is. The monthly partitions of the events table get the same policy, so reading
a partition directly is no way around it (``persx.events.partitions`` adds it to new ones).

The role itself is cluster-wide: this migration creates ``persx_web`` and grants it to the
login role when it is allowed to (a superuser, or CREATEROLE: the local setup and the
tests); otherwise it says so, and ``manage.py persx_database_roles`` run by an administrator
does it (docs/operations.md). Either way it grants ``persx_web`` the data privileges in this
database's schema (tables and sequences, now and, by default privileges, later).

The table list lives here, not imported, so the migration stays what it was.
"""

from __future__ import annotations

from django.db import migrations

POLICY = "visitor_rows"
# NULLIF: once set in a session, an ended transaction leaves '' (not NULL) behind.
USING = "visitor_id = ANY (NULLIF(current_setting('persx.visitor_ids', true), '')::text[])"
TABLES = (
    "persx_events_event",
    "persx_profiles_visitorprofilerecord",
    "persx_leads_lead",
    "persx_inference_inferenceexample",
    "persx_analytics_experimentvisitor",
    "persx_analytics_visitorconversion",
    "persx_demo_simulatedvisitor",
)
EVENT_PARTITIONS = """
    SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    JOIN pg_class p ON p.oid = i.inhparent
    WHERE p.relname = 'persx_events_event' AND pg_table_is_visible(p.oid)
"""

CREATE_ROLE = """
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'persx_web') THEN
    CREATE ROLE persx_web NOLOGIN;
  END IF;
EXCEPTION
  WHEN duplicate_object OR unique_violation THEN NULL;  -- made meanwhile by another database
  WHEN insufficient_privilege THEN
    RAISE WARNING 'cannot create role persx_web: run manage.py persx_database_roles as an administrator';
END $$;
"""

GRANTS = """
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'persx_web') THEN
    RETURN;
  END IF;
  BEGIN
    IF NOT pg_has_role(session_user, 'persx_web', 'MEMBER') THEN
      EXECUTE format('GRANT persx_web TO %I', session_user);
    END IF;
  EXCEPTION WHEN insufficient_privilege THEN
    RAISE WARNING 'cannot grant persx_web to %: run manage.py persx_database_roles', session_user;
  END;
  EXECUTE format('GRANT USAGE ON SCHEMA %I TO persx_web', current_schema());
  EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I TO persx_web', current_schema());
  EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA %I TO persx_web', current_schema());
  EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO persx_web', current_schema());
  EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT USAGE, SELECT ON SEQUENCES TO persx_web', current_schema());
END $$;
"""


def _protect(cursor: object, table: str) -> None:
    cursor.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    cursor.execute(f"DROP POLICY IF EXISTS {POLICY} ON {table}")
    cursor.execute(f"CREATE POLICY {POLICY} ON {table} USING ({USING}) WITH CHECK ({USING})")


def _enable(apps: object, schema_editor: object) -> None:
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(EVENT_PARTITIONS)
        partitions = [row[0] for row in cursor.fetchall()]
        for table in (*TABLES, *partitions):
            _protect(cursor, table)
        cursor.execute(CREATE_ROLE)
        cursor.execute(GRANTS)


def _disable(apps: object, schema_editor: object) -> None:
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(EVENT_PARTITIONS)
        partitions = [row[0] for row in cursor.fetchall()]
        for table in (*TABLES, *partitions):
            cursor.execute(f"DROP POLICY IF EXISTS {POLICY} ON {table}")
            cursor.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")


class Migration(migrations.Migration):
    dependencies = [
        ("persx_events", "0005_partition_events_by_month"),
        ("persx_profiles", "0001_initial"),
        ("persx_leads", "0001_initial"),
        ("persx_inference", "0001_initial"),
        ("persx_analytics", "0003_analysts_group"),
        ("persx_demo", "0001_simulation_markers"),
    ]

    operations = [migrations.RunPython(_enable, _disable, elidable=False)]
