"""Long sends run on the job queue (``persx.jobs``) on a queue of their own, ``email``: a
send of many thousands of messages paced by the mail server takes hours and must not hold
up the periodic jobs (rollups, monitor passes) on ``default``. A send started in the admin
goes on after the page is closed; a task whose worker died runs again and picks up where
the send stopped (the claim step keeps that from sending anything twice)."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from persx.email_delivery.models import EmailSend
from persx.email_delivery.sending import run_send
from persx.jobs.enqueue import JOBS_BACKEND

EMAIL_QUEUE = "email"


@task(backend=JOBS_BACKEND, queue_name=EMAIL_QUEUE)
def send_emails(send_id: int) -> dict[str, Any]:
    send = run_send(send_id)
    return {
        "send": send.pk,
        "status": str(send.status),
        "sent": send.sent,
        "skipped": send.skipped,
        "failed": send.failed,
    }


def enqueue_send(send: EmailSend) -> str:
    result = send_emails.enqueue(send.pk)
    EmailSend.objects.filter(pk=send.pk).update(task_id=result.id)
    send.task_id = result.id
    return result.id
