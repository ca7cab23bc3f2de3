"""Batch drafting: every missing cell of a page (or the whole site) drafted in the
background, with an estimate before it starts and a token budget it never passes.

The job is a :class:`~persx.studio.models.DraftBatch` row (its cells and progress, which
the admin polls from any app server) and a task on the queue
(:func:`persx.studio.tasks.draft_batch`, run by ``manage.py persx_worker``): the admin
enqueues it (:func:`enqueue_batch`) and returns at once. The task saves progress after
every cell, so a worker that dies loses at most the draft in flight; the queue puts its
task back (persx/jobs/recovery.py) and the next run resumes at the saved position,
skipping cells filled meanwhile (the in-flight draft, if it was stored, among them).

Missing cell: no variant of its own and no pending draft (state generic or inherited).
Budget: before each draft the worker estimates its tokens (prompt size in characters /
:data:`CHARS_PER_TOKEN`, plus the expected reply) and stops, saying so, when the tokens
spent plus that estimate would pass the budget.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks.backends.database.models import DBTaskResult
from wagtail.models import Page

from persx.config import config
from persx.content.models import PersonalizedPage
from persx.engine.drafting.claims import sentences_of
from persx.engine.drafting.port import (
    SYSTEM_PROMPT,
    VERIFY_SYSTEM_PROMPT,
    DraftProvider,
    DraftRequest,
    prompt_text,
    verify_prompt_text,
)
from persx.studio.cell_state import CellState
from persx.studio.coverage import build_matrix
from persx.studio.models import Draft, DraftBatch
from persx.studio.services import draft_request, request_draft
from persx.studio.winners import industry_of, winning_examples

logger = logging.getLogger("persx.studio")

CHARS_PER_TOKEN = 4  # a conservative rule of thumb for English text and JSON
REPLY_OVERHEAD_TOKENS = 60  # the tool call's own framing
VERDICT_TOKENS = 25  # one sentence's verdict in the verification pass (number, bool, reason)
MISSING = frozenset({CellState.GENERIC, CellState.INHERITED})

Cell = tuple[int, str, str]  # page id, block id, audience


def prices() -> tuple[float, float]:
    """USD per million tokens (input, output): ``PERSX_DRAFT_PRICE_INPUT`` / ``_OUTPUT``."""
    settings = config()
    return settings.draft_price_input, settings.draft_price_output


def missing_cells(page_id: int | None = None) -> list[Cell]:
    """The cells with no variant of their own and no pending draft, in matrix order."""
    matrix = build_matrix(underperforming=[])
    return [
        (row.page_id, row.block_id, cell.audience)
        for row in matrix.rows
        if page_id is None or row.page_id == page_id
        for cell in row.cells
        if cell.state in MISSING and not cell.has_draft
    ]


def request_tokens(request: DraftRequest) -> tuple[int, int]:
    """Estimated (input, output) tokens of one draft: the drafting call, then the
    verification pass over the draft's sentences (a draft as long as the generic content)."""
    sent = SYSTEM_PROMPT + prompt_text(request) + json.dumps(request.schema)
    reply = json.dumps(dict(request.base))
    sentences = sentences_of(request.base)
    asked = VERIFY_SYSTEM_PROMPT + verify_prompt_text(request.facts, sentences)
    return (
        len(sent) // CHARS_PER_TOKEN + 1 + len(asked) // CHARS_PER_TOKEN + 1,
        len(reply) // CHARS_PER_TOKEN
        + REPLY_OVERHEAD_TOKENS
        + (REPLY_OVERHEAD_TOKENS + VERDICT_TOKENS * len(sentences) if sentences else 0),
    )


@dataclass(frozen=True, slots=True)
class Estimate:
    drafts: int
    input_tokens: int
    output_tokens: int
    price_input: float
    price_output: float

    @property
    def tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    @property
    def cost(self) -> float:
        return (
            self.input_tokens * self.price_input + self.output_tokens * self.price_output
        ) / 1_000_000

    @property
    def worst_case_tokens(self) -> int:
        """Every draft retried once (invalid at the first attempt)."""
        return 2 * self.tokens


class _Requests:
    """Draft requests for many cells, each page read once and each block type × industry's
    winners looked up once."""

    def __init__(self) -> None:
        self._pages: dict[int, PersonalizedPage | None] = {}
        self._examples: dict[tuple[str, str | None], Sequence[Mapping[str, Any]]] = {}

    def page(self, page_id: int) -> PersonalizedPage | None:
        if page_id not in self._pages:
            found = Page.objects.filter(pk=page_id).first()
            specific = found.specific if found is not None else None
            self._pages[page_id] = specific if isinstance(specific, PersonalizedPage) else None
        return self._pages[page_id]

    def request(self, cell: Cell) -> DraftRequest | None:
        page = self.page(cell[0])
        if page is None:
            return None
        block = next(
            (
                item
                for name in page.streamfield_names
                for item in getattr(page, name).raw_data
                if str(item.get("id")) == cell[1]
            ),
            None,
        )
        if block is None:
            return None
        key = (block["type"], industry_of(cell[2]))
        if key not in self._examples:
            self._examples[key] = winning_examples(block["type"], cell[2])
        return draft_request(page, cell[1], cell[2], examples=self._examples[key])


