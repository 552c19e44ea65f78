"""What an officer does, each in one transaction: the integration service, the letters it
causes and the audit record stand or fall together (letters are handed to the workers only
after commit)."""

from __future__ import annotations

from django.db import transaction

from integration import intakes, plans
from letters import invitations
from portal.audit.models import AuditAction
from portal.audit.services import audit


def _when(appointment) -> dict:
    return {"appointment": str(appointment.public_id), "starts_at": appointment.starts_at.isoformat(),
            "ends_at": appointment.ends_at.isoformat(), "location": appointment.location,
            "officer": appointment.officer.email}


def schedule_intake(actor, newcomer, *, kind, starts_at, ends_at, location, officer):
    with transaction.atomic():
        appointment = intakes.schedule(newcomer=newcomer, municipality=actor.municipality, kind=kind,
                                       starts_at=starts_at, ends_at=ends_at, location=location, officer=officer)
        letter = invitations.request_intake_invitation(appointment)
        audit(actor, AuditAction.CREATE, f"intake appointment ({kind})", newcomer=newcomer,
              letter=letter.reference, **_when(appointment))
    return appointment


def reschedule_intake(actor, appointment, *, starts_at, ends_at, location, officer):
    """Move the appointment: the new one's invitation (letter, and after commit the e-mail that
    says it was moved and moves the event in the person's calendar) replaces the old one's."""
    with transaction.atomic():
        new = intakes.reschedule(appointment, starts_at=starts_at, ends_at=ends_at, location=location,
                                 officer=officer)
        invitations.withdraw_intake_invitation(appointment, "appointment rescheduled")
        letter = invitations.request_intake_invitation(new)
        audit(actor, AuditAction.CHANGE, "intake appointment rescheduled", newcomer=new.newcomer,
              previous=str(appointment.public_id), letter=letter.reference, **_when(new))
    return new


def cancel_intake(actor, appointment, *, reason):
    """Cancel the appointment, withdraw its invitation if not yet issued, and (after commit)
    e-mail the cancellation, which removes the event from the person's calendar."""
    with transaction.atomic():
        cancelled = intakes.cancel(appointment, reason=reason)
        invitations.withdraw_intake_invitation(cancelled, "appointment cancelled")
        emailed = invitations.request_cancellation_email(cancelled)
        audit(actor, AuditAction.CHANGE, "intake appointment cancelled", newcomer=cancelled.newcomer,
              why=reason, appointment=str(cancelled.public_id), email=emailed)
    return cancelled


def record_intake_outcome(actor, appointment, *, attended, notes):
    with transaction.atomic():
        result = intakes.record_outcome(appointment, attended=attended, notes=notes)
        audit(actor, AuditAction.CHANGE, "intake outcome recorded", newcomer=appointment.newcomer,
              appointment=str(appointment.public_id), attended=attended, no_show_number=result.no_show_number)
    return result


def write_plan(actor, newcomer, **fields):
    """The first PIP fixes the period and queues DUO's period letter; a later one is a revision."""
    with transaction.atomic():
        first = plans.first_plan(newcomer)
        if first is None:
            plan = plans.write_first_plan(newcomer, written_by=actor, **fields)
            letter, _ = invitations.request_period_letter(newcomer)
            detail = {"period_letter": letter.reference}
        else:
            plan = plans.revise_plan(newcomer, written_by=actor, **fields)
            detail = {"revision_of": first.pk}
        audit(actor, AuditAction.CREATE, "personal plan (PIP)", newcomer=newcomer, plan=plan.pk,
              route=plan.route, plan_date=plan.plan_date.isoformat(), exams=plan.exams, **detail)
    return plan
