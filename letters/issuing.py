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

Several letters can go through these steps together (`issue_letters`, a task per batch): one
claim transaction and one store transaction for the batch instead of two per letter, with
the same checks and the same lease per letter. A letter that fails to render fails alone; if
storing the batch together fails, each letter is stored on its own, so one bad letter never
holds back the others.
"""

from __future__ import annotations

import enum
import hashlib
import logging
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import prefetch_related_objects
from django.utils import timezone

from integration import case_facts
from integration.case_status import CaseStatus
from integration.models import IntakeStatus, Newcomer
from integration.rows import update_rows
from integration.services import refresh_case_states

from . import outbox, rendering, route_letters
from .models import EmailKind, Letter, LetterEvent, LetterKind, LetterStatus
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


def _start_letter_status(letter: Letter, status: CaseStatus) -> tuple[str | None, CaseStatus | None]:
    """The claim's check of a start-date letter, from the status derived again now (the facts
    may have lapsed with time, a permit's end date passing): the reason it must not go out, or
    the status whose start date and act it will state."""
    if status.obligation is None or status.obligation.number != letter.obligation_number:
        return NO_LONGER_READY, None
    if letter.corrects_id is None and status.ready_on is None:
        return NO_LONGER_READY, None
    if letter.corrects_id is not None and not status.obliged:
        return "no longer obliged: there is no start date to correct", None
    return None, status


def _lease_expired(letter: Letter, now: datetime) -> bool:
    lease = timedelta(seconds=settings.LETTER_RENDER_LEASE_SECONDS)
    return letter.rendering_started_at is None or letter.rendering_started_at < now - lease


def _lock(letter_ids: Iterable[int]) -> list[Letter]:
    """Lock the letters' people, then the letters, inside the caller's transaction; both in id
    order. Returns the letters found, in id order, each with its locked newcomer.

    Every write to a person's conditions locks the newcomer row first (integration.services), so
    holding it here means the readiness re-checked below cannot change before we commit; taking
    the locks in that same order everywhere (people before letters, people by id) keeps workers
    and case updates from deadlocking.
    """
    letter_ids = list(letter_ids)
    people = Letter.objects.filter(pk__in=letter_ids).values("newcomer_id")
    newcomers = {newcomer.pk: newcomer
                 for newcomer in Newcomer.objects.select_for_update().filter(pk__in=people).order_by("pk")}
    letters = list(Letter.objects.select_for_update().filter(pk__in=letter_ids).order_by("pk"))
    for letter in letters:
        letter.newcomer = newcomers[letter.newcomer_id]
    return letters


_CLAIMED_FIELDS = ["status", "attempts", "rendering_started_at", "letter_date", "start_date", "regime", "updated_at"]


def _claim(letter_ids: list[int]) -> tuple[dict[int, IssueOutcome], list[Letter]]:
    """Claim the letters that may go out now: the outcome of each one that may not, and the
    claimed letters (status "rendering", a new attempt each)."""
    with transaction.atomic():
        letters = _lock(letter_ids)
        outcomes = {}
        now, today = timezone.now(), timezone.localdate()
        # The start-date letters' statuses derived again now, for all of them in one query.
        statuses = case_facts.statuses_for(
            {letter.newcomer_id for letter in letters if letter.kind == LetterKind.START_DATE}, today)
        claimed = []
        for letter in letters:
            outcome = _claim_one(letter, statuses.get(letter.newcomer_id), now, today)
            if outcome is None:
                claimed.append(letter)
            else:
                outcomes[letter.pk] = outcome
        update_rows(claimed, _CLAIMED_FIELDS)
        LetterEvent.objects.bulk_create(
            LetterEvent(letter=letter, event="rendering", detail=f"attempt {letter.attempts}") for letter in claimed)
    # The addresses the letters are sent to, read for the whole batch at once (not per render).
    prefetch_related_objects([letter.newcomer for letter in claimed], "registrations")
    return outcomes, claimed


def _claim_one(letter: Letter, status: CaseStatus | None, now: datetime, today: date) -> IssueOutcome | None:
    """Check one locked letter and, when it may go out, mark it claimed in memory (the caller
    saves it); otherwise the outcome."""
    if letter.status in (LetterStatus.ISSUED, LetterStatus.CANCELLED):
        return IssueOutcome.ALREADY_DONE
    if letter.status == LetterStatus.RENDERING and not _lease_expired(letter, now):
        return IssueOutcome.BUSY
    reason, status = (_start_letter_status(letter, status) if letter.kind == LetterKind.START_DATE
                      else (_not_ready_reason(letter), None))
    if reason:
        cancel_letter(letter, reason)
        return IssueOutcome.CANCELLED
    letter.status = LetterStatus.RENDERING
    letter.attempts += 1
    letter.rendering_started_at = letter.updated_at = now
    letter.letter_date = today
    if status is not None:
        # What the start-date letter states comes from the case status: the start of the
        # obligation (the permit that created it, DOMAIN.md §8) and the act in force.
        letter.start_date = status.start_date
        letter.regime = status.decision.regime
    return None


def _fail(letter_id: int, attempt: int, error: str) -> None:
    with transaction.atomic():
        letter = Letter.objects.select_for_update().get(pk=letter_id)
        if letter.status != LetterStatus.RENDERING or letter.attempts != attempt:
            return
        letter.status = LetterStatus.FAILED
        letter.last_error = error
        letter.save(update_fields=["status", "last_error", "updated_at"])
        record_event(letter, "failed", error)


def _failed(letter: Letter, exc: Exception) -> IssueOutcome:
    logger.exception("Issuing letter %s failed", letter.reference)
    _fail(letter.pk, letter.attempts, f"{exc.__class__.__name__}: {exc}"[:2000])
    return IssueOutcome.FAILED


def pdf_name(letter: Letter) -> str:
    """Where the letter's PDF is stored: named by the letter (its reference, in the folder of
    the month it was queued), never by the attempt. `letter_date` is set again at every claim,
    so a name with it would leave the file of an attempt that crashed before committing in
    another month's folder, an orphan; with this name the next attempt overwrites it."""
    return f"{timezone.localtime(letter.queued_at):%Y/%m}/{letter.reference}.pdf"


