"""Run draft batches: the queued ones and those whose worker stopped (no heartbeat for
five minutes). The admin starts a worker thread itself; this command is the worker for
deployments that keep batches out of the web processes (``PERSX_STUDIO_BATCH_THREAD =
False``) and the way to finish a batch whose process was stopped.

    manage.py persx_draft_batch            # every pending batch, then exit
    manage.py persx_draft_batch --batch 7  # just that one
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from persx.generation.anthropic_provider import provider_from_environment
from persx.studio.batch import pending_batches, run_batch
from persx.studio.models import DraftBatch


class Command(BaseCommand):
    help = "Run queued (or abandoned) AI draft batches of the variant studio."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", type=int, help="Run only this batch (its id).")

    def handle(self, *args: Any, **options: Any) -> None:
        provider = provider_from_environment()
        if provider is None:
            raise CommandError(
                "AI drafting is off: set ANTHROPIC_API_KEY (and optionally PERSX_DRAFT_MODEL)"
            )
        wanted = options.get("batch")
        if wanted is not None and not DraftBatch.objects.filter(pk=wanted).exists():
            raise CommandError(f"--batch: no draft batch {wanted}")
        ids = [wanted] if wanted is not None else pending_batches()
        if not ids:
            self.stdout.write("No draft batch is waiting.")
        for batch_id in ids:
            batch = run_batch(batch_id, provider)
            self.stdout.write(
                f"Batch {batch.pk}: {batch.get_status_display()} — {batch.drafted} drafted, "
                f"{batch.failed} failed, {batch.skipped} skipped of {batch.total}; "
                f"{batch.tokens_used:,} tokens of {batch.budget_tokens:,}."
                + (f" {batch.message}" if batch.message else "")
            )
