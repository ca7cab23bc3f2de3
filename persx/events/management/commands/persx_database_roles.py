"""``manage.py persx_database_roles``: the PostgreSQL role the visitor-facing writes run as."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from persx.http.row_security import WEB_ROLE, forget_role_check

PRIVILEGES = (
    "GRANT USAGE ON SCHEMA {schema} TO {role}",
    "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role}",
    "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {role}",
    "ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} "
    "GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role}",
    "ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT USAGE, SELECT ON SEQUENCES TO {role}",
)


class Command(BaseCommand):
    help = (
        f"PostgreSQL: create the role {WEB_ROLE} (subject to the row-level security of the "
        "visitor tables), grant it to the login role(s) and give it the data privileges of "
        "this database. Idempotent; needs a superuser or CREATEROLE for the first run. "
        "Nothing on SQLite."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--member",
            action="append",
            default=[],
            help="Login role allowed to switch to the web role (default: the connected one).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            self.stdout.write("not PostgreSQL: row-level security is not used, nothing to do")
            return
        quote = connection.ops.quote_name
        role = quote(WEB_ROLE)
        with connection.cursor() as cursor:
            cursor.execute("SELECT session_user, current_schema()")
            login, schema = cursor.fetchone()
            members = options["member"] or [login]
            cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [WEB_ROLE])
            try:
                if cursor.fetchone() is None:
                    cursor.execute(f"CREATE ROLE {role} NOLOGIN")
                    self.stdout.write(f"created role {WEB_ROLE}")
                for member in members:
                    cursor.execute(f"GRANT {role} TO {quote(member)}")
                for statement in PRIVILEGES:
                    cursor.execute(statement.format(schema=quote(schema), role=role))
            except Exception as exc:  # psycopg's errors differ by cause; say which step
                raise CommandError(f"could not set up {WEB_ROLE}: {exc}") from exc
        forget_role_check()
        self.stdout.write(
            f"{WEB_ROLE}: granted to {', '.join(members)}; data privileges in schema {schema}"
        )
