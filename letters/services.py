"""Issuing letters exactly once, whatever crashes, retries or outages happen.

The Letter row is the durable intent: it is created in the same transaction that made the
person ready, so a lost queue message loses nothing; the sweep finds it again. Issuing a letter
runs in three short steps:

1. claim: under a row lock, re-check the status and the person's readiness, then mark the
   letter "rendering" with a new attempt number (the lease);
2. render the PDF with no transaction open;
3. store: under the row lock again, only the holder of the current attempt may store the file
   and mark the letter issued. A worker that lost its lease (it was presumed dead and another
   took over) throws its work away.
"""

from __future__ import annotations

import enum
import hashlib
import logging
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from integration import case_facts
from integration.case_status import CaseStatus
from integration.models import IntakeStatus, Newcomer
from integration.services import refresh_case_state

from .models import Letter, LetterEvent, LetterKind, LetterStatus
from .storage import letter_storage

logger = logging.getLogger(__name__)


class Outcome(enum.Enum):
    ISSUED = "issued"
    ALREADY_DONE = "already_done"
    BUSY = "busy"  # another worker holds a live lease
    CANCELLED = "cancelled"
    FAILED = "failed"
    LOST_LEASE = "lost_lease"


def record_event(letter: Letter, event: str, detail: str = "") -> None:
    LetterEvent.objects.create(letter=letter, event=event, detail=detail)


# --- Requesting -----------------------------------------------------------------------------


def active_start_letter(newcomer: Newcomer, obligation_number: int) -> Letter | None:
    return (
        Letter.objects.filter(newcomer=newcomer, kind=LetterKind.START_DATE, obligation_number=obligation_number,
                              corrects__isnull=True)
        .exclude(status=LetterStatus.CANCELLED)
        .first()
    )


def request_start_letter(newcomer: Newcomer, status: CaseStatus) -> Letter | None:
    """Make sure a ready person has a start-date letter on its way; cancel one that is no
    longer due. Runs inside the caller's transaction, with the newcomer row locked, right after
    `status` was computed and stored."""
    if status.ready_on is None or status.obligation is None or status.letter is not None:
        if status.letter is None:
            # Locked (the newcomer first, then the letter, as everywhere) so a worker cannot
            # move the letter on between this read and the cancellation.
            for letter in Letter.objects.select_for_update().filter(
                    newcomer=newcomer, kind=LetterKind.START_DATE, corrects__isnull=True,
                    status__in=[LetterStatus.QUEUED, LetterStatus.FAILED]):
                cancel(letter, "no longer ready before issuance")
        _keep_requested_flag(newcomer, status.letter is not None or (
            status.obligation is not None and active_start_letter(newcomer, status.obligation.number) is not None))
        return None
    letter = active_start_letter(newcomer, status.obligation.number)
    if letter is None:
        letter = Letter.objects.create(newcomer=newcomer, kind=LetterKind.START_DATE, regime=status.decision.regime,
                                       obligation_number=status.obligation.number)
        record_event(letter, "queued")
        transaction.on_commit(lambda: enqueue(letter.pk))
    _keep_requested_flag(newcomer, True)
    return letter


def request_correction(newcomer: Newcomer) -> Letter:
    """Correct the issued start-date letter: a new letter that refers to the old one and states
    the start date and act the facts give now (DOMAIN.md §3). Refused when nothing differs or a
    correction is already on its way. Runs in the caller's transaction."""
    locked = Newcomer.objects.select_for_update().get(pk=newcomer.pk)
    status = case_facts.status_for(locked.pk)
    if not status.needs_correction:
        raise ValidationError(_("The letter states what the facts say; there is nothing to correct."),
                              code="nothing_to_correct")
    latest = (Letter.objects.filter(newcomer=locked, kind=LetterKind.START_DATE,
                                    obligation_number=status.obligation.number, status=LetterStatus.ISSUED)
              .order_by("-issued_at", "-pk").first())
    correction = Letter.objects.create(newcomer=locked, kind=LetterKind.START_DATE, corrects=latest,
                                       regime=status.decision.regime, obligation_number=status.obligation.number)
    record_event(correction, "queued", f"corrects {latest.reference}")
    Newcomer.objects.filter(pk=locked.pk).update(correction_requested=True)
    refresh_case_state(locked)
    transaction.on_commit(lambda: enqueue(correction.pk))
    return correction


