"""What DUO staff do, each in one transaction: the integration or letters service and the audit
record stand or fall together (letters are handed to the workers only after commit)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils import timezone

from integration import services as integration
from integration.models import Newcomer
from letters.issuing import IssueOutcome, issue_letter
from letters.models import Letter, LetterKind, LetterStatus
from letters.requests import request_correction
from portal.audit.models import AuditAction
from portal.audit.services import audit


@dataclass(frozen=True)
class RetryResult:
    letter: Letter | None
    outcome: IssueOutcome | None


def retry_issuance(actor, public_id) -> RetryResult:
    """Issue a failed or stuck start-date letter here and now, or, for a ready person without
    one, re-derive the case (which requests the letter) and issue that."""
    with transaction.atomic():
        newcomer = get_object_or_404(Newcomer.objects.select_for_update(), public_id=public_id)
        letter = _unfinished_start_letter(newcomer)
        if letter is None and newcomer.start_letter_issued_on is None:
            integration.refresh_case_state(newcomer)  # requests the letter when the person is still ready
            letter = _unfinished_start_letter(newcomer)
        if letter is None:
            return RetryResult(None, None)
        audit(actor, AuditAction.ACTION, "retry issuance of the start-date letter", newcomer=newcomer,
              letter=letter.reference, status_before=letter.status)
    return RetryResult(letter, issue_letter(letter.pk))


def _unfinished_start_letter(newcomer):
    return (Letter.objects.filter(newcomer=newcomer, kind=LetterKind.START_DATE,
                                  status__in=[LetterStatus.FAILED, LetterStatus.QUEUED, LetterStatus.RENDERING])
            .order_by("-pk").first())


def record_contact(actor, public_id, *, contacted_on, subject, note):
    with transaction.atomic():
        newcomer = get_object_or_404(Newcomer, public_id=public_id)
        contact = integration.record_contact(newcomer, contacted_on=contacted_on, subject=subject, note=note,
                                             recorded_by=actor)
        audit(actor, AuditAction.CREATE, "contact recorded", newcomer=newcomer, contact=contact.pk,
              contacted_on=contact.contacted_on.isoformat())
    return contact


def record_decision(actor, public_id, *, regime, outcome, reason, note, override_reason=""):
    """A decision; a regime that does not fit the dates needs `override_reason`, which is
    stored with the decision and audited as the why of the change (DOMAIN.md §8)."""
    with transaction.atomic():
        newcomer = get_object_or_404(Newcomer, public_id=public_id)
        decision = integration.record_decision(
            newcomer, decided_by=actor, regime=regime, outcome=outcome, reason=reason, note=note,
            decided_on=timezone.localdate(), regime_override_reason=override_reason)
        detail = {"decision": decision.pk, "regime": decision.regime, "outcome": decision.outcome}
        if decision.regime_override_reason:
            detail["regime_override"] = True
        audit(actor, AuditAction.CHANGE, "obligation decision recorded", newcomer=newcomer,
              why=(decision.regime_override_reason or note)[:500], **detail)
    return decision


def correct_start_letter(actor, public_id, *, why):
    """Issue a correction of the start-date letter (it refers to the old one, which stays)."""
    with transaction.atomic():
        newcomer = get_object_or_404(Newcomer, public_id=public_id)
        correction = request_correction(newcomer)
        audit(actor, AuditAction.ACTION, "correction of the start-date letter", newcomer=newcomer, why=why[:500],
              letter=correction.reference, corrects=correction.corrects.reference)
    return correction
