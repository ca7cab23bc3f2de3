"""PostgreSQL row-level security: a visitor's request reads and writes only that visitor's rows.

Defence in depth for the tables keyed by visitor id (events, visitor profile records, leads,
inference examples, the analytics' per-visitor rollup rows; the policies are made by the
migration ``persx_events.0006_row_security``). Each has one policy::

    visitor_id = ANY (NULLIF(current_setting('persx.visitor_ids', true), '')::text[])

It binds the role :data:`WEB_ROLE` (``persx_web``); the application's own login role owns
the tables and is not subject to it (no ``FORCE``), which is what the admin, the reports,
the rollups, the monitor and the exposure writer (many visitors per statement) run as.

:func:`visitor_rows` is how a visitor-facing write declares whose rows it touches: inside one
transaction it sets the visitor ids and switches to ``persx_web`` with ``set_config(…,
true)`` (the same as ``SET LOCAL``). Both are **transaction-local**: when the transaction ends,
committed or rolled back, PostgreSQL resets them, so a pooled connection (``CONN_MAX_AGE``)
never carries a visitor into the next request. Nested inside an outer transaction (a
savepoint), the previous values are put back when the block ends normally; a rolled-back
savepoint undoes them by itself.

What this buys: a query that forgets its ``visitor_id`` filter inside such a block returns
nothing of other visitors (and an insert for another visitor fails) instead of leaking.
Rows without a visitor id (``""``: events and leads of visitors without a profile) form one
bucket, the scope of a visitor without a profile.

On SQLite, or when ``PERSX["ROW_SECURITY"]`` is off, :func:`visitor_rows` is only a
transaction. When the role is missing or not granted to the login role
(``manage.py persx_database_roles`` makes both), it logs an error once per process and
runs without the role switch: the site keeps working, without the defence.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction
from django.db.backends.utils import CursorWrapper

from persx.config import config

logger = logging.getLogger("persx.http")

WEB_ROLE = "persx_web"
VISITOR_SETTING = "persx.visitor_ids"
# The policy on every visitor-keyed table (as made by migration persx_events.0006).
POLICY_NAME = "visitor_rows"
# NULLIF: once set in a session, an ended transaction leaves '' (not NULL) behind.
POLICY_USING = f"visitor_id = ANY (NULLIF(current_setting('{VISITOR_SETTING}', true), '')::text[])"

# database name → whether the login role may switch to WEB_ROLE (checked once per process)
_role_usable: dict[str, bool] = {}


def row_security_enabled() -> bool:
    return connection.vendor == "postgresql" and config().row_security


def visitor_ids_literal(visitor_ids: tuple[str, ...]) -> str:
    """The ids as a PostgreSQL text-array literal (``{"a","b"}``; ``{""}`` for no profile)."""
    quoted = ('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in visitor_ids)
    return "{" + ",".join(quoted) + "}"


def _web_role_usable() -> bool:
    name = str(connection.settings_dict["NAME"])
    usable = _role_usable.get(name)
    if usable is None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = %s) "
                "AND pg_has_role(session_user, %s, 'MEMBER')",
                [WEB_ROLE, WEB_ROLE],
            )
            usable = bool(cursor.fetchone()[0])
        _role_usable[name] = usable
        if not usable:
            logger.error(
                "row-level security is not active: role %s is missing or not granted to "
                "the login role; run `manage.py persx_database_roles`",
                WEB_ROLE,
            )
    return usable


def forget_role_check() -> None:
    """Check the role again on next use (after ``persx_database_roles`` ran in-process)."""
    _role_usable.clear()


@contextmanager
def visitor_rows(*visitor_ids: str) -> Iterator[None]:
    """A transaction (a savepoint inside one) that sees only the rows of ``visitor_ids``."""
    if not row_security_enabled():
        with transaction.atomic():
            yield
        return
    ids = visitor_ids_literal(visitor_ids)
    nested = connection.in_atomic_block
    switch = _web_role_usable()
    with transaction.atomic(), connection.cursor() as cursor:
        previous: tuple[str, str] | None = None
        if nested:
            cursor.execute(
                "SELECT COALESCE(current_setting(%s, true), ''), "
                "CASE WHEN current_user = session_user THEN 'none' ELSE current_user END",
                [VISITOR_SETTING],
            )
            setting, role = cursor.fetchone()
            previous = (str(setting), str(role))
        _set(cursor, ids, WEB_ROLE if switch else None)
        yield
        if previous is not None:
            _set(cursor, previous[0], previous[1] if switch else None)


def _set(cursor: CursorWrapper, ids: str, role: str | None) -> None:
    if role is None:
        cursor.execute("SELECT set_config(%s, %s, true)", [VISITOR_SETTING, ids])
    else:
        cursor.execute(
            "SELECT set_config(%s, %s, true), set_config('role', %s, true)",
            [VISITOR_SETTING, ids, role],
        )
