"""Requesting letters: the Letter row is the durable intent.

It is created in the same transaction that made the person ready (or asked for a correction),
so a lost queue message loses nothing; the sweep finds it again. A letter that is no longer due
before it was issued is cancelled here too.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from integration import case_facts
from integration.case_status import CaseStatus
from integration.models import Newcomer
from integration.services import refresh_case_state

from .models import Letter, LetterEvent, LetterKind, LetterStatus
from .publish import enqueue


def record_event(letter: Letter, event: str, detail: str = "") -> None:
    LetterEvent.objects.create(letter=letter, event=event, detail=detail)


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
                cancel_letter(letter, "no longer ready before issuance")
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


def cancel_letter(letter: Letter, reason: str) -> None:
    letter.status = LetterStatus.CANCELLED
    letter.cancel_reason = reason
    letter.save(update_fields=["status", "cancel_reason", "updated_at"])
    record_event(letter, "cancelled", reason)
    if letter.kind == LetterKind.START_DATE:
        still_active = (Letter.objects.filter(newcomer_id=letter.newcomer_id, kind=LetterKind.START_DATE)
                        .exclude(status=LetterStatus.CANCELLED).exists())
        if not still_active:
            _mark_start_letter_requested(letter.newcomer_id, False)
