"""The two sites the production benches serve: PersX and a stock Wagtail project, each on
its own PostgreSQL database with a Redis cache, with the same content.

- PersX: ``bench/production_settings.py`` (``persx.settings.production``, plain http on
  127.0.0.1, the personalization master switch from ``PERSX_BENCH_PERSONALIZATION``) on
  PostgreSQL ``persx_bench`` and Redis database 14, prepared as ``make serve`` prepares
  the production setup (migrate, the event partitions, the demo site, collectstatic).
- stock Wagtail: ``bench/stock_wagtail`` (``wagtail start``'s settings and URLs, no PersX
  code) on PostgreSQL ``stock_bench`` and Redis database 15 (Django's Redis cache), each
  PersX demo page copied as a stock page with the same path, title and text.

Both databases are dropped and created afresh for each run (``PERSX_BENCH_DATABASE_URL``,
``PERSX_BENCH_STOCK_DATABASE_URL``, ``PERSX_BENCH_REDIS_URL`` and
``PERSX_BENCH_STOCK_REDIS_URL`` name others); both Redis databases are flushed.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from harness.site_process import gunicorn_argv  # noqa: E402

PERSX_DATABASE_URL = os.environ.get(
    "PERSX_BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/persx_bench"
)
STOCK_DATABASE_URL = os.environ.get(
    "PERSX_BENCH_STOCK_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/stock_bench"
)
PERSX_REDIS_URL = os.environ.get("PERSX_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
STOCK_REDIS_URL = os.environ.get("PERSX_BENCH_STOCK_REDIS_URL", "redis://127.0.0.1:6379/15")
STOCK_CONFIG = ROOT / "bench" / "stock_wagtail" / "gunicorn.conf.py"
SECRET_KEY = secrets.token_urlsafe(50)


@dataclass(frozen=True, slots=True)
class Project:
    name: str
    env: dict[str, str]
    argv: list[str]  # gunicorn, its config and the WSGI application, last
    paths: list[str]
    query: bool  # whether pages are requested as visitors of an industry


def _without_services(environ: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}


def persx_env(var: Path) -> dict[str, str]:
    return _without_services(dict(os.environ)) | {
        "PERSX_VAR_DIR": str(var),
        "DJANGO_SETTINGS_MODULE": "bench.production_settings",
        "DATABASE_URL": PERSX_DATABASE_URL,
        "REDIS_URL": PERSX_REDIS_URL,
        "DJANGO_SECRET_KEY": SECRET_KEY,
        "PERSX_TLS": "0",  # plain http on 127.0.0.1, as `make serve`
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "PERSX_CONSENT_MODE": "opt_out",  # pages are personalized without a consent click
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",
    }


def stock_env(folder: Path) -> dict[str, str]:
    return _without_services(dict(os.environ)) | {
        "STOCK_WAGTAIL_DIR": str(folder),
        "DJANGO_SETTINGS_MODULE": "bench.stock_wagtail.settings",
        "STOCK_DATABASE_URL": STOCK_DATABASE_URL,
        "STOCK_REDIS_URL": STOCK_REDIS_URL,
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",
    }


def run(argv: list[str], env: dict[str, str], stdin: str | None = None) -> str:
    done = subprocess.run(
        argv, cwd=ROOT, env=env, input=stdin, capture_output=True, text=True, timeout=1800
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed:\n{done.stdout[-2000:]}{done.stderr[-3000:]}")
    return done.stdout


def fresh_database(url: str) -> None:
    """Drop and create the PostgreSQL database ``url`` names (never the server's own)."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name.endswith("_bench"):
        raise ValueError(f"the bench only recreates databases named *_bench, not {name!r}")
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True, connect_timeout=5) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def flush_redis(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


def export_pages() -> None:
    """(In a PersX process) print the demo site's live pages: path, title and text."""
    import django

    django.setup()
    from wagtail.models import Site

    root = Site.objects.get(is_default_site=True).root_page
    pages = []
    for page in root.get_descendants(inclusive=True).live().specific():
        body = getattr(page, "body", None)
        texts = list(_texts(getattr(body, "raw_data", body)))
        path = page.url_path[len(root.url_path) - 1 :]
        pages.append({"path": path, "title": page.title, "texts": texts})
    print(json.dumps(pages))


def _texts(value: object, key: str = "") -> Iterator[tuple[str, str]]:
    """("heading" | "paragraph", text) for every text in a block value, variants included."""
    if isinstance(value, str):
        value = re.sub(r"<[^>]+>", " ", value)
        if value.strip() and not value.startswith(("http", "/")) and len(value) > 2:
            kind = "heading" if key in {"heading", "title", "headline"} else "paragraph"
            yield kind, value[:255] if kind == "heading" else value
    elif isinstance(value, dict):
        for name, item in value.items():
            if name not in {"id", "type", "key"}:
                yield from _texts(item, name)
    elif isinstance(value, list):
        for item in value:
            yield from _texts(item, key)


def seed_stock() -> None:
    """(In a stock Wagtail process) the pages read on stdin, under a new site root."""
    import django

    django.setup()
    from wagtail.models import Page, Site

    from bench.stock_wagtail.pages.models import StockPage

    pages = sorted(json.load(sys.stdin), key=lambda p: p["path"].count("/"))
    root = Page.get_first_root_node()
    by_path: dict[str, Page] = {}
    for item in pages:
        body = [{"type": kind, "value": text} for kind, text in item["texts"]]
        if item["path"] == "/":
            page = StockPage(title=item["title"], slug="stock-home", body=body)
            root.add_child(instance=page)
            Site.objects.update(root_page=page, hostname="127.0.0.1", is_default_site=True)
        else:
            parent_path, slug = item["path"].rstrip("/").rsplit("/", 1)
            parent = by_path[parent_path + "/"]
            page = StockPage(title=item["title"], slug=slug, body=body)
            parent.add_child(instance=page)
        by_path[item["path"]] = page
    Page.objects.filter(depth=2).exclude(pk=by_path["/"].pk).delete()  # Wagtail's welcome page


def prepare(folder: Path) -> tuple[Project, Project]:
    """Both sites, migrated and seeded with the same content, ready to serve."""
    print(
        "Preparing PersX (production settings, PostgreSQL + Redis) and the stock Wagtail "
        "copy (PostgreSQL + Redis)...",
        flush=True,
    )
    py = sys.executable
    persx, stock = persx_env(folder / "persx"), stock_env(folder / "stock")
    (folder / "stock").mkdir(parents=True, exist_ok=True)
    for url in (PERSX_DATABASE_URL, STOCK_DATABASE_URL):
        fresh_database(url)
    for url in (PERSX_REDIS_URL, STOCK_REDIS_URL):
        flush_redis(url)
    manage = [py, "manage.py"]
    run([*manage, "migrate", "--noinput", "-v", "0"], persx)
    run([*manage, "persx_events_partitions", "--ahead", "3"], persx)
    run([*manage, "seed_demo"], persx)
    run([*manage, "collectstatic", "--noinput", "-v", "0"], persx)
    pages = run([py, "-m", "bench.production_site", "export"], persx)
    run([py, "-m", "django", "migrate", "--noinput", "-v", "0"], stock)
    run([py, "-m", "bench.production_site", "seed-stock"], stock, stdin=pages)
    paths = [p["path"] for p in json.loads(pages)]
    stock_argv = [py, "-m", "gunicorn", "-c", str(STOCK_CONFIG), "bench.stock_wagtail.wsgi"]
    return (
        Project("PersX", persx, gunicorn_argv(app="persx.wsgi"), paths, True),
        Project("stock Wagtail", stock, stock_argv, paths, False),
    )


if __name__ == "__main__":
    if sys.argv[1:] == ["export"]:
        export_pages()
    elif sys.argv[1:] == ["seed-stock"]:
        seed_stock()
    else:
        sys.exit("usage: python -m bench.production_site export | seed-stock")
