"""The documents' commands as a test: what runs, where, and the one table of exceptions.

The rules (issue 15: "the README tour is a test"):

1. **What is read.** README.md's "A short tour" section, docs/studio.md, docs/accounts.md,
   docs/outcomes.md, docs/headless.md, docs/factorial.md, docs/newsletter.md, docs/email.md
   and docs/email-sending.md run in the **demo** context;
   docs/operations.md, docs/monitoring.md and docs/scaling.md in the **production**
   context. Commands, settings and URLs are read from the Markdown at test
   time (``tests/docs/markdown_commands.py`` says what counts), so editing a document
   changes what runs.
2. **Where it runs.** Each context is a fresh checkout (the repository's files as
   ``git ls-files`` lists them, tracked and new, copied into a temporary folder, with a
   link to the installed ``.venv``: CI itself is a fresh clone whose ``make test`` proves
   the install), with its own ``var/`` (database, secret key, logs) and its own free port,
   and the environment a user has: no ``DJANGO_SETTINGS_MODULE``, ``DATABASE_URL`` or test
   settings, so ``make run`` uses ``persx.settings.dev``. Demo: ``make run`` serves while
   the tour's URLs are walked and its commands run. Production: ``make serve`` serves on a
   throwaway PostgreSQL database (``postgres://postgres@127.0.0.1:5432/persx_docs_…``,
   created by ``make serve`` itself, dropped by the test) and a Redis database of its own;
   every other command runs with the environment ``make serve`` exports
   (``persx.settings.production``, that ``DATABASE_URL`` and ``REDIS_URL``, ``PERSX_TLS=0``,
   the checkout's secret key), as cron would.
3. **As written.** A command runs through ``bash -c`` in the checkout, with only these
   rewrites: ``manage.py …`` and ``python …`` mean the virtualenv's interpreter
   (``.venv/bin/python``); a cron line runs its command (the schedule dropped) and a systemd
   unit its ``ExecStart``, with the deployment folder ``/srv/persx`` being the checkout and
   ``/var/log/persx`` the checkout's ``var/log/persx``; a PostgreSQL URL on 127.0.0.1 names
   the test's throwaway database. Exit status 0 is required; a failure quotes the document
   and line, the command and its output.
4. **Once.** A command written in several places (after rule 3) runs once, in the context
   of its first place, in document order (README, studio, operations, monitoring, scaling).
5. **Or listed.** A command that cannot run as written in CI (a server, a 50-minute load
   test, a synopsis with ``[--options]``, the ``make test`` that runs this test) is listed
   in ``LISTED`` below with the reason, and with what runs instead when something can: its
   shortest bounded mode, or the concrete form of a synopsis. A listed command that no
   document holds any more fails ``test_docs_manifest.py``; a command that is neither run
   nor listed cannot exist (every command not listed is run).
6. **Settings** a document names (``PERSX_TLS=0``) must be read by the code; the tour's
   **URLs** must answer (200, or the documented redirect in ``TOUR_URLS``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from tests.docs.markdown_commands import Found, read

DEMO = "demo"
PRODUCTION = "production"

# (document, sections or None for all, context), in the order rule 4 uses.
DOCUMENTS: tuple[tuple[str, tuple[str, ...] | None, str], ...] = (
    ("README.md", ("A short tour",), DEMO),
    ("docs/studio.md", None, DEMO),
    ("docs/accounts.md", None, DEMO),
    ("docs/outcomes.md", None, DEMO),
    ("docs/headless.md", None, DEMO),
    ("docs/factorial.md", None, DEMO),
    ("docs/newsletter.md", None, DEMO),
    ("docs/email.md", None, DEMO),
    ("docs/email-sending.md", None, DEMO),
    ("docs/operations.md", None, PRODUCTION),
    ("docs/monitoring.md", None, PRODUCTION),
    ("docs/scaling.md", None, PRODUCTION),
)


@dataclass(frozen=True, slots=True)
class Listed:
    """Why a command does not run exactly as written, and what runs instead (``instead``;
    None: nothing). ``server``: started first, in the background, and stopped at the end;
    ``last``: run as written, after the context's other commands."""

    reason: str
    instead: str | None = None
    server: bool = False
    last: bool = False


