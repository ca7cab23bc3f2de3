"""Transactional tests (``django_db(transaction=True)``): their rows are committed, so other
connections (threads, worker processes) see them. Such a test empties every table when it
ends; :func:`seeded_database_kept` saves the seeded database (demo content) before the
module's tests and loads it back after them, for the tests that follow."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection


@pytest.fixture(scope="module")
def seeded_database_kept(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    with django_db_blocker.unblock():
        saved = connection.creation.serialize_db_to_string()
    yield
    with django_db_blocker.unblock():
        # Empty again without re-creating content types (the saved ones come back as saved).
        call_command("flush", interactive=False, inhibit_post_migrate=True, verbosity=0)
        connection.creation.deserialize_db_from_string(saved)
        # Rows came back with their ids: the sequences follow, or the next insert collides.
        reset = connection.ops.sequence_reset_sql(no_style(), apps.get_models())
        with connection.cursor() as cursor:
            for statement in reset:
                cursor.execute(statement)
