"""Create the PostgreSQL database named in DATABASE_URL when it does not exist yet.

Used by `make serve` so a fresh machine needs no manual `createdb`. Exit 1 with the reason
when PostgreSQL cannot be reached.
"""

from __future__ import annotations

import os
import sys
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql


def main() -> int:
    url = os.environ["DATABASE_URL"]
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    try:
        with psycopg.connect(maintenance, autocommit=True, connect_timeout=5) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if exists.fetchone() is None:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                print(f"created database {name}")
    except psycopg.OperationalError as exc:
        print(f"!!! PostgreSQL is not reachable at {parts.hostname}:{parts.port}: {exc}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
