"""Two workers sending the same email send never take the same messages: a batch is claimed
with ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL (persx/email_delivery/sending.py).

Deterministic, no timing: another connection holds the row locks of the first messages (a
worker in the middle of its claim) while this one claims; it must take the next ones at
once, neither waiting for the locks nor taking the locked rows. Transactional (the other
connection sees committed rows only), so the module keeps the seeded database."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from persx.email_delivery import sending
from persx.email_delivery.models import EmailMessage
from persx.newsletter.models import Contact
from tests.web import committed_rows

pytestmark = [
    pytest.mark.postgresql,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("seeded_database_kept"),
]

seeded_database_kept = committed_rows.seeded_database_kept  # the module's fixture

TEMPLATE = "welcome"  # the demo's email template
WAIT_S = 120  # generous: only reached when the claim blocks, i.e. the test fails


def _holding_locks(pks: list[int], locked: threading.Event, release: threading.Event) -> None:
    """A second worker mid-claim: the rows ``pks`` locked in an open transaction."""
    try:
        with transaction.atomic():
            rows = EmailMessage.objects.filter(pk__in=pks).select_for_update()
            assert len(list(rows)) == len(pks)
            locked.set()
            release.wait(WAIT_S)
    finally:
        connection.close()


def test_a_claim_skips_the_messages_another_worker_holds() -> None:
    for n in range(6):
        Contact.objects.create(email=f"c{n}@claims.example", status="subscribed")
    send = sending.create_send(TEMPLATE, batch_size=2)
    queued = list(
        EmailMessage.objects.filter(send=send, status="queued")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    assert len(queued) >= 6
    locked, release = threading.Event(), threading.Event()
    other = threading.Thread(target=_holding_locks, args=(queued[:2], locked, release))
    other.start()
    try:
        assert locked.wait(WAIT_S)
        claimed = [m.pk for m in sending._claim(send, 2)]
    finally:
        release.set()
        other.join(WAIT_S)
    assert claimed == queued[2:4]  # the next two, not the held ones
    statuses = dict(EmailMessage.objects.filter(pk__in=queued[:4]).values_list("pk", "status"))
    assert [statuses[pk] for pk in queued[:4]] == ["queued", "queued", "sending", "sending"]
