"""Mijn Inburgering pages. Thin: fetch through a selector, render a template."""

from django.conf import settings
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from integration.case_status import CasePhase, NextAction
from integration.choices import DecisionReason
from integration.models import IntakeKind
from integration.step_texts import action_text, route_text, step_text
from letters.facts import letter_facts
from letters.models import Letter
from letters.selectors import issued_letter_for, issued_letters_for

from .access import newcomer_required
from .selectors import has_appointments, intakes_for, situation_for

# Phases in which the three conditions do not matter to the person (no letter comes).
_NO_CONDITIONS_PHASES = (CasePhase.OLD_RULES, CasePhase.NOT_OBLIGED, CasePhase.VOLUNTARY)


def shows_intake(status) -> bool:
    """The intake page is in the navigation for the brede intake (WI2021) and whoever has
    appointments."""
    return status.has_intake or status.next_intake is not None or status.intake_completed_on is not None


@never_cache
@newcomer_required
def overview(request, newcomer_id):
    found = situation_for(newcomer_id)
    status = found.status
    return render(request, "portal/newcomer/overview.html", {
        "person": found.newcomer,
        "status": status,
        "route": route_text(status.route) if status.route else None,
        "action_text": action_text(status.next_action) if status.next_action != NextAction.NOTHING else "",
        "next_intake_kind": IntakeKind(status.next_intake.kind).label if status.next_intake else "",
        "reason_label": DecisionReason(status.decision.reason).label if status.decision else "",
        "show_conditions": status.phase not in _NO_CONDITIONS_PHASES,
        "show_intake_nav": shows_intake(status),
        "duo_phone": settings.LETTER_SENDER["phone"],
        "duo_website": settings.LETTER_SENDER["website"],
    })


@never_cache
@newcomer_required
def letters(request, newcomer_id):
    return render(request, "portal/newcomer/letters.html", {
        "letters": issued_letters_for(newcomer_id),
        "show_intake_nav": has_appointments(newcomer_id),
    })


@never_cache
@newcomer_required
def letter_download(request, newcomer_id, public_id):
    try:
        letter = issued_letter_for(newcomer_id, public_id)
    except Letter.DoesNotExist:
        raise Http404 from None
    # The file name carries the reference, never a BSN or a name.
    return FileResponse(letter.pdf.open("rb"), as_attachment=True, filename=f"{letter.reference}.pdf",
                        content_type="application/pdf")


@never_cache
@newcomer_required
def letter_companion(request, newcomer_id, public_id):
    """What the letter says, in the person's language, next to the Dutch PDF: the same facts
    (letters.facts), in plain words. The letter itself stays Dutch: it is the legal text."""
    try:
        letter = issued_letter_for(newcomer_id, public_id)
    except Letter.DoesNotExist:
        raise Http404 from None
    facts = letter_facts(letter)
    return render(request, "portal/newcomer/letter_companion.html", {
        "letter": letter,
        "facts": facts,
        "route_name": route_text(facts.route).title if facts.route else "",
        "appointment_kind": IntakeKind(facts.appointment_kind).label if facts.appointment_kind else "",
        "objection_address": settings.OBJECTION_ADDRESS,
        "duo_phone": settings.LETTER_SENDER["phone"],
        "show_intake_nav": has_appointments(newcomer_id),
    })


@never_cache
@newcomer_required
def steps(request, newcomer_id):
    status = situation_for(newcomer_id).status
    return render(request, "portal/newcomer/steps.html", {
        "status": status,
        "steps": [(step, step_text(step.key)) for step in status.steps],
        "show_intake_nav": shows_intake(status),
        "action_text": action_text(status.next_action) if status.next_action != NextAction.NOTHING else "",
    })


@never_cache
@newcomer_required
def intake(request, newcomer_id):
    """The brede intake appointments the municipality planned (WI2021), past and to come."""
    return render(request, "portal/newcomer/intake.html", {"appointments": intakes_for(newcomer_id),
                                                            "show_intake_nav": True})


@never_cache
@newcomer_required
def intake_calendar(request, newcomer_id, public_id):
    """The intake appointment for the person's calendar app (.ics), as it stands now: the same
    event (UID and SEQUENCE) as the invitation e-mail, so importing it updates rather than
    duplicates. For an appointment that was moved it gives the new time, for one that was
    called off the cancellation. Only the person's own appointments are found."""
    # Imported here, so this addition leaves the module's other imports as they were.
    from django.http import HttpResponse

    from integration.models import IntakeAppointment
    from letters.ical import Method, intake_ics
    from letters.invitations import ICS_FILENAME, current_version

    try:
        appointment = current_version(newcomer_id, public_id)
    except IntakeAppointment.DoesNotExist:
        raise Http404 from None
    response = HttpResponse(intake_ics(appointment, Method.PUBLISH), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{ICS_FILENAME}"'
    return response
