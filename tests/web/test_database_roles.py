"""``manage.py persx_database_roles``: the role row-level security binds, on real PostgreSQL
(persx/events/management/commands/persx_database_roles.py); nothing to do on SQLite."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from persx.events.models import Event
from persx.http.row_security import WEB_ROLE


@pytest.mark.django_db
def test_the_command_grants_the_web_role_on_postgresql_and_says_so_on_sqlite() -> None:
    first, second = StringIO(), StringIO()
    call_command("persx_database_roles", stdout=first)
    if connection.vendor != "postgresql":
        assert "not PostgreSQL" in first.getvalue()
        return
    call_command("persx_database_roles", stdout=second)  # idempotent
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT session_user, pg_has_role(session_user, %s, 'MEMBER'), "
            "has_table_privilege(%s, %s, 'INSERT')",
            [WEB_ROLE, WEB_ROLE, Event._meta.db_table],
        )
        login, member, may_insert = cursor.fetchone()
    assert (member, may_insert) == (True, True)
    for out in (first, second):
        assert f"{WEB_ROLE}: granted to {login}" in out.getvalue()


@pytest.mark.postgresql
@pytest.mark.django_db
def test_a_step_that_fails_names_the_role_and_the_cause() -> None:
    with pytest.raises(CommandError, match=rf"could not set up {WEB_ROLE}: .*no_such_login"):
        call_command("persx_database_roles", "--member", "no_such_login", stdout=StringIO())