def _keep_requested_flag(newcomer: Newcomer, requested: bool) -> None:
    if newcomer.start_letter_requested != requested:
        _mark_start_letter_requested(newcomer.pk, requested)
        newcomer.start_letter_requested = requested


def _mark_start_letter_requested(newcomer_id: int, requested: bool) -> None:
    Newcomer.objects.filter(pk=newcomer_id).update(start_letter_requested=requested)


def cancel(letter: Letter, reason: str) -> None:
    letter.status = LetterStatus.CANCELLED
    letter.cancel_reason = reason
    letter.save(update_fields=["status", "cancel_reason", "updated_at"])
    record_event(letter, "cancelled", reason)
    if letter.kind == LetterKind.START_DATE:
        still_active = (Letter.objects.filter(newcomer_id=letter.newcomer_id, kind=LetterKind.START_DATE)
                        .exclude(status=LetterStatus.CANCELLED).exists())
        if not still_active:
            _mark_start_letter_requested(letter.newcomer_id, False)


def enqueue(letter_id: int) -> bool:
    """Hand a letter to the workers. A broker outage is not the caller's problem: the letter
    is already stored as queued and the sweep enqueues it again once the broker is back."""
    from .tasks import issue_letter

    return publish_or_log(issue_letter, letter_id, what=f"letter {letter_id}")


def publish_or_log(task, *args, what: str, then: str = "the sweep will pick it up") -> bool:
    """`publish`, but a broker outage is logged instead of raised: for callers whose work is
    already stored. `what` names it and `then` says what happens next, in the log; never with
    personal data."""
    try:
        publish(task, *args)
    except Exception as exc:  # kombu raises several kinds of connection errors
        logger.warning("Could not hand %s to the workers (%s); %s.", what, exc.__class__.__name__, then)
        return False
    return True


def publish(task, *args) -> None:
    """Send a task to the broker, failing at once when the broker cannot be reached.

    Left to itself kombu keeps reconnecting for several seconds before it gives up; the caller
    here is a request that has just recorded a condition, and the sweep makes up for a lost
    message anyway, so one connection attempt is all a publish gets.
    """
    app = task.app
    if app.conf.task_always_eager:  # no broker (the demo): run in-process
        task.apply_async(args)
        return
    with app.pool.acquire(block=True) as connection:
        connection.ensure_connection(max_retries=0)
        task.apply_async(args, connection=connection, retry=False)


# --- Issuing --------------------------------------------------------------------------------


NO_LONGER_READY = "no longer ready before issuance (permit, registration or decision changed)"


def _not_ready_reason(letter: Letter) -> str | None:
    """Re-check with the stored case state: a start-date letter goes out only while the person
    is still ready, an invitation only while its appointment is still planned. Every change of a
    fact updates the stored ready date under the same newcomer lock the caller holds, so it is
    as current as the facts for anything recorded since the claim, at a fraction of the cost of
    deriving the status again."""
    if letter.kind == LetterKind.INTAKE_INVITATION:
        still_planned = letter.intake.status == IntakeStatus.PLANNED
        return None if still_planned else "the appointment was cancelled or moved before issuance"
    if letter.kind == LetterKind.START_DATE and letter.corrects_id is None and letter.newcomer.ready_on is None:
        return NO_LONGER_READY
    return None


def _start_letter_status(letter: Letter) -> tuple[str | None, CaseStatus | None]:
    """The claim's check of a start-date letter, from the status derived again now (the facts
    may have lapsed with time, a permit's end date passing): the reason it must not go out, or
    the status whose start date and act it will state."""
    status = case_facts.status_for(letter.newcomer_id)
    if status.obligation is None or status.obligation.number != letter.obligation_number:
        return NO_LONGER_READY, None
    if letter.corrects_id is None and status.ready_on is None:
        return NO_LONGER_READY, None
    if letter.corrects_id is not None and not status.obliged:
        return "no longer obliged: there is no start date to correct", None
    return None, status


def _lease_expired(letter: Letter) -> bool:
    lease = timedelta(seconds=settings.LETTER_RENDER_LEASE_SECONDS)
    return letter.rendering_started_at is None or letter.rendering_started_at < timezone.now() - lease


def _lock(letter_id: int) -> Letter:
    """Lock the person, then the letter, inside the caller's transaction.

    Every write to a person's conditions locks the newcomer row first (integration.services), so
    holding it here means the readiness re-checked below cannot change before we commit; taking
    the locks in that same order everywhere keeps workers and case updates from deadlocking.
    """
    newcomer = Newcomer.objects.select_for_update(of=("self",)).get(letters__pk=letter_id)
    letter = Letter.objects.select_for_update().get(pk=letter_id)
    letter.newcomer = newcomer
    return letter


