"""The intake appointment as an iCalendar object (RFC 5545), sent by e-mail the way RFC 5546
(iTIP) schedules events, so the person's calendar app holds exactly the right appointment.

One intake is one calendar event for its whole life: its UID (`calendar_uid`) is carried over
when the appointment is moved, and its SEQUENCE (`calendar_sequence`) goes up with every
change. The e-mails are

- REQUEST, SEQUENCE 0: the invitation; the app adds the event;
- REQUEST, SEQUENCE n + 1: the appointment was moved; the app moves the same event;
- CANCEL, SEQUENCE n + 1: the appointment was cancelled; the app removes (or strikes) it.

The municipality is the ORGANIZER; the person, by e-mail address only, the ATTENDEE (iTIP
needs one in REQUEST and CANCEL). No reply is asked for (RSVP=FALSE): the person answers by
phone or e-mail to the municipality. The file the person downloads from Mijn Inburgering is a
PUBLISH of the same event (same UID and SEQUENCE; there may be no e-mail address to name as
attendee), with STATUS:CANCELLED once it is cancelled.

The event says what, when and where; nothing else about the person (no name, no BSN).
"""

from __future__ import annotations

from datetime import UTC
from email.utils import parseaddr
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress

from integration.models import IntakeAppointment, IntakeKind, IntakeStatus

from .links import newcomer_portal_url

PRODUCT_ID = "-//DUO//Mijn Inburgering//NL"


class Method:
    REQUEST = "REQUEST"
    CANCEL = "CANCEL"
    PUBLISH = "PUBLISH"


# The calendar entry is in Dutch, like the letter: the appointment's official language.
SUMMARIES = {
    IntakeKind.INTERVIEW: "Brede intake: gesprek met de gemeente {municipality}",
    IntakeKind.LBT: "Brede intake: leerbaarheidstoets bij de gemeente {municipality}",
}


def event_uid(appointment: IntakeAppointment) -> str:
    """The same for every version of the intake, so an update replaces the event it updates."""
    host = urlsplit(settings.SITE_URL).hostname or "inburgering.example"
    return f"intake-{appointment.calendar_uid}@{host}"


def intake_summary(appointment: IntakeAppointment) -> str:
    return SUMMARIES[appointment.kind].format(municipality=appointment.municipality.name)


def appointment_place(appointment: IntakeAppointment) -> str:
    """The room and the street address: `Stadskantoor, kamer 2.14, Stadsplateau 1, 3521 AZ Utrecht`."""
    address = appointment.municipality.visiting_address
    return f"{appointment.location}, {address}" if address else appointment.location


def organizer_address(appointment: IntakeAppointment) -> str:
    """The municipality's e-mail address, or the portal's sending address if it has none."""
    return appointment.municipality.email or parseaddr(settings.DEFAULT_FROM_EMAIL)[1]


def _organizer(appointment: IntakeAppointment) -> vCalAddress:
    organizer = vCalAddress(f"mailto:{organizer_address(appointment)}")
    organizer.params["CN"] = f"Gemeente {appointment.municipality.name}"
    return organizer


def _attendee(email: str) -> vCalAddress:
    attendee = vCalAddress(f"mailto:{email}")
    attendee.params.update({"CUTYPE": "INDIVIDUAL", "ROLE": "REQ-PARTICIPANT", "PARTSTAT": "NEEDS-ACTION",
                            "RSVP": "FALSE"})
    return attendee


def _description(appointment: IntakeAppointment, cancelled: bool) -> str:
    municipality = appointment.municipality
    reach = " of ".join(filter(None, [municipality.phone and f"bel {municipality.phone}",
                                      municipality.email and f"mail naar {municipality.email}"]))
    if cancelled:
        text = "Deze afspraak gaat niet door."
        if reach:
            text += f" Vragen? Neem contact op met de gemeente {municipality.name}: {reach}."
    else:
        text = "Neem uw identiteitsbewijs mee. Kunt u niet komen? Laat het de gemeente weten"
        text += f": {reach}." if reach else "."
    return f"{text} U vindt uw afspraken ook in Mijn Inburgering: {newcomer_portal_url()}"


def intake_ics(appointment: IntakeAppointment, method: str = Method.PUBLISH, *, attendee: str = "") -> bytes:
    """The appointment as it stands now, as a calendar object with `method`.

    REQUEST and CANCEL name the `attendee` (the e-mail address the message goes to); PUBLISH
    names none. A cancelled appointment is STATUS:CANCELLED whatever the method.
    """
    if method in (Method.REQUEST, Method.CANCEL) and not attendee:
        raise ValueError(f"an iTIP {method} names the attendee it is sent to")
    cancelled = method == Method.CANCEL or appointment.status == IntakeStatus.CANCELLED

    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("method", method)

    event = Event()
    event.add("uid", event_uid(appointment))
    event.add("sequence", appointment.calendar_sequence)
    event.add("dtstamp", timezone.now().astimezone(UTC))
    event.add("dtstart", appointment.starts_at.astimezone(UTC))
    event.add("dtend", appointment.ends_at.astimezone(UTC))
    event.add("summary", intake_summary(appointment))
    event.add("location", appointment_place(appointment))
    event.add("description", _description(appointment, cancelled))
    event.add("organizer", _organizer(appointment))
    if attendee and method != Method.PUBLISH:
        event.add("attendee", _attendee(attendee))
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "OPAQUE")
    calendar.add_component(event)
    return calendar.to_ical()
