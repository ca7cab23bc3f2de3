"""The one statement that stores a batch of event rows: every write of the event log ends here.

:func:`insert_batch` takes the parameter tuples of :mod:`persx.events.event_row` (one per
event, in :data:`~persx.events.event_row.EVENT_COLUMNS` order) and stores them in the
caller's transaction, skipping every ``event_id`` already stored or repeated earlier in the
same batch; it returns how many rows were new. Callers make it durable
(``persx.events.durable_write``) and decide consent and tombstones before
(``persx.events.services``).

PostgreSQL: **one statement per batch**, whatever its size. The rows travel as one array per
column and come back as rows through ``unnest`` (no per-row statement, no per-row parse or
plan); the events table is partitioned by month (``persx.events.partitions``), so the unique
id lives in ``ReceivedEventId``::

    WITH incoming AS (SELECT DISTINCT ON (event_id) … FROM unnest(%s::uuid[], …)
                      WITH ORDINALITY … ORDER BY event_id, n),   -- first of repeated ids
         received AS (INSERT INTO received_ids … SELECT … FROM incoming
                      ON CONFLICT DO NOTHING RETURNING event_id) -- the ids new to the site
    INSERT INTO events (…) SELECT … FROM incoming JOIN received USING (event_id)
        ORDER BY n                                               -- ids in batch order

Each row is routed to its month's partition by PostgreSQL itself. One statement is atomic:
when any row fails (a constraint), nothing of the batch is stored.

The arrays go to the server as **bound parameters in binary** (a psycopg server-binding
cursor, ``%b`` placeholders), not as SQL text: Django's default psycopg cursor binds on the
client, which quotes every element of every array into the statement's text in Python (a
regular-expression escape per text value: ~5 ms of CPU per batch of 100, the largest cost
of a batch). Bound in binary, each element goes through psycopg's C dumpers (~1.3 ms per
batch of 100, bench/results). The statement's text is the same for every batch; it is not
kept prepared, as Django switches psycopg's automatic preparing off by default (so that a
transaction-mode connection pooler keeps working; ``OPTIONS["prepare_threshold"]`` turns it
on where no such pooler sits in between). The cursor is still Django's wrapper (query
logging, execute wrappers, ``OperationalError`` for the retries of
``persx.events.durable_write``).

SQLite: one prepared ``INSERT … ON CONFLICT (event_id) DO NOTHING`` run over all rows
(``executemany``, a single prepared statement in SQLite's own loop); its events table keeps
the unique index, and the driver's summed ``rowcount`` is the number of new rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from django.db import connection
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper

from persx.events.event_row import EVENT_COLUMNS, FUTURE_TOLERANCE, MAX_AGE
from persx.events.models import Event, ReceivedEventId
from persx.eventstore.selection import columnar_store


def insert_batch(params: Sequence[tuple[Any, ...]]) -> int:
    """Store ``params`` (rows in ``EVENT_COLUMNS`` order) in the current transaction with one
    statement on PostgreSQL, skipping known and repeated ``event_id``s; the rows added."""
    if not params:
        return 0
    columnar = columnar_store()
    if columnar is not None:  # PERSX['EVENT_STORE'] = 'clickhouse': raw events go there
        return columnar.append(params)
    if connection.vendor == "postgresql":
        columns = [list(column) for column in zip(*params, strict=True)]
        with _server_binding_cursor() as cursor:
            cursor.execute(_postgresql_sql(), columns)
            inserted = cursor.rowcount
    else:
        with connection.cursor() as cursor:
            cursor.executemany(_sqlite_sql(), params)
            inserted = cursor.rowcount
    return inserted if inserted >= 0 else len(params)


def _server_binding_cursor() -> CursorWrapper:
    """A Django cursor (logging, execute wrappers, Django's database errors) over a psycopg
    cursor that sends parameters apart from the statement (server-side binding)."""
    import psycopg

    connection.ensure_connection()
    raw = psycopg.Cursor(connection.connection)
    wrapper = CursorDebugWrapper if connection.queries_logged else CursorWrapper
    return wrapper(raw, connection)


@cache
def _sqlite_sql() -> str:
    quote = connection.ops.quote_name
    meta = Event._meta
    column = {f.name: str(f.column) for f in meta.concrete_fields}
    columns = ", ".join(quote(column[name]) for name in EVENT_COLUMNS)
    placeholders = ", ".join(["%s"] * len(EVENT_COLUMNS))
    unique = quote(column["event_id"])
    return (
        f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({placeholders}) "
        f"ON CONFLICT ({unique}) DO NOTHING"
    )


@cache
def _postgresql_sql() -> str:
    """The unnest statement: one array parameter per column of ``EVENT_COLUMNS``, typed."""
    quote = connection.ops.quote_name
    fields = {f.name: f for f in Event._meta.concrete_fields}
    column = {name: quote(str(fields[name].column)) for name in fields}
    # %b: each array bound as a parameter in binary (see the module's docstring).
    arrays = ", ".join(f"%b::{fields[name].db_type(connection)}[]" for name in EVENT_COLUMNS)
    names = ", ".join(column[name] for name in EVENT_COLUMNS)
    picked = ", ".join(f"i.{column[name]}" for name in EVENT_COLUMNS)
    event_id, occurred_at = column["event_id"], column["occurred_at"]
    window = int((MAX_AGE + FUTURE_TOLERANCE).total_seconds())  # replays accepted this long
    received = ReceivedEventId._meta
    received_id = quote(str(received.pk.column))
    return (
        f"WITH incoming AS (SELECT DISTINCT ON ({event_id}) {names}, n "
        f"FROM unnest({arrays}) WITH ORDINALITY AS t({names}, n) ORDER BY {event_id}, n), "
        f"received AS (INSERT INTO {quote(received.db_table)} ({received_id}, replayable_until) "
        f"SELECT {event_id}, {occurred_at} + interval '{window} seconds' FROM incoming "
        f"ON CONFLICT DO NOTHING RETURNING {received_id}) "
        f"INSERT INTO {quote(Event._meta.db_table)} ({names}) "
        f"SELECT {picked} FROM incoming i JOIN received r ON r.{received_id} = i.{event_id} "
        f"ORDER BY i.n"  # ids in the batch's order: ties of time are ordered by arrival
    )
