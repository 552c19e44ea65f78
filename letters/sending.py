"""Sending what the outbox holds (`letters.outbox`): one `OutgoingEmail` row at a time.

1. `letters.outbox.add` wrote the row in the transaction of the event that caused the mail (the
   letter issued, the appointment planned, moved or cancelled) and asked a task to send it.
   Whoever caused the mail never waits on the mail server.
2. `send` claims the row under a lease (an UPDATE that only one sender wins), renders the mail
   from the letter or appointment, and sends it through SMTP with `EMAIL_TIMEOUT`, with no
   transaction open. A mail server that hangs costs one sender `EMAIL_TIMEOUT`, nothing else.
3. After the mail server accepted it, the row is marked sent; a dropped database connection at
   that moment is retried on a fresh connection until the mark is stored, so the sweep does not
   send it again.
4. A failure (the server down, refusing, timing out) leaves the row pending with a back-off;
   a process that died mid-send leaves it claimed until its lease runs out. Either way the sweep
   (`due`) hands it out again. Every attempt carries the same Message-ID.

So a mail goes out once, unless the process dies after the server accepted the mail and before
the mark is stored (then twice, with the same Message-ID).
"""

from __future__ import annotations

import logging
import time
import uuid
from datetime import timedelta
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import DatabaseError, close_old_connections, connection, transaction
from django.db.models import F
from django.utils import timezone

from integration.models import IntakeAppointment, IntakeStatus

from . import invitations, notifications
from .ical import intake_summary
from .models import EmailKind, EmailStatus, Letter, LetterKind, LetterStatus, OutgoingEmail
from .outbox import due, hand_out
from .requests import record_event

logger = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 3600


def lease_seconds() -> int:
    """How long a sender holds a claimed mail (EMAIL_LEASE_SECONDS): far longer than
    EMAIL_TIMEOUT and a few retries of the "sent" mark, so nobody takes over a mail that is
    still being sent."""
    return settings.EMAIL_LEASE_SECONDS


class Result:
    SENT = "sent"
    SKIPPED = "skipped"
    FAILED = "failed"
    NOT_DUE = "not_due"


def send(email_id: int) -> str:
    """Send one pending mail, if it is due and no other sender holds it."""
    token = uuid.uuid4()
    now = timezone.now()
    claimed = OutgoingEmail.objects.filter(pk=email_id, status=EmailStatus.PENDING, available_at__lte=now).update(
        claim=token, attempts=F("attempts") + 1, available_at=now + timedelta(seconds=lease_seconds()))
    if not claimed:
        return Result.NOT_DUE
    email = OutgoingEmail.objects.select_related("letter__newcomer", "appointment__newcomer",
                                                 "appointment__municipality").get(pk=email_id)
    try:
        message = _message(email)
        if message is None:
            _finish(email, token, EmailStatus.SKIPPED)
            return Result.SKIPPED
        message.extra_headers["Message-ID"] = message_id_header(email)
        # The SMTP backend takes EMAIL_TIMEOUT from the settings: a server that accepts the
        # connection and never answers costs this sender that long, and then it gives up.
        message.send()
    except Exception as exc:
        logger.warning("Could not send e-mail %s (%s); it is tried again later.", email.pk, exc.__class__.__name__)
        _back_off(email, token, f"{exc.__class__.__name__}: {exc}"[:2000])
        return Result.FAILED
    _store_sent(email, token)
    return Result.SENT


def message_id_header(email: OutgoingEmail) -> str:
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "inburgering.example"
    return f"<{email.message_id}@{domain}>"


def _message(email: OutgoingEmail) -> EmailMessage | None:
    """The mail as it is due now, or None when the reason for it went away (the appointment
    was cancelled before its invitation went out, the address was removed)."""
    if email.kind == EmailKind.NEW_LETTER:
        letter = email.letter
        if letter.status != LetterStatus.ISSUED or not letter.newcomer.email:
            return None
        return notifications.new_letter_email(letter.newcomer.email, letter.newcomer.preferred_language)
    appointment = email.appointment
    if not invitations.will_send_email(appointment.newcomer):
        return None
    if email.kind == EmailKind.INTAKE_INVITATION:
        if appointment.status != IntakeStatus.PLANNED:
            return None
        return invitations.invitation_email(appointment)
    if not invitations.cancellation_due(appointment):
        return None
    return invitations.cancellation_email(appointment)


def _back_off(email: OutgoingEmail, token, error: str) -> None:
    wait = min(MAX_BACKOFF_SECONDS, settings.EMAIL_RETRY_SECONDS * 2 ** max(0, email.attempts - 1))
    _with_fresh_connection_until_stored(lambda: OutgoingEmail.objects.filter(pk=email.pk, claim=token).update(
        claim=None, last_error=error, available_at=timezone.now() + timedelta(seconds=wait)))


def _finish(email: OutgoingEmail, token, status: str) -> None:
    def store():
        with transaction.atomic():
            if OutgoingEmail.objects.filter(pk=email.pk, claim=token).update(
                    status=status, sent_at=timezone.now() if status == EmailStatus.SENT else None,
                    last_error="") and status == EmailStatus.SENT:
                _record_sent(email)

    _with_fresh_connection_until_stored(store)


def _store_sent(email: OutgoingEmail, token) -> None:
    """The mail server has the mail: store that, whatever it takes. Failing here would make
    the sweep send it a second time."""
    _finish(email, token, EmailStatus.SENT)


def _with_fresh_connection_until_stored(write) -> None:
    """Run `write` until it succeeds; after a database error, on a new connection. Only for
    small writes that must not be lost; gives up after the lease (the sweep then takes over)."""
    deadline = time.monotonic() + lease_seconds() / 2
    pause = 0.2
    while True:
        try:
            write()
            return
        except DatabaseError:
            if connection.in_atomic_block or time.monotonic() > deadline:
                raise
            logger.warning("Could not store an e-mail's state; trying again on a new database connection.",
                           exc_info=True)
            connection.close()
            time.sleep(pause)
            pause = min(pause * 2, 5.0)
            close_old_connections()


def _record_sent(email: OutgoingEmail) -> None:
    """The letter or appointment shows that its mail went out (staff pages, the timeline)."""
    now = timezone.now()
    if email.kind == EmailKind.NEW_LETTER:
        Letter.objects.filter(pk=email.letter_id).update(email_sent_at=now)
        record_event(email.letter, "email_sent")
        return
    appointment = email.appointment
    if email.kind == EmailKind.INTAKE_INVITATION:
        IntakeAppointment.objects.filter(pk=appointment.pk).update(invitation_sent_at=now)
        event = "invitation_email_sent" if appointment.calendar_sequence == 0 else "moved_email_sent"
    else:
        IntakeAppointment.objects.filter(pk=appointment.pk).update(cancellation_sent_at=now)
        event = "cancellation_email_sent"
    for letter in Letter.objects.filter(intake=appointment, kind=LetterKind.INTAKE_INVITATION):
        record_event(letter, event, intake_summary(appointment))


# --- The sweep (letters.sweep) --------------------------------------------------------------------------------------


def sweep(batch_size: int, *, run_now: bool = False, grace_seconds: int | None = None) -> int:
    handed_out = 0
    after = 0
    while batch := list(due(batch_size, after, grace_seconds=grace_seconds)):
        for email_id in batch:
            if run_now:
                send(email_id)
            else:
                hand_out(email_id)
            handed_out += 1
        after = batch[-1]
    return handed_out
