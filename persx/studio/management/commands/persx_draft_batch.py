"""Finish draft batches now, in this process: what ``manage.py persx_worker`` does for the
``drafts`` queue, once. Unfinished batches that no task will run (their task failed, or
they were never queued) are queued again first, and tasks of workers that died are put
back on the queue; then every waiting draft task runs and each batch's outcome is printed.

    manage.py persx_draft_batch
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from persx.generation.anthropic_provider import provider_from_environment
from persx.jobs.worker import run_worker
from persx.studio.batch import batches_without_task
from persx.studio.models import DraftBatch
from persx.studio.tasks import DRAFTS_QUEUE, enqueue_batch


class Command(BaseCommand):
    help = "Run the waiting (or abandoned) AI draft batches of the variant studio now."

    def handle(self, *args: Any, **options: Any) -> None:
        if provider_from_environment() is None:
            raise CommandError(
                "AI drafting is off: set ANTHROPIC_API_KEY (and optionally PERSX_DRAFT_MODEL)"
            )
        for batch in batches_without_task():
            enqueue_batch(batch)
        unfinished = list(
            DraftBatch.objects.filter(
                status__in=[DraftBatch.Status.QUEUED, DraftBatch.Status.RUNNING]
            ).values_list("pk", flat=True)
        )
        run_worker(queue_names=[DRAFTS_QUEUE], batch=True, handle_signals=False)
        if not unfinished:
            self.stdout.write("No draft batch is waiting.")
        for batch in DraftBatch.objects.filter(pk__in=unfinished).order_by("created_at"):
            self.stdout.write(
                f"Batch {batch.pk}: {batch.get_status_display()} — {batch.drafted} drafted, "
                f"{batch.failed} failed, {batch.skipped} skipped of {batch.total}; "
                f"{batch.tokens_used:,} tokens of {batch.budget_tokens:,}."
                + (f" {batch.message}" if batch.message else "")
            )