def _claim(letter_id: int) -> tuple[Outcome | None, Letter | None]:
    with transaction.atomic():
        letter = _lock(letter_id)
        if letter.status in (LetterStatus.ISSUED, LetterStatus.CANCELLED):
            return Outcome.ALREADY_DONE, None
        if letter.status == LetterStatus.RENDERING and not _lease_expired(letter):
            return Outcome.BUSY, None
        reason, status = (_start_letter_status(letter) if letter.kind == LetterKind.START_DATE
                          else (_not_ready_reason(letter), None))
        if reason:
            cancel(letter, reason)
            return Outcome.CANCELLED, None
        letter.status = LetterStatus.RENDERING
        letter.attempts += 1
        letter.rendering_started_at = timezone.now()
        letter.letter_date = timezone.localdate()
        if status is not None:
            # What the start-date letter states comes from the case status: the start of the
            # obligation (the permit that created it, DOMAIN.md §8) and the act in force.
            letter.start_date = status.start_date
            letter.regime = status.decision.regime
        letter.save(update_fields=["status", "attempts", "rendering_started_at", "letter_date", "start_date",
                                   "regime", "updated_at"])
        record_event(letter, "rendering", f"attempt {letter.attempts}")
        return None, letter


def _fail(letter_id: int, attempt: int, error: str) -> None:
    with transaction.atomic():
        letter = Letter.objects.select_for_update().get(pk=letter_id)
        if letter.status != LetterStatus.RENDERING or letter.attempts != attempt:
            return
        letter.status = LetterStatus.FAILED
        letter.last_error = error
        letter.save(update_fields=["status", "last_error", "updated_at"])
        record_event(letter, "failed", error)


def _store(letter_id: int, attempt: int, pdf: bytes, page_count: int) -> Outcome:
    with transaction.atomic():
        # The claim checked the facts moments ago; what changed since went through the services
        # and is in the stored case state.
        letter = _lock(letter_id)
        if letter.status != LetterStatus.RENDERING or letter.attempts != attempt:
            return Outcome.LOST_LEASE
        reason = _not_ready_reason(letter)
        if reason:
            cancel(letter, reason)
            return Outcome.CANCELLED
        name = f"{letter.letter_date:%Y/%m}/{letter.reference}.pdf"
        storage = letter_storage()
        if storage.exists(name):  # left by an attempt that crashed before it committed
            storage.delete(name)
        letter.pdf.save(name, ContentFile(pdf), save=False)
        letter.sha256 = hashlib.sha256(pdf).hexdigest()
        letter.page_count = page_count
        letter.status = LetterStatus.ISSUED
        letter.issued_at = timezone.now()
        letter.last_error = ""
        letter.save()
        if letter.kind == LetterKind.START_DATE:
            _record_stated_letter(letter)
        record_event(letter, "issued")
        if letter.newcomer.email:
            transaction.on_commit(lambda: _notify_now_or_later(letter.pk))
        return Outcome.ISSUED


def _record_stated_letter(letter: Letter) -> None:
    """What the person now holds in writing, for the case status (under the newcomer lock)."""
    Newcomer.objects.filter(pk=letter.newcomer_id).update(
        issued_letter_date=letter.letter_date, issued_letter_start_date=letter.start_date,
        issued_letter_regime=letter.regime, issued_letter_obligation=letter.obligation_number,
        correction_requested=False)
    refresh_case_state(letter.newcomer)


def issue(letter_id: int) -> Outcome:
    """Issue one letter; safe to call any number of times, concurrently, or after a crash."""
    from .rendering import render_letter_pdf

    outcome, letter = _claim(letter_id)
    if outcome is not None:
        return outcome
    try:
        rendered = render_letter_pdf(letter)
        # Storing can fail too (a full disk, a permission): that is the same kind of trouble
        # for the operator and must not leave the letter "rendering" until the lease ends.
        return _store(letter_id, letter.attempts, rendered.pdf, rendered.page_count)
    except Exception as exc:
        logger.exception("Issuing letter %s failed", letter.reference)
        _fail(letter_id, letter.attempts, f"{exc.__class__.__name__}: {exc}"[:2000])
        return Outcome.FAILED


# --- E-mail ---------------------------------------------------------------------------------


