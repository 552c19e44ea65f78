"""The sweep: what the queue lost, found again in the database and handed to the workers.

Ready people without a requested letter, letters queued too long, rendering past their lease
(a dead worker) or failed long enough ago, and e-mails of the outbox still to send.

The database is the retry schedule: no task waits in a worker with a countdown (a worker that
held such a message died when Redis restarted). A failed letter or e-mail waits here until its
retry interval has passed, and beat runs the sweep every minute.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from integration.models import Newcomer
from integration.services import refresh_case_state

from . import sending
from .issuing import IssueOutcome, issue_letters
from .models import Letter, LetterStatus
from .publish import enqueue_many, issue_batches


def ready_without_letter(batch_size: int, after_id: int = 0):
    """Ready people for whom no start-date letter was requested, in id order.

    `start_letter_requested` is set in the transaction that queues the letter, so this finds
    only what bypassed that (a bulk import, a bug) through the near-empty partial index
    newcomer_ready_unrequested_idx. Should the flag ever be wrong the other way, the sweep's
    refresh finds the letter that exists and puts the flag right.
    """
    return (
        Newcomer.objects.filter(ready_on__isnull=False, start_letter_issued_on__isnull=True,
                                start_letter_requested=False, pk__gt=after_id)
        .order_by("pk")
        .values_list("pk", flat=True)[:batch_size]
    )


def unfinished_letters_due(batch_size: int, after_id: int = 0, queued_grace_seconds: int | None = None):
    """Letters that should have moved on: queued for a while, rendering past the lease (a dead
    worker), or failed and waited long enough for another try: LETTER_QUICK_RETRY_SECONDS for
    the first LETTER_MAX_AUTO_RETRIES attempts (transient trouble, a database blip, often
    passes), then LETTER_FAILED_RETRY_SECONDS."""
    now = timezone.now()
    lease = timedelta(seconds=settings.LETTER_RENDER_LEASE_SECONDS)
    quick_wait = timedelta(seconds=settings.LETTER_QUICK_RETRY_SECONDS)
    failed_wait = timedelta(seconds=settings.LETTER_FAILED_RETRY_SECONDS)
    if queued_grace_seconds is None:
        queued_grace_seconds = settings.LETTER_QUEUED_GRACE_SECONDS

    return (
        Letter.objects.filter(pk__gt=after_id)
        .filter(
            Q(status=LetterStatus.QUEUED, updated_at__lte=now - timedelta(seconds=queued_grace_seconds))
            | Q(status=LetterStatus.RENDERING, rendering_started_at__lt=now - lease)
            | Q(status=LetterStatus.FAILED, attempts__lte=settings.LETTER_MAX_AUTO_RETRIES,
                updated_at__lt=now - quick_wait)
            | Q(status=LetterStatus.FAILED, updated_at__lt=now - failed_wait)
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:batch_size]
    )


def sweep(*, run_now: bool = False, batch_size: int | None = None, log=None,
          queued_grace_seconds: int | None = None) -> dict[str, int]:
    """Find what the queue lost and hand it to the workers (or, with `run_now`, issue it here).

    Works in id-ordered batches so memory stays bounded whatever the backlog. The catch-up after
    a broker outage passes `queued_grace_seconds=0`: what was queued meanwhile is not in Redis.
    """
    batch_size = batch_size or settings.LETTER_SWEEP_BATCH_SIZE
    counts = {"requested": 0, "dispatched": 0, "issued": 0}

    after = 0
    while batch := list(ready_without_letter(batch_size, after)):
        for newcomer_id in batch:
            with transaction.atomic():
                newcomer = Newcomer.objects.select_for_update().get(pk=newcomer_id)
                refresh_case_state(newcomer)  # re-derives and requests the letter if still ready
            counts["requested"] += 1
        after = batch[-1]
        if log:
            log(f"requested letters for {counts['requested']} ready people")

    after = 0
    # Run synchronously, nothing else is expected to pick up a freshly queued letter.
    grace = 0 if run_now else queued_grace_seconds
    while batch := list(unfinished_letters_due(batch_size, after, grace)):
        if not run_now:
            # Restart the grace period of the queued ones we hand out now, so the next sweep
            # does not send the same messages again while these are still in the queue.
            Letter.objects.filter(pk__in=batch, status=LetterStatus.QUEUED).update(updated_at=timezone.now())
        if run_now:
            for letters in issue_batches(batch):
                outcomes = issue_letters(letters).values()
                counts["issued"] += sum(outcome is IssueOutcome.ISSUED for outcome in outcomes)
        else:
            enqueue_many(batch)  # a lost publish: the letter stays due, the next sweep tries again
        counts["dispatched"] += len(batch)
        after = batch[-1]
        if log:
            log(f"dispatched {counts['dispatched']} unfinished letters")

    counts["emails"] = sending.sweep(batch_size, run_now=run_now, grace_seconds=grace)
    return counts
