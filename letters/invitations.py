"""The municipality's letters: the invitation to the brede intake and DUO's period letter.

Both are requested inside the caller's transaction (the one that planned the appointment or
saved the first PIP), with the newcomer's row already locked, and handed to the workers once
that transaction commits. The Letter row is the durable intent, as for the start-date letter:
the database allows one live invitation per appointment and one period letter per person, and
`letters.issuing.issue_letter` turns each into exactly one PDF whatever retries happen.

The invitation e-mail (with the appointment for the calendar, `letters.ical`) goes out once
per appointment, through the outbox (`letters.outbox`): the row is written in the transaction
that planned the appointment and sent after commit; `IntakeAppointment.invitation_sent_at`
shows when it went out. Moving an appointment sends the new one's invitation, worded as a move
and updating the same calendar event; cancelling it sends a cancellation once
(`cancellation_sent_at`). The sweep sends whatever a broker or mail outage held back.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.formats import date_format

from integration.choices import Regime
from integration.models import IntakeAppointment, IntakeStatus, Newcomer

from . import outbox
from .ical import Method, intake_ics
from .links import newcomer_portal_url
from .mail import automatic_email, calendar_part
from .models import EmailKind, Letter, LetterKind, LetterStatus
from .publish import enqueue
from .requests import cancel_letter, record_event

ICS_FILENAME = "uitnodiging-brede-intake.ics"


def _live(queryset):
    return queryset.filter(corrects__isnull=True).exclude(status=LetterStatus.CANCELLED)


def _create_once(lookup: dict, **fields) -> tuple[Letter, bool]:
    """Create the letter unless a live one exists; a concurrent creator loses on the unique
    constraint and gets the winner's letter."""
    existing = _live(Letter.objects.filter(**lookup)).first()
    if existing:
        return existing, False
    try:
        with transaction.atomic():
            letter = Letter.objects.create(**lookup, **fields)
    except IntegrityError:
        return _live(Letter.objects.filter(**lookup)).get(), False
    record_event(letter, "queued")
    transaction.on_commit(lambda: enqueue(letter.pk))
    return letter, True


# --- The invitation --------------------------------------------------------------------------


def request_intake_invitation(appointment: IntakeAppointment) -> Letter:
    """The invitation letter for a planned appointment (created once), and its e-mail after commit."""
    if appointment.status != IntakeStatus.PLANNED:
        raise ValueError("only a planned appointment gets an invitation")
    letter, created = _create_once({"intake": appointment, "kind": LetterKind.INTAKE_INVITATION},
                                   newcomer=appointment.newcomer, regime=Regime.WI2021)
    if created and will_send_email(appointment.newcomer):
        outbox.add(EmailKind.INTAKE_INVITATION, appointment=appointment)
    return letter


def withdraw_intake_invitation(appointment: IntakeAppointment, reason: str) -> None:
    """Cancel an invitation that has not been issued yet (the appointment was moved or
    cancelled). An issued letter stays as it was: it is part of the person's file."""
    for letter in Letter.objects.select_for_update().filter(
            intake=appointment, kind=LetterKind.INTAKE_INVITATION,
            status__in=[LetterStatus.QUEUED, LetterStatus.FAILED]):
        cancel_letter(letter, reason)


def _email_language(newcomer: Newcomer) -> str:
    languages = dict(settings.LANGUAGES)
    return newcomer.preferred_language if newcomer.preferred_language in languages else settings.LANGUAGE_CODE


def will_send_email(newcomer: Newcomer) -> bool:
    """Whether scheduling, moving or cancelling an appointment of this person sends an e-mail
    (with the calendar update): only when an e-mail address is known. Without one the person
    finds the letter and the appointment in Mijn Inburgering only."""
    return bool(newcomer.email)


def _previous_version(appointment: IntakeAppointment) -> IntakeAppointment | None:
    """The appointment this one replaced when it was moved (the event's previous version)."""
    if appointment.calendar_sequence == 0:
        return None
    return (IntakeAppointment.objects.filter(calendar_uid=appointment.calendar_uid,
                                             calendar_sequence=appointment.calendar_sequence - 1)
            .exclude(pk=appointment.pk).first())