_ISSUED_FIELDS = ["pdf", "sha256", "page_count", "status", "issued_at", "last_error", "updated_at"]


def _store(rendered: list[tuple[Letter, rendering.RenderedPdf]]) -> dict[int, IssueOutcome]:
    """Store the rendered letters whose lease is still this worker's, in one transaction."""
    by_id = {letter.pk: (letter.attempts, result) for letter, result in rendered}
    issued = []
    with transaction.atomic():
        # The claim checked the facts moments ago; what changed since went through the services
        # and is in the stored case state.
        outcomes = {}
        for letter in _lock(by_id):
            attempt, result = by_id[letter.pk]
            if letter.status != LetterStatus.RENDERING or letter.attempts != attempt:
                outcomes[letter.pk] = IssueOutcome.LOST_LEASE
                continue
            reason = _not_ready_reason(letter)
            if reason:
                cancel_letter(letter, reason)
                outcomes[letter.pk] = IssueOutcome.CANCELLED
                continue
            _save_pdf(letter, result)
            issued.append(letter)
        now = timezone.now()
        for letter in issued:
            letter.status = LetterStatus.ISSUED
            letter.issued_at = letter.updated_at = now
            letter.last_error = ""
        update_rows(issued, _ISSUED_FIELDS)
        _record_stated_letters([letter for letter in issued if letter.kind == LetterKind.START_DATE])
        LetterEvent.objects.bulk_create(LetterEvent(letter=letter, event="issued") for letter in issued)
        for letter in issued:
            if letter.newcomer.email and letter.kind != LetterKind.INTAKE_INVITATION:
                # "A new letter is waiting", owed in the transaction that issued the letter and
                # sent after it (letters.outbox); the invitation's own e-mail already told the person.
                outbox.add(EmailKind.NEW_LETTER, letter=letter)
            outcomes[letter.pk] = IssueOutcome.ISSUED
    return outcomes


def _save_pdf(letter: Letter, result: rendering.RenderedPdf) -> None:
    """Write the PDF under the letter's name (the caller holds the lease and the row lock)."""
    name = pdf_name(letter)
    storage = letter_storage()
    if storage.exists(name):  # left by an attempt that crashed before it committed
        storage.delete(name)
    letter.pdf.save(name, ContentFile(result.pdf), save=False)
    letter.sha256 = hashlib.sha256(result.pdf).hexdigest()
    letter.page_count = result.page_count


def _record_stated_letters(letters: list[Letter]) -> None:
    """What each person now holds in writing, for the case status (under the newcomer locks)."""
    stated = {letter.newcomer_id: letter for letter in letters}  # in id order: the last one counts
    newcomers = []
    for letter in stated.values():
        newcomer = letter.newcomer
        newcomer.issued_letter_date, newcomer.issued_letter_start_date = letter.letter_date, letter.start_date
        newcomer.issued_letter_regime, newcomer.issued_letter_obligation = letter.regime, letter.obligation_number
        newcomer.correction_requested = False
        newcomers.append(newcomer)
    update_rows(newcomers, ["issued_letter_date", "issued_letter_start_date", "issued_letter_regime",
                            "issued_letter_obligation", "correction_requested"])
    refresh_case_states(newcomers)


def _store_or_fail(rendered: list[tuple[Letter, rendering.RenderedPdf]]) -> dict[int, IssueOutcome]:
    """Store the batch together; if that fails (a full disk, a permission, a database error),
    store each letter on its own, so only the letter at fault is marked failed. Storing is
    trouble of the same kind as rendering for the operator and must not leave a letter
    "rendering" until its lease ends."""
    try:
        return _store(rendered)
    except Exception as exc:
        if len(rendered) == 1:
            return {rendered[0][0].pk: _failed(rendered[0][0], exc)}
        logger.warning("Storing %d letters together failed (%s); storing them one by one",
                       len(rendered), exc.__class__.__name__)
    outcomes = {}
    for item in rendered:
        outcomes.update(_store_or_fail([item]))
    return outcomes


def issue_letters(letter_ids: Iterable[int]) -> dict[int, IssueOutcome]:
    """Issue several letters, each exactly once: safe to call any number of times, concurrently
    (with overlapping batches too), or after a crash. Returns each letter's outcome."""
    letter_ids = sorted(set(letter_ids))
    outcomes, claimed = _claim(letter_ids)
    rendered = []
    for letter in claimed:
        try:
            rendered.append((letter, rendering.render_letter_pdf(letter)))
        except Exception as exc:
            outcomes[letter.pk] = _failed(letter, exc)
    if rendered:
        outcomes.update(_store_or_fail(rendered))
    if missing := set(letter_ids) - set(outcomes):
        # A message naming letters that do not exist is a bug upstream: the task fails (and is
        # counted) once the letters that do exist have been dealt with.
        raise Letter.DoesNotExist(f"no letters with ids {sorted(missing)}")
    return outcomes


def issue_letter(letter_id: int) -> IssueOutcome:
    """Issue one letter; safe to call any number of times, concurrently, or after a crash."""
    return issue_letters([letter_id])[letter_id]