def not_run(reason: str) -> Listed:
    return Listed(reason)


def instead(command: str, reason: str) -> Listed:
    return Listed(reason, instead=command)


def server(command: str, reason: str) -> Listed:
    return Listed(reason, instead=command, server=True)


def last(reason: str) -> Listed:
    return Listed(reason, last=True)


# Placeholders filled when the command runs: {port} the server's port, {free_port} a free
# port (a new one each time), {loadtest_port} the first of three free ports, {database} /
# {database_url} the throwaway PostgreSQL database, {redis_db} its Redis database number,
# {last_monday} the last Monday (YYYY-MM-DD).
LISTED: dict[str, Listed] = {
    # README.md, the tour
    "make run": server(
        "make run PORT={port}",
        "the demo server the tour walks: started first, in the background, on a free port "
        "(the tour's `PORT=…`); stopped at the end",
    ),
    "make simulate VISITORS=4000": not_run(
        "`make simulate` (run) with ten times the visitors: minutes longer, no other code path"
    ),
    ".venv/bin/python manage.py simulate_traffic --clear": last(
        "it undoes the simulation, so it runs after the commands that read its data "
        "(persx_report pli-contact, the weekly report)"
    ),
    # docs/studio.md
    "manage.py persx_draft_batch": not_run(
        "drafts with the model provider, so it needs ANTHROPIC_API_KEY (without it the command "
        "refuses, as 'Enabling AI drafting' says); batches run against a fake provider in "
        "tests/web/test_studio_batch.py"
    ),
    # docs/studio.md, docs/operations.md: a worker runs until stopped; with --batch it runs
    # the tasks waiting now and exits (the same worker loop)
    "manage.py persx_worker": instead(
        ".venv/bin/python manage.py persx_worker --batch",
        "a worker runs until stopped: --batch runs what waits and exits",
    ),
    "manage.py persx_worker --queue-name drafts": instead(
        ".venv/bin/python manage.py persx_worker --queue-name drafts --batch",
        "a worker runs until stopped: --batch runs what waits and exits",
    ),
    "/srv/persx/.venv/bin/python manage.py persx_worker": instead(
        "{checkout}/.venv/bin/python manage.py persx_worker --batch",
        "the service's worker runs until stopped: --batch runs what waits and exits",
    ),
    # docs/scaling.md (and anywhere else a document names the suite)
    "make test": not_run(
        "the whole suite, which runs this test: run here it would start the suite again "
        "inside itself"
    ),
    # docs/outcomes.md
    "manage.py persx_import_outcomes": not_run(
        "the heading's synopsis: its concrete form on the demo's planted CRM export runs "
        "from the section 'Try it on the demo'"
    ),
    "manage.py persx_attribution_window KEY [DAYS]": not_run(
        "a synopsis: its concrete form (`persx_attribution_window pli-contact`) runs from "
        "'Try it on the demo'"
    ),
    # docs/factorial.md
    "manage.py persx_factorial_report KEY [--format json]": not_run(
        "a synopsis, and the demo has no factorial experiment: tests/web/test_factorial.py "
        "runs it on a planted history and compares it with the report page"
    ),
    # docs/newsletter.md
    "printf 'someone-who-bounced@example.com\\n' > var/bounces.txt": instead(
        ".venv/bin/python -c \"open('var/bounces.txt', 'w').write("
        "'someone-who-bounced@example.com\\\\n')\"",
        "the harness runs make and the virtualenv's interpreter only: the same file, written "
        "by Python",
    ),
    # docs/operations.md
    "make serve": server(
        "make serve PORT={port}",
        "the production setup: started first, in the background, on a free port, with "
        "DATABASE_URL and REDIS_URL (the doc's variables) naming the throwaway database",
    ),
    "make bench": not_run(
        "every benchmark: 4 min 51 s measured even at its smallest sizes "
        "(PERSX_BENCH_EVENTS=20000, PERSX_BENCH_MONITOR_EVENTS=20000), more than this "
        "test's budget; its first part runs bounded as `.venv/bin/python bench/run.py page`"
    ),
    "bench/run.py page": not_run("`.venv/bin/python bench/run.py page` without the interpreter"),
    ".venv/bin/python bench/run.py page": not_run(
        "prepares PersX and a stock Wagtail project on two PostgreSQL databases with Redis "
        "(migrate, seed, collectstatic) before it measures: minutes on 2 cores, more than "
        "this test's budget (tests/deploy/test_bench_goals.py checks its goal table)"
    ),
    "make loadtest": instead(
        'make loadtest LOADTEST_MODE=overload LOADTEST_ARGS="--users 1 --overload-minutes 0.2'
        ' --no-prepare --database {database} --redis-db {redis_db} --port {loadtest_port}"',
        "~50 minutes; its shortest bounded mode instead: one overload step of 2 users for "
        "12 s through the same gunicorn, proxies, locust and checks, on the database "
        "`make serve` prepared",
    ),
    "python -m loadtest.run all": not_run("what `make loadtest` runs (run bounded)"),
    'make loadtest LOADTEST_MODE=faults LOADTEST_ARGS="--users 10"': not_run(
        "the faults step cuts the database, then Redis, for 30 s each under load and kills a "
        "worker (minutes, no shorter mode); `make loadtest` runs bounded, and the faults "
        "themselves are tested in tests/web/test_pages_without_database.py and "
        "tests/web/test_cache_outage.py"
    ),
    "python -m loadtest.run all --database persx_loadtest --redis-db 7 --port 8760": not_run(
        "the record of the measured full run (~50 minutes); `make loadtest` runs bounded"
    ),
    "python -m loadtest.run faults --users 20 --database persx_loadtest --redis-db 7 "
    "--port 8760": not_run("the record of the measured faults run; see the faults step above"),
    "manage.py persx_database_roles [--member LOGIN_ROLE]": instead(
        ".venv/bin/python manage.py persx_database_roles --member postgres",
        "a synopsis: run with the login role the throwaway database uses",
    ),
    "manage.py simulate_traffic": not_run("what `make simulate` runs (run in the tour)"),
    "manage.py persx_report pli-inferred": instead(
        ".venv/bin/python manage.py simulate_traffic --visitors 60 --skippers 0.4 --train"
        " && .venv/bin/python manage.py persx_report pli-inferred",
        "pli-inferred exists after a form-skippers simulation (the doc's `--skippers 0.4 "
        "--train`), so a small one runs first",
    ),
    # docs/monitoring.md
    "manage.py persx_monitor --every 60 --enqueue": not_run(
        "a loop that `make run` starts beside the demo server and its workers: the tour "
        "checks that the worker's log (var/worker.log) records a monitor pass"
    ),
    "manage.py persx_weekly_report [--week-start YYYY-MM-DD] [--no-email]": instead(
        ".venv/bin/python manage.py persx_weekly_report --week-start {last_monday} --no-email",
        "a synopsis: both options given",
    ),
    # docs/scaling.md
    "DATABASE_URL=postgres://postgres@127.0.0.1:5432/persx_bench_pg .venv/bin/python "
    "bench/postgresql_scale.py --events 1000000": instead(
        "DATABASE_URL={database_url} .venv/bin/python bench/postgresql_scale.py "
        "--events 5000 --clients 1 --batches 2",
        "a million events take ~10 minutes: 5,000 events and 2 insert batches run every "
        "step (inserts, generator, rollups, reports, retention) on the throwaway database",
    ),
    "DATABASE_URL=postgres://postgres@127.0.0.1:5432/persx_bench_pg .venv/bin/python "
    "bench/events_http_load.py --port 8751 --seconds 20 --batch 20": instead(
        "DATABASE_URL={database_url} .venv/bin/python bench/events_http_load.py "
        "--port {free_port} --seconds 2 --batch 20",
        "2 s of load instead of 20, on a free port and the throwaway database",
    ),
    "bench/events_http_load.py --page /contact/": instead(
        "DATABASE_URL={database_url} .venv/bin/python bench/events_http_load.py "
        "--port {free_port} --seconds 2 --page /contact/",
        "a script path with an option: run with the doc's other arguments bounded as above",
    ),
}

