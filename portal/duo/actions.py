"""What DUO staff do, each in one transaction: the integration or letters service and the audit
record stand or fall together (letters are handed to the workers only after commit)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils import timezone

from integration import extensions, results
from integration import services as integration
from integration.models import ExtensionRequest, Newcomer
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


def record_result(actor, public_id, *, component, taken_on, outcome, note=""):
    """A result recorded by DUO staff; the last requirement met fulfils the obligation."""
    with transaction.atomic():
        newcomer = get_object_or_404(Newcomer, public_id=public_id)
        result = results.record_result(newcomer, component=component, taken_on=taken_on, outcome=outcome,
                                       note=note, recorded_by=actor)
        audit(actor, AuditAction.CREATE, "result recorded", newcomer=newcomer, result=result.pk,
              component=component, outcome=outcome, taken_on=taken_on.isoformat())
    return result


def decide_extension(actor, request_id, *, granted, new_last_day=None, refusal_reason=""):
    """DUO's decision on a request for more time; the decision letter follows after commit."""
    with transaction.atomic():
        request = get_object_or_404(ExtensionRequest.objects.select_related("newcomer"), public_id=request_id)
        decided = extensions.decide_extension(request, granted=granted, new_last_day=new_last_day,
                                              refusal_reason=refusal_reason, decided_by=actor)
        audit(actor, AuditAction.CHANGE, "extension request decided", newcomer=request.newcomer,
              why=refusal_reason[:500], request=decided.pk, status=decided.status,
              new_last_day=new_last_day.isoformat() if new_last_day else "")
    return decided


def import_results(actor, text: str, *, filename: str = ""):
    """The exam system's CSV; all-or-nothing (see `integration.results.import_results`). One audit
    record says who imported what; the report never holds a BSN."""
    with transaction.atomic():
        report = results.import_results(text, imported_by=actor)
        audit(actor, AuditAction.CREATE if report.ok else AuditAction.ACTION, "results imported",
              file=filename[:200], imported=report.imported, already_imported=report.already_imported,
              refused=len(report.refused), people=report.people)
    return report
