"""Every background job is a task on one queue (django-tasks, database backend) that a
worker runs: the periodic jobs are queued by their commands (``--enqueue``, never twice
while one waits) and run by django-tasks' worker against the test database; a task whose
worker died goes back on the queue; and a draft batch whose worker process is killed
mid-way finishes when a worker runs again, with nothing drafted twice (real worker
processes on a throwaway SQLite database, the model a fake Messages API over HTTP)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from pathlib import Path
from typing import Any

import httpx2
import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks.backends.database.models import DBTaskResult

from harness.site_process import ROOT
from persx.analytics.models import RollupState
from persx.analytics.services import STATE_NAME
from persx.events.models import Event
from persx.generation.anthropic_provider import TOOL_NAME
from persx.jobs.models import WorkerHeartbeat
from persx.jobs.recovery import STALE_AFTER, requeue_abandoned, this_host
from persx.monitoring.models import RuleState
from tests.web.live_site import manage, prepare_site_database, site_env
from tests.web.task_worker import run_queued_tasks
from tests.web.test_studio_actions import EchoApi

WAIT_S = 180.0


def queued(path: str) -> list[DBTaskResult]:
    return list(DBTaskResult.objects.filter(task_path=path).order_by("enqueued_at"))


@pytest.mark.django_db
def test_the_periodic_jobs_are_queued_once_and_a_worker_runs_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    jobs = [
        ("persx_monitor", "persx.monitoring.tasks.monitor_pass", "monitor pass"),
        ("persx_rollup", "persx.analytics.tasks.fold_new_events", "rollup update"),
        ("persx_bandit_update", "persx.analytics.tasks.update_bandits", "bandit update"),
    ]
    for command, path, name in jobs:
        out = StringIO()
        call_command(command, "--enqueue", stdout=out)
        call_command(command, "--enqueue", stdout=out)  # the first still waits
        (task,) = queued(path)
        assert out.getvalue().splitlines() == [
            f"{name} queued (task {task.pk})",
            f"a {name} is still waiting in the queue: not queued again",
        ]
        assert task.status == TaskResultStatus.READY
    assert not RuleState.objects.filter(last_evaluated_at__isnull=False).exists()

    run_queued_tasks(monkeypatch)

    for _, path, _ in jobs:
        (task,) = queued(path)
        assert task.status == TaskResultStatus.SUCCEEDED, task.traceback
    assert RuleState.objects.filter(last_evaluated_at__isnull=False).exists()  # rules judged
    watermark = RollupState.objects.get(name=STATE_NAME).last_event_id
    assert watermark == (Event.objects.order_by("-id").values_list("id", flat=True).first() or 0)
    # Once run, the next pass is queued again.
    out = StringIO()
    call_command("persx_monitor", "--enqueue", stdout=out)
    assert out.getvalue().startswith("monitor pass queued")


def exited_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


@pytest.mark.django_db
def test_a_task_whose_worker_is_gone_goes_back_on_the_queue() -> None:
    now = timezone.now()

    def running(worker: str) -> DBTaskResult:
        return DBTaskResult.objects.create(
            status=TaskResultStatus.RUNNING,
            args_kwargs={"args": [], "kwargs": {}},
            task_path="persx.monitoring.tasks.monitor_pass",
            backend_name="jobs",
            run_after=now,
            started_at=now,
            worker_ids=["earlier-worker", worker],
        )

    def beat(worker: str, host: str, pid: int, seen: timedelta) -> None:
        WorkerHeartbeat.objects.create(
            worker_id=worker, host=host, pid=pid, started_at=now - seen, seen_at=now - seen
        )

    beat("exited-here", this_host(), exited_pid(), timedelta(0))
    beat("alive-here", this_host(), os.getpid(), timedelta(0))
    beat("silent-elsewhere", "another-host", 1, STALE_AFTER + timedelta(seconds=1))
    beat("fresh-elsewhere", "another-host", 1, STALE_AFTER - timedelta(seconds=5))
    tasks = {w: running(w) for w in ("exited-here", "alive-here", "silent-elsewhere")}
    tasks |= {w: running(w) for w in ("fresh-elsewhere", "plain-db-worker")}

    requeued = requeue_abandoned(now)

    assert sorted(requeued) == sorted(str(tasks[w].pk) for w in ("exited-here", "silent-elsewhere"))
    status = {w: DBTaskResult.objects.get(pk=t.pk).status for w, t in tasks.items()}
    assert status == {
        "exited-here": TaskResultStatus.READY,
        "alive-here": TaskResultStatus.RUNNING,
        "silent-elsewhere": TaskResultStatus.READY,
        "fresh-elsewhere": TaskResultStatus.RUNNING,
        "plain-db-worker": TaskResultStatus.RUNNING,  # no heartbeat: not ours to judge
    }
    assert set(WorkerHeartbeat.objects.values_list("worker_id", flat=True)) == {
        "alive-here",
        "fresh-elsewhere",
    }


class FakeMessagesApi:
    """The fake Messages API (tests/web/test_studio_actions.EchoApi) over real HTTP; the
    ``hold_at``-th draft request (counted in :attr:`count`; other calls, such as a claim
    check, are answered and not counted) is held until :attr:`release` is set."""

    def __init__(self, hold_at: int) -> None:
        self.echo = EchoApi()
        self.hold_at = hold_at
        self.held = threading.Event()
        self.release = threading.Event()
        self.count = 0
        self.lock = threading.Lock()

    def reply(self, body: bytes) -> tuple[int, bytes]:
        drafting = json.loads(body).get("tool_choice", {}).get("name") == TOOL_NAME
        with self.lock:
            self.count += drafting
            number = self.count if drafting else 0
        if number == self.hold_at:
            self.held.set()
            self.release.wait(WAIT_S)
        response = self.echo(httpx2.Request("POST", "http://fake/v1/messages", content=body))
        return response.status_code, response.content


@pytest.fixture
def messages_api() -> Iterator[tuple[FakeMessagesApi, str]]:
    api = FakeMessagesApi(hold_at=3)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            status, content = api.reply(body)
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)
            except OSError:  # the worker that asked was killed meanwhile
                pass

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield api, f"http://127.0.0.1:{server.server_address[1]}"
    api.release.set()
    server.shutdown()
    server.server_close()


TASK_STATUS = (
    "select status from django_tasks_database_dbtaskresult "
    "where task_path = 'persx.studio.tasks.draft_batch'"
)
CREATE_BATCH = """
from persx.content.models import StandardPage
from persx.studio.batch import create_batch, missing_cells
from persx.studio.tasks import enqueue_batch
page = StandardPage.objects.get(slug="contact")
batch = create_batch(missing_cells(page.pk), 10_000_000, page, None)
enqueue_batch(batch)
print(batch.pk, batch.total)
"""


@pytest.mark.own_server
@pytest.mark.slow  # ~60 s of worker processes (plus the session's seeded database, shared)
def test_a_batch_whose_worker_is_killed_mid_way_finishes_on_the_next_worker(
    tmp_path: Path, messages_api: tuple[FakeMessagesApi, str]
) -> None:
    api, url = messages_api
    var = tmp_path / "var"
    prepare_site_database(var)
    env = site_env(var, ANTHROPIC_API_KEY="test-key", ANTHROPIC_BASE_URL=url)
    created = manage(env, "shell", "-c", CREATE_BATCH).splitlines()[-1]
    batch_id, total = map(int, created.split())
    assert total > 3

    log = (var / "worker.log").open("wb")
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "persx_worker", "--queue-name", "drafts"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        # The third draft is in flight (two saved) when the worker dies.
        assert api.held.wait(WAIT_S), (var / "worker.log").read_text()
        worker.send_signal(signal.SIGKILL)
        worker.wait(WAIT_S)
    finally:
        if worker.poll() is None:
            worker.kill()
        log.close()
    api.release.set()

    database = sqlite3.connect(var / "persx.sqlite3")
    status, position, drafted = database.execute(
        "select status, position, drafted from persx_studio_draftbatch where id = ?", [batch_id]
    ).fetchone()
    assert (status, position, drafted) == ("running", 2, 2)
    (task_status,) = database.execute(TASK_STATUS).fetchone()
    assert task_status == "RUNNING"  # the dead worker's claim, as it left it
    database.close()

    output = manage(env, "persx_worker", "--queue-name", "drafts", "--batch")

    database = sqlite3.connect(var / "persx.sqlite3")
    status, position, drafted, skipped, failed = database.execute(
        "select status, position, drafted, skipped, failed from persx_studio_draftbatch "
        "where id = ?",
        [batch_id],
    ).fetchone()
    assert (status, position, drafted, skipped, failed) == ("done", total, total, 0, 0), output
    per_cell = database.execute(
        "select count(*) from persx_studio_draft where batch_id = ? "
        "group by page_id, block_id, audience",
        [batch_id],
    ).fetchall()
    assert len(per_cell) == total
    assert {n for (n,) in per_cell} == {1}  # no cell drafted twice
    task_status, workers = database.execute(
        TASK_STATUS.replace("status", "status, worker_ids", 1)
    ).fetchone()
    assert task_status == "SUCCEEDED"
    assert len(json.loads(workers)) == 2  # the same task, claimed again by the next worker
    database.close()
    # Every cell asked for its draft once; the one in flight when the worker died, twice.
    assert api.count == total + 1
