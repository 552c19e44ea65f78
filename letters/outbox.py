"""The e-mail outbox: every mail the portal sends is first a row of `OutgoingEmail`.

`add` writes the row in the transaction of the event that causes the mail (the letter issued,
the appointment planned, moved or cancelled); after commit a task is asked to send it
(`letters.sending`), so whoever caused the mail never waits on the mail server, and a crash
between the event and the send cannot lose the mail: the row is there and the sweep finds it
(`due`).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from integration.models import IntakeAppointment

from .models import EmailStatus, Letter, OutgoingEmail
from .publish import SEND_EMAIL, publish_or_log


def add(kind: str, *, letter: Letter | None = None, appointment: IntakeAppointment | None = None
        ) -> OutgoingEmail:
    """Owe this mail: a row in the caller's transaction, a send task after commit. Once per
    event (a database constraint); asking again returns the row there is."""
    lookup = {"kind": kind, "letter": letter, "appointment": appointment}
    existing = OutgoingEmail.objects.filter(**lookup).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            email = OutgoingEmail.objects.create(**lookup)
    except IntegrityError:
        return OutgoingEmail.objects.get(**lookup)
    transaction.on_commit(lambda: hand_out(email.pk))
    return email


def hand_out(email_id: int) -> None:
    publish_or_log(SEND_EMAIL, email_id, what=f"e-mail {email_id}")


def due(batch_size: int, after_id: int = 0, *, grace_seconds: int | None = None):
    """Pending mails to hand out again, in id order: a failed one whose back-off has passed, a
    claimed one whose sender's lease ran out, a new one the queue has had for the grace period."""
    now = timezone.now()
    grace = settings.LETTER_QUEUED_GRACE_SECONDS if grace_seconds is None else grace_seconds
    return (
        OutgoingEmail.objects.filter(status=EmailStatus.PENDING, available_at__lte=now, pk__gt=after_id)
        .filter(Q(attempts__gt=0) | Q(created_at__lte=now - timedelta(seconds=grace)))
        .order_by("pk")
        .values_list("pk", flat=True)[:batch_size]
    )
