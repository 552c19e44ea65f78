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
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from integration import case_facts
from integration.case_status import CaseStatus
from integration.models import IntakeStatus, Newcomer
from integration.services import refresh_case_state

from . import outbox, rendering, route_letters
from .models import EmailKind, Letter, LetterKind, LetterStatus
from .requests import cancel_letter, record_event
from .storage import letter_storage

logger = logging.getLogger(__name__)


class IssueOutcome(enum.Enum):
    """What one attempt to issue a letter came to."""
    ISSUED = "issued"
    ALREADY_DONE = "already_done"
    BUSY = "busy"  # another worker holds a live lease
    CANCELLED = "cancelled"
    FAILED = "failed"
    LOST_LEASE = "lost_lease"


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
    return route_letters.not_due_reason(letter)


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


def _claim(letter_id: int) -> tuple[IssueOutcome | None, Letter | None]:
    with transaction.atomic():
        letter = _lock(letter_id)
        if letter.status in (LetterStatus.ISSUED, LetterStatus.CANCELLED):
            return IssueOutcome.ALREADY_DONE, None
        if letter.status == LetterStatus.RENDERING and not _lease_expired(letter):
            return IssueOutcome.BUSY, None
        reason, status = (_start_letter_status(letter) if letter.kind == LetterKind.START_DATE
                          else (_not_ready_reason(letter), None))
        if reason:
            cancel_letter(letter, reason)
            return IssueOutcome.CANCELLED, None
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


def pdf_name(letter: Letter) -> str:
    """Where the letter's PDF is stored: named by the letter (its reference, in the folder of
    the month it was queued), never by the attempt. `letter_date` is set again at every claim,
    so a name with it would leave the file of an attempt that crashed before committing in
    another month's folder, an orphan; with this name the next attempt overwrites it."""
    return f"{timezone.localtime(letter.queued_at):%Y/%m}/{letter.reference}.pdf"


def _store(letter_id: int, attempt: int, pdf: bytes, page_count: int) -> IssueOutcome:
    with transaction.atomic():
        # The claim checked the facts moments ago; what changed since went through the services
        # and is in the stored case state.
        letter = _lock(letter_id)
        if letter.status != LetterStatus.RENDERING or letter.attempts != attempt:
            return IssueOutcome.LOST_LEASE
        reason = _not_ready_reason(letter)
        if reason:
            cancel_letter(letter, reason)
            return IssueOutcome.CANCELLED
        name = pdf_name(letter)
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
        if letter.newcomer.email and letter.kind != LetterKind.INTAKE_INVITATION:
            # "A new letter is waiting", owed in the transaction that issued the letter and sent
            # after it (letters.outbox); the invitation's own e-mail already told the person.
            outbox.add(EmailKind.NEW_LETTER, letter=letter)
        return IssueOutcome.ISSUED


def _record_stated_letter(letter: Letter) -> None:
    """What the person now holds in writing, for the case status (under the newcomer lock)."""
    Newcomer.objects.filter(pk=letter.newcomer_id).update(
        issued_letter_date=letter.letter_date, issued_letter_start_date=letter.start_date,
        issued_letter_regime=letter.regime, issued_letter_obligation=letter.obligation_number,
        correction_requested=False)
    refresh_case_state(letter.newcomer)


def issue_letter(letter_id: int) -> IssueOutcome:
    """Issue one letter; safe to call any number of times, concurrently, or after a crash."""
    outcome, letter = _claim(letter_id)
    if outcome is not None:
        return outcome
    try:
        rendered = rendering.render_letter_pdf(letter)
        # Storing can fail too (a full disk, a permission): that is the same kind of trouble
        # for the operator and must not leave the letter "rendering" until the lease ends.
        return _store(letter_id, letter.attempts, rendered.pdf, rendered.page_count)
    except Exception as exc:
        logger.exception("Issuing letter %s failed", letter.reference)
        _fail(letter_id, letter.attempts, f"{exc.__class__.__name__}: {exc}"[:2000])
        return IssueOutcome.FAILED