# The tour's URLs: GET answers 200 unless listed here (status, and where a redirect goes);
# another method must reach its operation (neither 404 nor 405, nor a 5xx).
TOUR_URLS: dict[str, tuple[int, str]] = {
    "GET /cms/": (302, "/cms/login/"),
}

POSTGRES_URL = re.compile(r"postgres://postgres@127\.0\.0\.1:5432/\w+")
ASSIGNMENTS = re.compile(r"^((?:[A-Z_][A-Z0-9_]*=\S+\s+)*)(.*)$")


@dataclass(frozen=True, slots=True)
class Step:
    """One command to run (``command``, placeholders unfilled) or not (None), in a
    context; ``found`` is its first place in the documents, ``also`` the others."""

    found: Found
    context: str
    command: str | None
    listed: Listed | None
    also: tuple[Found, ...] = ()

    @property
    def server(self) -> bool:
        return bool(self.listed and self.listed.server)

    @property
    def last(self) -> bool:
        return bool(self.listed and self.listed.last)


def as_written(found: Found) -> str:
    """Rule 3: the command a user runs for what the document says."""
    text = found.text
    if found.kind == "cron":
        text = text.split(None, 5)[5]
    prefix, rest = ASSIGNMENTS.match(text).groups()  # type: ignore[union-attr]
    if rest.startswith("manage.py "):
        rest = ".venv/bin/python " + rest
    elif rest.startswith(("python ", "python3 ")):
        rest = ".venv/bin/python " + rest.split(" ", 1)[1]
    text = prefix + rest
    text = text.replace("/var/log/persx", "{checkout}/var/log/persx")
    text = text.replace("/srv/persx", "{checkout}")
    return POSTGRES_URL.sub("{database_url}", text)


