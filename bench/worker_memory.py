"""Lean workers: memory per gunicorn worker, worker start, a management command's start.

Two servers serve the same content, one after the other, each with 2 gunicorn workers
(gthread, 4 threads) on its own fresh SQLite database, DEBUG off:

- PersX: ``deploy/gunicorn.conf.py`` on ``persx.settings.base`` (the production settings
  without TLS and without the collected-static manifest), the demo site seeded, every
  public page requested in turn as visitors of rotating industries (personalized pages);
- stock Wagtail: ``bench/stock_wagtail`` (``wagtail start``'s settings and URLs, no PersX
  code), each PersX demo page copied as a stock page with the same path, title and text.

Each is measured with the application loaded before fork (``--preload``; the shipped
default) and loaded by each worker. After ``PERSX_BENCH_WORKER_PAGES`` pages (default 500)
the bench reads each worker's proportional set size (PSS: a page shared by two workers
counts half in each) and resident set size from ``/proc/<pid>/smaps_rollup``, each
worker's start (fork to accepting requests, from the ``post_worker_init`` log line; the
same hooks are given to the stock server) and its first page. Goal: PersX's PSS per worker
<= 1.3x the stock worker's (both preloaded), worker start <= 2 s. Then the CPU time
(user + system) of ``manage.py help`` from start to exit, median of 5. Goal: <= 1 s.

Run: ``.venv/bin/python bench/worker_memory.py`` (output kept in bench/results/).
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.record import load_average, recorded_run  # noqa: E402
from harness.site_process import free_port, gunicorn_argv, running  # noqa: E402

PAGES = int(os.environ.get("PERSX_BENCH_WORKER_PAGES", "500"))
STOCK_CONFIG = ROOT / "bench" / "stock_wagtail" / "gunicorn.conf.py"
INDUSTRIES = ("saas", "healthcare", "fintech", "manufacturing")
READY_LINE = re.compile(r"worker (\d+) ready ([0-9.]+) s after fork")
ACCESS_LINE = re.compile(r"served pid=<?(\d+)>? (\S+) (\d{3}) (\d+)$")
ACCESS_FORMAT = "--access-logformat 'served pid=%(p)s %(U)s %(s)s %(M)s'"
GOAL_PSS_RATIO = 1.3
GOAL_WORKER_START_S = 2.0
GOAL_COMMAND_CPU_S = 1.0


@dataclass(frozen=True, slots=True)
class Project:
    name: str
    env: dict[str, str]
    argv: list[str]
    paths: list[str]
    query: bool  # whether pages are requested as visitors of an industry


@dataclass(frozen=True, slots=True)
class WorkerFigures:
    pss_mb: list[float]
    rss_mb: list[float]
    ready_s: list[float]
    first_page_ms: list[float]
    master_pss_mb: float


def _run(argv: list[str], env: dict[str, str], stdin: str | None = None) -> str:
    done = subprocess.run(
        argv, cwd=ROOT, env=env, input=stdin, capture_output=True, text=True, timeout=1200
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed:\n{done.stdout[-2000:]}{done.stderr[-3000:]}")
    return done.stdout


def persx_env(var: Path) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    return keep | {
        "PERSX_VAR_DIR": str(var),
        "DJANGO_SETTINGS_MODULE": "persx.settings.base",
        "PERSX_CONSENT_MODE": "opt_out",  # pages are personalized without a consent click
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",
    }


def stock_env(folder: Path) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    return keep | {
        "STOCK_WAGTAIL_DIR": str(folder),
        "DJANGO_SETTINGS_MODULE": "bench.stock_wagtail.settings",
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",
    }


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
    print("Preparing the PersX demo database and the stock Wagtail copy...", flush=True)
    py = sys.executable
    persx, stock = persx_env(folder / "persx"), stock_env(folder / "stock")
    (folder / "stock").mkdir(parents=True)
    _run([py, "manage.py", "migrate", "--noinput", "-v", "0"], persx)
    _run([py, "manage.py", "seed_demo"], persx)
    pages = _run([py, "bench/worker_memory.py", "export"], persx)
    _run([py, "-m", "django", "migrate", "--noinput", "-v", "0"], stock)
    _run([py, "bench/worker_memory.py", "seed-stock"], stock, stdin=pages)
    paths = [p["path"] for p in json.loads(pages)]
    stock_argv = [py, "-m", "gunicorn", "-c", str(STOCK_CONFIG), "bench.stock_wagtail.wsgi"]
    return (
        Project("PersX", persx, gunicorn_argv(app="persx.wsgi"), paths, True),
        Project("stock Wagtail", stock, stock_argv, paths, False),
    )


def worker_pids(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return sorted(int(pid) for pid in children)


def memory_mb(pid: int) -> tuple[float, float]:
    """(PSS, RSS) of a process in MB, from /proc/<pid>/smaps_rollup."""
    fields = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, value = line.split(":", 1)
        fields[name] = int(value.split()[0])
    return fields["Pss"] / 1024, fields["Rss"] / 1024


def _get(url: str) -> None:
    with urllib.request.urlopen(url, timeout=120) as response:
        response.read()
        assert response.status == 200, (url, response.status)


@contextmanager
def serving(project: Project, preload: bool, log: Path) -> Iterator[tuple[str, int]]:
    port = free_port()
    argv = [*project.argv[:-1], "--bind", f"127.0.0.1:{port}", "--workers", "2"]
    argv += ["--threads", "4", "--access-logfile", "-", project.argv[-1]]
    env = project.env | {
        "PERSX_PRELOAD_APP": "1" if preload else "0",
        "GUNICORN_CMD_ARGS": ACCESS_FORMAT + (" --preload" if preload else ""),
    }
    url = f"http://127.0.0.1:{port}"
    with running(argv, env, log, url + "/") as proc:
        yield url, proc.pid


def measure(project: Project, preload: bool, folder: Path) -> WorkerFigures:
    log = folder / f"{project.name.replace(' ', '-')}-{'preload' if preload else 'each'}.log"
    with serving(project, preload, log) as (url, master):
        urls = []
        for i in range(PAGES):
            path = project.paths[i % len(project.paths)]
            query = f"?industry={INDUSTRIES[i % len(INDUSTRIES)]}" if project.query else ""
            urls.append(f"{url}{path}{query}")
        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(_get, urls))
        pids = worker_pids(master)
        memory = [memory_mb(pid) for pid in pids]
        master_pss = memory_mb(master)[0]
        time.sleep(1)  # let the access log reach the file
    text = log.read_text(errors="replace")
    ready = {int(m[1]): float(m[2]) for m in READY_LINE.finditer(text)}
    first: dict[int, float] = {}
    for line in text.splitlines():
        found = ACCESS_LINE.search(line.strip().strip('"'))
        if found and int(found[1]) in pids:
            first.setdefault(int(found[1]), float(found[4]))
    return WorkerFigures(
        [m[0] for m in memory],
        [m[1] for m in memory],
        [ready[pid] for pid in pids if pid in ready],
        [first[pid] for pid in pids if pid in first],
        master_pss,
    )


def command_cpu_s(argv: list[str], env: dict[str, str], runs: int = 5) -> float:
    """Median user + system CPU seconds of a command from start to exit."""
    cpu = []
    for _ in range(runs):
        proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} exited with {proc.returncode}")
        cpu.append(usage.ru_utime + usage.ru_stime)
    return statistics.median(cpu)


def _mb(values: list[float]) -> str:
    return f"{statistics.mean(values):.1f} MB (" + ", ".join(f"{v:.1f}" for v in values) + ")"


def main() -> int:
    folder = Path(tempfile.mkdtemp(prefix="persx-worker-memory-"))
    persx, stock = prepare(folder)
    print(
        f"\n== Memory per gunicorn worker: 2 workers x 4 threads, after {PAGES} pages "
        f"({len(persx.paths)} pages in turn, 4 clients) =="
    )
    figures: dict[tuple[str, bool], WorkerFigures] = {}
    for project in (persx, stock):
        for preload in (True, False):
            load = load_average()
            got = measure(project, preload, folder)
            figures[project.name, preload] = got
            mode = "preloaded" if preload else "loaded by each worker"
            print(
                f"{project.name:>13}, {mode:<21}: PSS {_mb(got.pss_mb)}, RSS {_mb(got.rss_mb)}; "
                f"start {', '.join(f'{s:.3f}' for s in got.ready_s)} s; first page "
                f"{', '.join(f'{ms:.0f}' for ms in got.first_page_ms)} ms; master PSS "
                f"{got.master_pss_mb:.1f} MB, server PSS per worker "
                f"{(sum(got.pss_mb) + got.master_pss_mb) / len(got.pss_mb):.1f} MB; load {load}",
                flush=True,
            )
    ours = statistics.mean(figures["PersX", True].pss_mb)
    theirs = statistics.mean(figures["stock Wagtail", True].pss_mb)
    theirs_each = statistics.mean(figures["stock Wagtail", False].pss_mb)

    def server(figure: WorkerFigures) -> float:
        return (sum(figure.pss_mb) + figure.master_pss_mb) / len(figure.pss_mb)

    print(
        "Server PSS (master + workers) per worker, PersX / stock Wagtail: "
        f"{server(figures['PersX', True]) / server(figures['stock Wagtail', True]):.2f} "
        "(both preloaded); "
        f"{server(figures['PersX', True]) / server(figures['stock Wagtail', False]):.2f} "
        "(stock loading its own application in each worker)"
    )
    start = max(figures["PersX", True].ready_s)
    ratio_ok = ours / theirs <= GOAL_PSS_RATIO
    print(
        f"PSS per worker, PersX / stock Wagtail (both preloaded): {ours / theirs:.2f} "
        f"(goal <= {GOAL_PSS_RATIO}) {'ok' if ratio_ok else 'FAILS'}; vs a stock worker "
        f"loading its own application: {ours / theirs_each:.2f}"
    )
    print(
        f"PersX worker start (fork to accepting): {start:.3f} s "
        f"(goal <= {GOAL_WORKER_START_S} s) {'ok' if start <= GOAL_WORKER_START_S else 'FAILS'}"
    )
    load = load_average()
    help_cpu = command_cpu_s([sys.executable, "manage.py", "help"], persx.env)
    stock_cpu = command_cpu_s([sys.executable, "-m", "django", "help"], stock.env)
    print(
        f"\n== A management command's start: `manage.py help`, CPU (user + system), median of "
        f"5; load {load} ==\nPersX {help_cpu:.2f} s (goal <= {GOAL_COMMAND_CPU_S} s) "
        f"{'ok' if help_cpu <= GOAL_COMMAND_CPU_S else 'FAILS'}; stock Wagtail "
        f"{stock_cpu:.2f} s"
    )
    ok = ratio_ok and start <= GOAL_WORKER_START_S and help_cpu <= GOAL_COMMAND_CPU_S
    return 0 if ok else 1


if __name__ == "__main__":
    if sys.argv[1:] == ["export"]:
        export_pages()
    elif sys.argv[1:] == ["seed-stock"]:
        seed_stock()
    else:
        with recorded_run(["worker_memory", *sys.argv[1:]]):
            status = main()
        sys.exit(status)
