"""Batch drafting ("Draft all missing cells") end to end on the seeded demo: the estimate
is shown before anything starts, the job is a database row and a task on the queue that a
worker runs (django-tasks' worker in the test's thread, through the real Anthropic adapter
against a fake Messages API), progress is reported by the JSON status endpoint as the job
advances, the token budget stops it (saying so), drafts land in the matrix, and the command
finishes waiting batches. A worker killed mid-batch: tests/web/test_task_queue.py."""

from __future__ import annotations

import re
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django_tasks import TaskResultStatus
from django_tasks.backends.database.models import DBTaskResult

from persx.content.models import StandardPage
from persx.studio.batch import missing_cells, request_tokens
from persx.studio.cell_state import CellState
from persx.studio.coverage import build_matrix
from persx.studio.models import Draft, DraftBatch
from persx.studio.services import draft_request
from persx.studio.tasks import enqueue_batch
from tests.web.task_worker import run_queued_tasks
from tests.web.test_studio_actions import EchoApi, provider_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def key(monkeypatch: pytest.MonkeyPatch) -> EchoApi:
    """Drafting is on in the web process and in the worker; the model is the fake API."""
    api = EchoApi()
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    for module in ("batch_views", "tasks", "management.commands.persx_draft_batch"):
        monkeypatch.setattr(
            f"persx.studio.{module}.provider_from_environment", lambda: provider_for(api)
        )
    return api


def run_worker_here(monkeypatch: pytest.MonkeyPatch, batch: DraftBatch) -> DraftBatch:
    run_queued_tasks(monkeypatch, "drafts")
    batch.refresh_from_db()
    return batch


def contact() -> StandardPage:
    return StandardPage.objects.get(slug="contact")


def expected_missing(page_id: int) -> list[tuple[int, str, str]]:
    """Cells without a variant of their own and without a pending draft (from the matrix
    states, checked against the demo data in test_studio_coverage)."""
    return [
        (row.page_id, row.block_id, cell.audience)
        for row in build_matrix(underperforming=[]).rows
        if row.page_id == page_id
        for cell in row.cells
        if cell.state in (CellState.GENERIC, CellState.INHERITED)
    ]


def field(html: str, testid: str) -> str:
    found = re.search(rf'data-testid="{testid}"[^>]*>(.*?)</', html, re.S)
    assert found is not None, testid
    return found.group(1)


def test_the_estimate_is_shown_before_anything_starts(admin_client: Client, key: EchoApi) -> None:
    page = contact()
    cells = expected_missing(page.pk)
    assert cells
    response = admin_client.get("/cms/studio/batches/new/", {"page": page.pk})
    assert response.status_code == 200
    html = response.content.decode()
    assert field(html, "estimate-drafts") == str(len(cells))
    tokens = [draft_request(page, b, a) for _, b, a in cells]
    total = sum(sum(request_tokens(r)) for r in tokens)
    assert f"≈ {total:,} (" in field(html, "estimate-tokens")
    assert "per million input / output tokens" in field(html, "estimate-cost")
    assert 'data-testid="batch-start"' in html
    assert not DraftBatch.objects.exists()  # nothing started, nothing asked
    assert key.requests == []

    site = admin_client.get("/cms/studio/batches/new/").content.decode()
    assert int(field(site, "estimate-drafts").replace(",", "")) > len(cells)


@pytest.mark.parametrize(
    ("data", "status", "says"),
    [
        ({"budget_tokens": "lots"}, 400, "budget_tokens: expected a whole number"),
        ({"budget_tokens": "0"}, 400, "budget_tokens: expected a whole number"),
        ({"budget_tokens": "99999999999"}, 400, "budget_tokens: at most"),
    ],
)
def test_bad_input_is_refused_naming_the_field(
    admin_client: Client, key: EchoApi, data: dict[str, str], status: int, says: str
) -> None:
    response = admin_client.post("/cms/studio/batches/new/", {"page": contact().pk, **data})
    assert response.status_code == status
    assert says in field(response.content.decode(), "batch-error")
    assert not DraftBatch.objects.exists()