def everything(root: Path) -> list[tuple[str, Found]]:
    """(context, found) for everything the documents say, in rule 4's order."""
    return [
        (context, found)
        for doc, sections, context in DOCUMENTS
        for found in read(root, doc, sections)
    ]


def steps(root: Path) -> list[Step]:
    """Every command of the documents, once (rule 4), with what runs for it."""
    by_command: dict[str, Step] = {}
    for context, found in everything(root):
        if found.kind not in {"command", "cron", "systemd"}:
            continue
        listed = LISTED.get(found.text)
        runs_as_written = listed is None or listed.last
        key = as_written(found) if runs_as_written else f"listed: {found.text}"
        step = by_command.get(key)
        if step is not None:
            by_command[key] = Step(
                step.found, step.context, step.command, step.listed, (*step.also, found)
            )
            continue
        command = as_written(found) if runs_as_written else listed.instead  # type: ignore[union-attr]
        by_command[key] = Step(found, context, command, listed)
    return list(by_command.values())


def tour_urls(root: Path) -> list[Found]:
    """The URLs of README.md's tour (rule 6)."""
    return [found for found in read(root, *DOCUMENTS[0][:2]) if found.kind == "url"]


def context_steps(root: Path, context: str) -> list[Step]:
    """A context's steps in running order: the server first, ``last`` ones at the end."""
    mine = [s for s in steps(root) if s.context == context]
    return (
        [s for s in mine if s.server]
        + [s for s in mine if not s.server and not s.last]
        + [s for s in mine if s.last]
    )
