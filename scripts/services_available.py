"""Exit 0 when PostgreSQL and Redis answer (for the second test pass); else say why, exit 1.

URLs come from PERSX_TEST_DATABASE_URL / PERSX_TEST_REDIS_URL (defaults: 127.0.0.1).
"""

from __future__ import annotations

import os
import sys

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS = "redis://127.0.0.1:6379/1"


def main() -> int:
    db_url = os.environ.get("PERSX_TEST_DATABASE_URL", DEFAULT_DB)
    redis_url = os.environ.get("PERSX_TEST_REDIS_URL", DEFAULT_REDIS)
    problems = []
    try:
        import psycopg

        with psycopg.connect(db_url, connect_timeout=3) as conn:
            conn.execute("select 1")
    except Exception as exc:
        problems.append(f"PostgreSQL at {db_url} is not reachable ({type(exc).__name__}: {exc})")
    try:
        import redis

        redis.Redis.from_url(redis_url, socket_timeout=3).ping()
    except Exception as exc:
        problems.append(f"Redis at {redis_url} is not reachable ({type(exc).__name__}: {exc})")
    for problem in problems:
        print(f"!!! {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
