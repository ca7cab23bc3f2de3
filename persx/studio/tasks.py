"""The studio's background job on the task queue: drafting a batch (queue ``drafts``, so a
long batch never holds up the short periodic jobs on ``default``)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django_tasks import task

from persx.generation.anthropic_provider import provider_from_environment
from persx.jobs.enqueue import JOBS_BACKEND
from persx.studio.batch import run_batch
from persx.studio.models import DraftBatch

DRAFTS_QUEUE = "drafts"


@task(backend=JOBS_BACKEND, queue_name=DRAFTS_QUEUE)
def draft_batch(batch_id: int) -> dict[str, Any]:
    """Draft the batch's cells from where it stopped (any worker, any number of times)."""
    provider = provider_from_environment()
    if provider is None:
        DraftBatch.objects.filter(
            pk=batch_id, status__in=[DraftBatch.Status.QUEUED, DraftBatch.Status.RUNNING]
        ).update(
            status=DraftBatch.Status.FAILED,
            message="AI drafting is off in the worker: set ANTHROPIC_API_KEY in its "
            "environment and start the batch again",
            finished_at=timezone.now(),
        )
        batch = DraftBatch.objects.get(pk=batch_id)
    else:
        batch = run_batch(batch_id, provider)
    return {
        "batch": batch.pk,
        "status": str(batch.status),
        "drafted": batch.drafted,
        "failed": batch.failed,
        "skipped": batch.skipped,
        "tokens_used": batch.tokens_used,
    }


def enqueue_batch(batch: DraftBatch) -> str:
    """Put the batch's task on the queue; the task result's id (kept on the row)."""
    result = draft_batch.enqueue(batch.pk)
    DraftBatch.objects.filter(pk=batch.pk).update(task_id=result.id)
    batch.task_id = result.id
    return result.id