def _notify_now_or_later(letter_id: int) -> None:
    """Send the e-mail here and now, in the process that issued the letter: a second trip
    through the queue for every letter costs the workers more than the mail itself (measured).
    If the mail server fails, a task takes over and retries."""
    try:
        notify_letter_issued(letter_id)
    except Exception as exc:
        logger.warning("Could not send the e-mail for letter %s now (%s); a task will retry.", letter_id,
                       exc.__class__.__name__)
        _enqueue_notification(letter_id)


def _enqueue_notification(letter_id: int) -> None:
    from .tasks import notify_letter_issued

    publish_or_log(notify_letter_issued, letter_id, what=f"the e-mail for letter {letter_id}",
                   then="it is not sent")


def notify_letter_issued(letter_id: int) -> bool:
    """E-mail "a new letter is waiting" (no personal data in the mail). At most once per letter
    unless the process dies between sending and committing."""
    from .notifications import send_new_letter_email

    with transaction.atomic():
        # Lock only the letter: locking the newcomer here too, after the letter, would take the
        # two locks in the opposite order of every other writer.
        letter = Letter.objects.select_for_update(of=("self",)).select_related("newcomer").get(pk=letter_id)
        if letter.status != LetterStatus.ISSUED or letter.email_sent_at or not letter.newcomer.email:
            return False
        if letter.kind == LetterKind.INTAKE_INVITATION:
            return False  # the invitation e-mail (with the .ics) already told the person
        send_new_letter_email(letter.newcomer.email, letter.newcomer.preferred_language)
        Letter.objects.filter(pk=letter.pk).update(email_sent_at=timezone.now())
        record_event(letter, "email_sent")
    return True


# --- The sweep ------------------------------------------------------------------------------


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
    worker), or failed and waited long enough for another try."""
    now = timezone.now()
    lease = timedelta(seconds=settings.LETTER_RENDER_LEASE_SECONDS)
    failed_wait = timedelta(seconds=settings.LETTER_FAILED_RETRY_SECONDS)
    if queued_grace_seconds is None:
        queued_grace_seconds = settings.LETTER_QUEUED_GRACE_SECONDS

    return (
        Letter.objects.filter(pk__gt=after_id)
        .filter(
            Q(status=LetterStatus.QUEUED, updated_at__lte=now - timedelta(seconds=queued_grace_seconds))
            | Q(status=LetterStatus.RENDERING, rendering_started_at__lt=now - lease)
            | Q(status=LetterStatus.FAILED, updated_at__lt=now - failed_wait)
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:batch_size]
    )


def sweep(*, run_now: bool = False, batch_size: int | None = None, log=None) -> dict[str, int]:
    """Find what the queue lost and hand it to the workers (or, with `run_now`, issue it here).

    Works in id-ordered batches so memory stays bounded whatever the backlog.
    """
    batch_size = batch_size or settings.LETTER_SWEEP_BATCH_SIZE
    counts = {"requested": 0, "dispatched": 0, "issued": 0}
    dispatch = issue if run_now else enqueue

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
    grace = 0 if run_now else None
    while batch := list(unfinished_letters_due(batch_size, after, grace)):
        if not run_now:
            # Restart the grace period of the queued ones we hand out now, so the next sweep
            # does not send the same messages again while these are still in the queue.
            Letter.objects.filter(pk__in=batch, status=LetterStatus.QUEUED).update(updated_at=timezone.now())
        for letter_id in batch:
            result = dispatch(letter_id)
            counts["dispatched"] += 1
            if result is Outcome.ISSUED:
                counts["issued"] += 1
        after = batch[-1]
        if log:
            log(f"dispatched {counts['dispatched']} unfinished letters")

    counts["invitation_emails"] = _sweep_invitation_emails(batch_size, run_now)
    return counts


def _sweep_invitation_emails(batch_size: int, run_now: bool) -> int:
    """Appointment e-mails (invitations, moves, cancellations) that a broker or mail outage kept
    from going out."""
    from . import invitations

    handed_out = 0
    for find, send, hand_out in (
        (invitations.invitations_not_sent, invitations.send_invitation_email,
         invitations.send_invitation_email_safely),
        (invitations.cancellations_not_sent, invitations.send_cancellation_email,
         invitations.send_cancellation_email_safely),
    ):
        after = 0
        while batch := list(find(batch_size, after)):
            for appointment_id in batch:
                if run_now:
                    send(appointment_id)
                else:
                    hand_out(appointment_id)
                handed_out += 1
            after = batch[-1]
    return handed_out
