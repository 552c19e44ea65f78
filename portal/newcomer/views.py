"""Mijn Inburgering pages. Thin: fetch through a selector, render a template."""

from django.conf import settings
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from integration.step_texts import route_text, step_text
from letters.models import Letter
from letters.selectors import issued_letter_for, issued_letters_for

from .access import newcomer_required
from .selectors import intakes_for, situation_for


@never_cache
@newcomer_required
def overview(request, newcomer_id):
    situation = situation_for(newcomer_id)
    return render(request, "portal/newcomer/overview.html", {
        "situation": situation,
        "route": route_text(situation.route) if situation.route else None,
        "duo_phone": settings.LETTER_SENDER["phone"],
        "duo_website": settings.LETTER_SENDER["website"],
    })


@never_cache
@newcomer_required
def letters(request, newcomer_id):
    return render(request, "portal/newcomer/letters.html", {"letters": issued_letters_for(newcomer_id)})


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
def steps(request, newcomer_id):
    situation = situation_for(newcomer_id)
    return render(request, "portal/newcomer/steps.html", {
        "situation": situation,
        "steps": [(step, step_text(step.key)) for step in situation.steps()],
    })


@never_cache
@newcomer_required
def intake(request, newcomer_id):
    """The brede intake appointments the municipality planned (WI2021), past and to come."""
    return render(request, "portal/newcomer/intake.html", {"appointments": intakes_for(newcomer_id)})
