"""The invitation as an iCalendar file (RFC 5545), so the appointment lands in the person's
calendar app. It says what, when and where; nothing else about the person (no name, no BSN)."""

from __future__ import annotations

from datetime import UTC
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event

from integration.models import IntakeAppointment, IntakeKind

PRODUCT_ID = "-//DUO//Mijn Inburgering//NL"

# The calendar entry is in Dutch, like the letter: the appointment's official language.
SUMMARIES = {
    IntakeKind.INTERVIEW: "Brede intake: gesprek met de gemeente {municipality}",
    IntakeKind.LBT: "Brede intake: leerbaarheidstoets bij de gemeente {municipality}",
}


def _uid(appointment: IntakeAppointment) -> str:
    """Stable per appointment, so sending the file again updates the entry instead of adding one."""
    host = urlsplit(settings.SITE_URL).hostname or "inburgering.example"
    return f"intake-{appointment.public_id}@{host}"


def intake_summary(appointment: IntakeAppointment) -> str:
    return SUMMARIES[appointment.kind].format(municipality=appointment.municipality.name)


def intake_ics(appointment: IntakeAppointment) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    # PUBLISH: an announcement to put in the calendar; the person answers by phone or letter,
    # not through a calendar reply.
    calendar.add("method", "PUBLISH")

    event = Event()
    event.add("uid", _uid(appointment))
    event.add("dtstamp", timezone.now().astimezone(UTC))
    event.add("dtstart", appointment.starts_at.astimezone(UTC))
    event.add("dtend", appointment.ends_at.astimezone(UTC))
    event.add("summary", intake_summary(appointment))
    event.add("location", appointment.location)
    event.add("description", "Neem uw identiteitsbewijs mee. Kunt u niet komen? Bel dan uw gemeente. "
                             f"U vindt deze afspraak ook in Mijn Inburgering: {settings.SITE_URL}/mijn-inburgering/")
    event.add("status", "CONFIRMED")
    event.add("sequence", 0)
    calendar.add_component(event)
    return calendar.to_ical()