def test_bad_page_and_drafting_off(admin_client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    bad = admin_client.get("/cms/studio/batches/new/", {"page": "x"})
    assert bad.status_code == 400
    assert bad.content.decode().startswith("page: ")
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    off = admin_client.post("/cms/studio/batches/new/", {"budget_tokens": "50000"})
    assert off.status_code == 409
    assert "ANTHROPIC_API_KEY" in field(off.content.decode(), "batch-error")
    assert not DraftBatch.objects.exists()


def test_progress_is_reported_as_the_job_advances_and_drafts_land_in_the_matrix(
    admin_client: Client, key: EchoApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = contact()
    cells = expected_missing(page.pk)
    response = admin_client.post(
        "/cms/studio/batches/new/", {"page": page.pk, "budget_tokens": "10,000,000"}
    )
    batch = DraftBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/cms/studio/batches/{batch.pk}/"
    assert batch.status == DraftBatch.Status.QUEUED
    assert [tuple(c) for c in batch.cells] == cells
    assert key.requests == []  # queued, not run: the web request only enqueues
    task = DBTaskResult.objects.get(pk=batch.task_id)
    assert (task.status, task.queue_name, task.args_kwargs["args"]) == (
        TaskResultStatus.READY,
        "drafts",
        [batch.pk],
    )
    assert task.task_path == "persx.studio.tasks.draft_batch"

    seen: list[dict[str, Any]] = []
    status_url = f"/cms/studio/batches/{batch.pk}/status.json"
    key.before_reply = lambda: seen.append(admin_client.get(status_url).json())
    ended = run_worker_here(monkeypatch, batch)
    task.refresh_from_db()
    assert task.status == TaskResultStatus.SUCCEEDED
    assert task.return_value["drafted"] == len(cells)

    assert [s["done"] for s in seen] == list(range(len(cells)))  # one more per draft
    assert {s["status"] for s in seen} == {"running"}
    assert all(s["total"] == len(cells) for s in seen)
    assert [s["drafted"] for s in seen] == list(range(len(cells)))
    final = admin_client.get(status_url).json()
    assert (final["status"], final["done"], final["drafted"], final["percent"]) == (
        "done",
        len(cells),
        len(cells),
        100,
    )
    assert final["finished"] is True
    assert ended.tokens_used == len(cells) * (900 + 150)  # the API's own usage counts
    assert Draft.objects.filter(batch=ended).count() == len(cells)
    matrix = build_matrix(underperforming=[])
    states = {
        (row.block_id, cell.audience): cell.state
        for row in matrix.rows
        if row.page_id == page.pk
        for cell in row.cells
    }
    assert all(states[(b, a)] is CellState.DRAFT for _, b, a in cells)
    assert missing_cells(page.pk) == []
    page_html = admin_client.get(f"/cms/studio/batches/{batch.pk}/").content.decode()
    assert 'data-testid="batch-progress"' in page_html
    assert f'aria-valuenow="{len(cells)}"' in page_html


def test_the_budget_stops_the_job_before_the_draft_that_would_pass_it(
    admin_client: Client, key: EchoApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = contact()
    cells = expected_missing(page.pk)
    first = [draft_request(page, b, a) for _, b, a in cells[:3]]
    # Room for two drafts at the API's usage (1,050 tokens each) plus the third's estimate
    # minus one token: the worker must stop before the third.
    budget = 2 * 1050 + sum(request_tokens(first[2])) - 1
    admin_client.post("/cms/studio/batches/new/", {"page": page.pk, "budget_tokens": budget})
    batch = DraftBatch.objects.get()
    ended = run_worker_here(monkeypatch, batch)
    assert ended.status == DraftBatch.Status.BUDGET
    assert (ended.position, ended.drafted, len(key.requests)) == (2, 2, 2)
    assert ended.message.startswith(f"Stopped before cell 3 of {len(cells)}: its draft (about")
    assert f"budget of {budget:,} tokens (2,100 used)" in ended.message
    status = admin_client.get(f"/cms/studio/batches/{batch.pk}/status.json").json()
    assert status["status_label"] == "Stopped at the budget"
    assert status["message"] == ended.message
    assert status["tokens_percent"] == round(100 * 2100 / budget)
    enqueue_batch(ended)  # a finished batch is not run again, even if queued again
    again = run_worker_here(monkeypatch, ended)
    assert (again.position, again.status, len(key.requests)) == (2, "budget", 2)


def test_the_command_runs_a_queued_batch_and_skips_cells_filled_meanwhile(
    admin_client: Client, key: EchoApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        "django_tasks.backends.database.management.commands.db_worker.close_old_connections",
        lambda: None,  # the test's transaction (tests/web/task_worker.py says why)
    )
    page = contact()
    cells = expected_missing(page.pk)
    admin_client.post("/cms/studio/batches/new/", {"page": page.pk, "budget_tokens": "1000000"})
    batch = DraftBatch.objects.get()
    _, block, audience = cells[0]
    Draft.objects.create(
        page=page, block_id=block, block_type="hero", audience=audience, content={}
    )
    out = StringIO()
    call_command("persx_draft_batch", stdout=out)
    batch.refresh_from_db()
    assert (batch.status, batch.skipped, batch.drafted) == ("done", 1, len(cells) - 1)
    assert f"Batch {batch.pk}: Finished — {len(cells) - 1} drafted" in out.getvalue()
    out = StringIO()
    call_command("persx_draft_batch", stdout=out)
    assert "No draft batch is waiting." in out.getvalue()
    assert DBTaskResult.objects.get(pk=batch.task_id).status == TaskResultStatus.SUCCEEDED
    monkeypatch.setattr(
        "persx.studio.management.commands.persx_draft_batch.provider_from_environment",
        lambda: None,
    )
    with pytest.raises(CommandError, match="ANTHROPIC_API_KEY"):
        call_command("persx_draft_batch")


def test_list_items_reach_the_model_in_the_content_shape(
    admin_client: Client, key: EchoApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A feature grid's items are stored by Wagtail as {"type": "item", "value": ...}; the
    prompt gives the model the content's own shape, so its echo fits the block."""
    page = StandardPage.objects.get(slug="about")
    admin_client.post("/cms/studio/batches/new/", {"page": page.pk, "budget_tokens": "9000000"})
    ended = run_worker_here(monkeypatch, DraftBatch.objects.get())
    assert (ended.failed, ended.drafted) == (0, ended.total)
    grids = [p for p in key.prompts() if p.startswith("Block type: feature_grid")]
    assert grids
    assert all("'type': 'item'" not in p for p in grids)
