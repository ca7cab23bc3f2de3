"""Lean workers: memory per gunicorn worker, worker start, a management command's start.

Two servers serve the same content, one after the other, each with 2 gunicorn workers
(gthread, 4 threads) on the production setup (bench/production_site.py): PersX on
``persx.settings.production`` with PostgreSQL and Redis, the demo site seeded, every public
page requested in turn as visitors of rotating industries (personalized pages); stock
Wagtail (``bench/stock_wagtail``, no PersX code) on its own PostgreSQL database and Redis,
each PersX demo page copied as a stock page with the same path, title and text.

Each is measured with the application loaded before fork (``--preload``; the shipped
default) and loaded by each worker. After ``PERSX_BENCH_WORKER_PAGES`` pages (default 500)
the bench reads each worker's proportional set size (PSS: a page shared by two workers
counts half in each) and resident set size from ``/proc/<pid>/smaps_rollup``, each
worker's start (fork to accepting requests, from the ``post_worker_init`` log line; the
same hooks are given to the stock server) and its first page. Goals: PersX's PSS per
worker <= 1.3x the stock worker's (both preloaded; a ratio goal), worker start <= 2 s.
Then the CPU time (user + system) of ``manage.py help`` and ``manage.py check`` from start
to exit, median of 5, with the bytecode cached as on a deployed install (a first run writes
it; PYTHONDONTWRITEBYTECODE is dropped for these runs), beside stock Wagtail's, and PersX's
``python -m django help`` (the start without manage.py's pause of garbage collection, as
stock's). Goal: help <= 1 s.

Run alone: ``.venv/bin/python bench/worker_memory.py`` (output kept in bench/results/);
``make bench`` runs it after the page figures, on the same prepared sites.
"""

from __future__ import annotations

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

from bench.goals import goals  # noqa: E402
from bench.production_site import Project, prepare  # noqa: E402
from bench.record import load_average, recorded_run  # noqa: E402
from harness.site_process import free_port, running  # noqa: E402

PAGES = int(os.environ.get("PERSX_BENCH_WORKER_PAGES", "500"))
INDUSTRIES = ("saas", "healthcare", "fintech", "manufacturing")
READY_LINE = re.compile(r"worker (\d+) ready ([0-9.]+) s after fork")
ACCESS_LINE = re.compile(r"served pid=<?(\d+)>? (\S+) (\d{3}) (\d+)$")
ACCESS_FORMAT = "--access-logformat 'served pid=%(p)s %(U)s %(s)s %(M)s'"
GOAL_PSS_RATIO = 1.3
GOAL_WORKER_START_S = 2.0
GOAL_COMMAND_CPU_S = 1.0


@dataclass(frozen=True, slots=True)
class WorkerFigures:
    pss_mb: list[float]
    rss_mb: list[float]
    ready_s: list[float]
    first_page_ms: list[float]
    master_pss_mb: float


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
    """Median user + system CPU seconds of a command from start to exit (after a first run
    that is not counted: it writes the bytecode cache)."""
    cpu = []
    subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, check=True, timeout=600)
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


def cached_bytecode_env(env: dict[str, str], cache: Path) -> dict[str, str]:
    """``env`` with bytecode written to and read from ``cache``, as a deployed install has it."""
    keep = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return keep | {"PYTHONPYCACHEPREFIX": str(cache)}


def bench_worker_memory(folder: Path, persx: Project, stock: Project) -> None:
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
    goals.record(
        "memory per worker (PSS), PersX / stock Wagtail",
        ours / theirs,
        GOAL_PSS_RATIO,
        "<=",
        "ratio",
    )
    goals.record(
        "worker start (fork to accepting)", start, GOAL_WORKER_START_S, "<=", "absolute", "s"
    )


def bench_command_start(folder: Path, persx: Project, stock: Project) -> None:
    cache = folder / "pycache"
    ours, theirs = cached_bytecode_env(persx.env, cache), cached_bytecode_env(stock.env, cache)
    figures: dict[str, tuple[float, float]] = {}
    load = load_average()
    for command in ("help", "check"):
        figures[command] = (
            command_cpu_s([sys.executable, "manage.py", command], ours),
            command_cpu_s([sys.executable, "-m", "django", command], theirs),
        )
    print(
        f"\n== A management command's start: CPU (user + system) from start to exit, median "
        f"of 5, bytecode cached; load {load} =="
    )
    for command, (persx_cpu, stock_cpu) in figures.items():
        print(
            f"  manage.py {command:<6}: PersX {persx_cpu:.2f} s, stock Wagtail {stock_cpu:.2f} s "
            f"(PersX / stock {persx_cpu / stock_cpu:.2f}; PersX's own part "
            f"{persx_cpu - stock_cpu:+.2f} s)"
        )
    # The same start as stock's (`python -m django`): without manage.py's pause of garbage
    # collection (persx/startup/), which a stock project does not have either.
    unpaused = command_cpu_s([sys.executable, "-m", "django", "help"], ours)
    print(f"  python -m django help (PersX, no collection pause): {unpaused:.2f} s")
    help_cpu = figures["help"][0]
    print(f"  goal: manage.py help <= {GOAL_COMMAND_CPU_S} s of CPU")
    goals.record(
        "command start: manage.py help, CPU", help_cpu, GOAL_COMMAND_CPU_S, "<=", "absolute", "s"
    )


def main() -> int:
    folder = Path(tempfile.mkdtemp(prefix="persx-worker-memory-"))
    persx, stock = prepare(folder)
    bench_worker_memory(folder, persx, stock)
    bench_command_start(folder, persx, stock)
    print(goals.render())
    return goals.exit_status()


if __name__ == "__main__":
    with recorded_run(["worker_memory", *sys.argv[1:]]):
        status = main()
    sys.exit(status)
