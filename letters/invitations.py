"""The municipality's letters: the invitation to the brede intake and DUO's period letter.

Both are requested inside the caller's transaction (the one that planned the appointment or
saved the first PIP), with the newcomer's row already locked, and handed to the workers once
that transaction commits. The Letter row is the durable intent, as for the start-date letter:
the database allows one live invitation per appointment and one period letter per person, and
`letters.services.issue` turns each into exactly one PDF whatever retries happen.

The invitation e-mail (with the appointment as an .ics file) goes out once per appointment:
`IntakeAppointment.invitation_sent_at` is set under the appointment's row lock in the same
transaction that sends it.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.formats import date_format

from integration.choices import Regime
from integration.models import IntakeAppointment, IntakeStatus, Newcomer

from . import services
from .ical import intake_ics, intake_summary
from .models import Letter, LetterKind, LetterStatus

ICS_FILENAME = "uitnodiging-brede-intake.ics"
ICS_CONTENT_TYPE = "text/calendar; charset=utf-8; method=PUBLISH"


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
    services.record_event(letter, "queued")
    transaction.on_commit(lambda: services.enqueue(letter.pk))
    return letter, True


# --- The invitation --------------------------------------------------------------------------


def request_intake_invitation(appointment: IntakeAppointment) -> Letter:
    """The invitation letter for a planned appointment (created once), and its e-mail after commit."""
    if appointment.status != IntakeStatus.PLANNED:
        raise ValueError("only a planned appointment gets an invitation")
    letter, created = _create_once({"intake": appointment, "kind": LetterKind.INTAKE_INVITATION},
                                   newcomer=appointment.newcomer, regime=Regime.WI2021)
    if created and appointment.invitation_sent_at is None:
        transaction.on_commit(lambda: send_invitation_email_safely(appointment.pk))
    return letter


def withdraw_intake_invitation(appointment: IntakeAppointment, reason: str) -> None:
    """Cancel an invitation that has not been issued yet (the appointment was moved or
    cancelled). An issued letter stays as it was: it is part of the person's file."""
    for letter in Letter.objects.select_for_update().filter(
            intake=appointment, kind=LetterKind.INTAKE_INVITATION,
            status__in=[LetterStatus.QUEUED, LetterStatus.FAILED]):
        services.cancel(letter, reason)


def _email_language(newcomer: Newcomer) -> str:
    languages = dict(settings.LANGUAGES)
    return newcomer.preferred_language if newcomer.preferred_language in languages else settings.LANGUAGE_CODE


def invitation_email(appointment: IntakeAppointment) -> EmailMessage:
    """The e-mail: when and where, and the .ics. No name and no BSN: an e-mail can be read by
    others, so it says only what the person needs to turn up."""
    with translation.override(_email_language(appointment.newcomer)):
        starts = timezone.localtime(appointment.starts_at)
        ends = timezone.localtime(appointment.ends_at)
        context = {
            "kind": appointment.get_kind_display(),
            "municipality": appointment.municipality.name,
            "day": date_format(starts, "l j F Y"),
            "start_time": date_format(starts, "H:i"),
            "end_time": date_format(ends, "H:i"),
            "location": appointment.location,
            "portal_url": f"{settings.SITE_URL}/mijn-inburgering/",
        }
        subject = render_to_string("letters/email/intake_subject.txt", context).strip()
        body = render_to_string("letters/email/intake_body.txt", context)
    message = EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [appointment.newcomer.email])
    message.attach(ICS_FILENAME, intake_ics(appointment), ICS_CONTENT_TYPE)
    return message


def send_invitation_email(appointment_id: int) -> bool:
    """Send the invitation e-mail once; False when there is nothing (more) to send."""
    with transaction.atomic():
        appointment = (IntakeAppointment.objects.select_for_update(of=("self",))
                       .select_related("newcomer", "municipality").get(pk=appointment_id))
        if (appointment.status != IntakeStatus.PLANNED or appointment.invitation_sent_at
                or not appointment.newcomer.email):
            return False
        invitation_email(appointment).send()
        IntakeAppointment.objects.filter(pk=appointment.pk).update(invitation_sent_at=timezone.now())
        for letter in Letter.objects.filter(intake=appointment, kind=LetterKind.INTAKE_INVITATION):
            services.record_event(letter, "invitation_email_sent", intake_summary(appointment))
    return True


def send_invitation_email_safely(appointment_id: int) -> None:
    """After commit: hand the e-mail to the workers. A broker or mail server that is down must
    not turn a saved appointment into an error page; the appointment shows "e-mail not sent"
    and the sweep (`invitations_not_sent`) sends it later."""
    from .tasks import send_intake_invitation_email

    services.publish_or_log(send_intake_invitation_email, appointment_id,
                            what=f"the invitation e-mail for appointment {appointment_id}")


def invitations_not_sent(batch_size: int, after_id: int = 0):
    """Planned appointments still to come whose invitation e-mail did not go out, in id order."""
    return (
        IntakeAppointment.objects.filter(status=IntakeStatus.PLANNED, invitation_sent_at__isnull=True,
                                         starts_at__gt=timezone.now(), pk__gt=after_id,
                                         updated_at__lte=timezone.now() - timedelta(
                                             seconds=settings.LETTER_QUEUED_GRACE_SECONDS))
        .exclude(newcomer__email="")
        .order_by("pk")
        .values_list("pk", flat=True)[:batch_size]
    )


# --- The period letter (WI2021) ----------------------------------------------------------------


def request_period_letter(newcomer: Newcomer) -> tuple[Letter, bool]:
    """DUO's letter with the start and end of the integration period, after the first PIP."""
    return _create_once({"newcomer": newcomer, "kind": LetterKind.PERIOD}, regime=Regime.WI2021)