def _is_superseded(appointment: IntakeAppointment) -> bool:
    """A cancelled appointment that was moved, not called off: a later version exists."""
    return IntakeAppointment.objects.filter(calendar_uid=appointment.calendar_uid,
                                            calendar_sequence__gt=appointment.calendar_sequence).exists()


def _when(appointment: IntakeAppointment) -> dict:
    starts = timezone.localtime(appointment.starts_at)
    ends = timezone.localtime(appointment.ends_at)
    return {"day": date_format(starts, "l j F Y"), "start_time": date_format(starts, "H:i"),
            "end_time": date_format(ends, "H:i")}


def _email_context(appointment: IntakeAppointment) -> dict:
    """What every appointment e-mail says: what, when, where and how to reach the municipality.
    No name, no BSN, no home address: an e-mail can be read by others."""
    municipality = appointment.municipality
    return {
        "kind": appointment.get_kind_display(),
        "municipality": municipality.name,
        **_when(appointment),
        "location": appointment.location,
        "address": municipality.visiting_address,
        "phone": municipality.phone,
        "email": municipality.email,
        "website": municipality.website,
        "portal_url": newcomer_portal_url(),
    }


def _appointment_email(appointment: IntakeAppointment, template: str, method: str, **extra) -> EmailMessage:
    newcomer = appointment.newcomer
    with translation.override(_email_language(newcomer)):
        context = {**_email_context(appointment), **extra}
        subject = render_to_string(f"letters/email/{template}_subject.txt", context).strip()
        body = render_to_string(f"letters/email/{template}_body.txt", context)
    ics = intake_ics(appointment, method, attendee=newcomer.email)
    return automatic_email(subject, body, [newcomer.email], municipality=appointment.municipality,
                           attachments=(calendar_part(ics, method, ICS_FILENAME),))


def invitation_email(appointment: IntakeAppointment) -> EmailMessage:
    """The invitation (REQUEST): when and where, and the appointment for the calendar. For an
    appointment that replaces a moved one, the e-mail says it was moved and from when."""
    previous = _previous_version(appointment)
    if previous is None:
        return _appointment_email(appointment, "intake", Method.REQUEST)
    with translation.override(_email_language(appointment.newcomer)):
        was = _when(previous)
    return _appointment_email(appointment, "intake_moved", Method.REQUEST, previous_day=was["day"],
                              previous_start_time=was["start_time"])


def cancellation_email(appointment: IntakeAppointment) -> EmailMessage:
    """The appointment is off (CANCEL): the calendar app removes the event."""
    return _appointment_email(appointment, "intake_cancelled", Method.CANCEL)


def cancellation_due(appointment: IntakeAppointment) -> bool:
    """Whether a cancelled appointment gets a cancellation e-mail. A real cancellation raised
    the sequence (`intakes.cancel`); an appointment that was moved has a later version, whose
    REQUEST moves the event instead."""
    return (appointment.status == IntakeStatus.CANCELLED and appointment.calendar_sequence > 0
            and will_send_email(appointment.newcomer) and not _is_superseded(appointment))


def request_cancellation_email(appointment: IntakeAppointment) -> bool:
    """In the cancellation's transaction: owe the person (and their calendar) the cancellation
    e-mail, sent after commit. Returns whether an e-mail will go out, for the officer's
    confirmation."""
    if not cancellation_due(appointment):
        return False
    outbox.add(EmailKind.INTAKE_CANCELLATION, appointment=appointment)
    return True


# --- The period letter (WI2021) ----------------------------------------------------------------


def request_period_letter(newcomer: Newcomer) -> tuple[Letter, bool]:
    """DUO's letter with the start and end of the integration period, after the first PIP."""
    return _create_once({"newcomer": newcomer, "kind": LetterKind.PERIOD}, regime=Regime.WI2021)


# --- The calendar file in Mijn Inburgering -------------------------------------------------------


def current_version(newcomer_id: int, public_id) -> IntakeAppointment:
    """The latest version of the person's intake that `public_id` is a version of (the moved
    appointment's successor, or itself). Raises IntakeAppointment.DoesNotExist for an
    appointment that is not the person's."""
    appointment = IntakeAppointment.objects.only("calendar_uid").get(newcomer_id=newcomer_id, public_id=public_id)
    return (IntakeAppointment.objects.select_related("municipality")
            .filter(newcomer_id=newcomer_id, calendar_uid=appointment.calendar_uid)
            .order_by("-calendar_sequence").first())