def estimate(cells: Iterable[Cell]) -> Estimate:
    requests = _Requests()
    tokens_in = tokens_out = drafts = 0
    for cell in cells:
        request = requests.request(cell)
        if request is None:
            continue
        sent, reply = request_tokens(request)
        tokens_in, tokens_out, drafts = tokens_in + sent, tokens_out + reply, drafts + 1
    price_in, price_out = prices()
    return Estimate(drafts, tokens_in, tokens_out, price_in, price_out)


def create_batch(
    cells: Sequence[Cell], budget_tokens: int, page: PersonalizedPage | None, user: Any
) -> DraftBatch:
    if budget_tokens <= 0:
        raise ValueError("budget_tokens: must be a positive number of tokens")
    if not cells:
        raise ValueError("cells: no missing cells to draft")
    return DraftBatch.objects.create(
        page=page,
        cells=[list(c) for c in cells],
        budget_tokens=budget_tokens,
        estimated_tokens=estimate(cells).tokens,
        created_by=user if getattr(user, "pk", None) else None,
    )


def _claim(batch_id: int) -> bool:
    """Take the batch unless it has finished. The queue runs one task per batch at a time
    (a RUNNING batch is one whose task was put back after its worker died)."""
    now = timezone.now()
    taken = DraftBatch.objects.filter(
        pk=batch_id, status__in=[DraftBatch.Status.QUEUED, DraftBatch.Status.RUNNING]
    ).update(status=DraftBatch.Status.RUNNING)
    if taken:
        DraftBatch.objects.filter(pk=batch_id, started_at__isnull=True).update(started_at=now)
    return bool(taken)


def _still_missing(cell: Cell) -> bool:
    page_id, block_id, audience = cell
    if Draft.objects.filter(
        page_id=page_id, block_id=block_id, audience=audience, status=Draft.Status.PENDING
    ).exists():
        return False
    found = Page.objects.filter(pk=page_id).first()
    page = found.specific if found is not None else None
    if not isinstance(page, PersonalizedPage):
        return False
    for name in page.streamfield_names:
        for item in getattr(page, name).raw_data:
            if str(item.get("id")) == block_id:
                variants = item.get("value", {}).get("variants") or []
                return all((v.get("value", v) or {}).get("audience") != audience for v in variants)
    return False


def run_batch(batch_id: int, provider: DraftProvider) -> DraftBatch:
    """Draft the batch's cells from where it stopped; returns the batch as it ended."""
    if not _claim(batch_id):
        return DraftBatch.objects.get(pk=batch_id)
    batch = DraftBatch.objects.get(pk=batch_id)
    requests = _Requests()
    try:
        while batch.position < batch.total:
            page_id, block_id, audience = batch.cells[batch.position]
            cell: Cell = (int(page_id), str(block_id), str(audience))
            request = requests.request(cell) if _still_missing(cell) else None
            if request is None:
                batch.skipped += 1
            else:
                needed = sum(request_tokens(request))
                if batch.tokens_used + needed > batch.budget_tokens:
                    batch.status = DraftBatch.Status.BUDGET
                    batch.message = (
                        f"Stopped before cell {batch.position + 1} of {batch.total}: its draft "
                        f"(about {needed:,} tokens) would take the total past the budget of "
                        f"{batch.budget_tokens:,} tokens ({batch.tokens_used:,} used)."
                    )
                    break
                page = requests.page(cell[0])
                assert page is not None
                made = request_draft(page, cell[1], cell[2], provider, examples=request.examples)
                batch.input_tokens += made.input_tokens
                batch.output_tokens += made.output_tokens
                if isinstance(made, Draft):
                    Draft.objects.filter(pk=made.pk).update(batch=batch)
                    batch.drafted += 1
                else:
                    batch.failed += 1
                    failure = made.message
                    if made.errors:
                        failure += (
                            " (" + "; ".join(f"{k}: {v}" for k, v in made.errors.items()) + ")"
                        )
                    batch.message = f"Last failure: {failure}"
                    batch.errors = [*batch.errors, {"cell": list(cell), "message": failure}]
            batch.position += 1
            batch.save()
        else:
            batch.status = DraftBatch.Status.DONE
            batch.message = batch.message if batch.failed else ""
    except Exception as exc:
        logger.exception("draft batch %s stopped by an error", batch_id)
        batch.status = DraftBatch.Status.FAILED
        batch.message = f"Stopped by an error at cell {batch.position + 1}: {exc}"
    batch.finished_at = timezone.now()
    batch.save()
    return batch


def batches_without_task() -> list[DraftBatch]:
    """Unfinished batches no task will run: never queued, or their task ended without
    finishing them (a worker stopped by a second Ctrl-C fails its task mid-batch)."""
    unfinished = DraftBatch.objects.filter(
        status__in=[DraftBatch.Status.QUEUED, DraftBatch.Status.RUNNING]
    ).order_by("created_at")
    live = {
        str(pk)
        for pk in DBTaskResult.objects.filter(
            status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING]
        ).values_list("pk", flat=True)
    }
    return [b for b in unfinished if not b.task_id or b.task_id not in live]
