"""Letters DUO and municipalities send, with an explicit status life cycle.

queued → rendering → issued, or → failed (with the error; retried later), or → cancelled (the
person stopped being ready before issuance). An issued letter is never changed: a correction is
a new letter that refers to the old one.
"""

import functools
import operator
import secrets
import uuid

import pgtrigger
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from integration.choices import Regime
from integration.guards import refusal
from integration.models import ExtensionRequest, IntakeAppointment, Newcomer

from .storage import letter_storage


class LetterKind(models.TextChoices):
    START_DATE = "START_DATE", _("start-date letter")
    INTAKE_INVITATION = "INTAKE_INVITATION", _("invitation to the brede intake")
    PERIOD = "PERIOD", _("integration period letter")
    FULFILMENT = "FULFILMENT", _("letter: integration obligation fulfilled")
    EXTENSION_DECISION = "EXTENSION_DECISION", _("decision on a request for more time")
    REMINDER = "REMINDER", _("reminder: 6 months before the end of the period")
    PERIOD_ENDED = "PERIOD_ENDED", _("notice: the integration period has ended")


# Letters about one period end (its last day, moved by an extension): once per period end, so
# an extension re-arms the reminder.
PERIOD_END_KINDS = (LetterKind.REMINDER, LetterKind.PERIOD_ENDED)


# What an issued letter said and how it was made: never changed once issued (DOMAIN.md §3; a
# correction is a new letter). Every field of Letter is in one of these two lists (a test checks).
FROZEN_ONCE_ISSUED = (
    "id", "public_id", "kind", "newcomer", "obligation_number", "regime", "reference", "status", "intake",
    "corrects", "start_date", "letter_date", "extension", "period_end", "attempts", "last_error", "cancel_reason",
    "pdf", "sha256", "page_count", "queued_at", "rendering_started_at", "issued_at",
)
MAY_CHANGE_AFTER_ISSUE = ("email_sent_at", "updated_at")

KIND_REFERENCE_CODE = {
    LetterKind.START_DATE: "SD", LetterKind.INTAKE_INVITATION: "IU", LetterKind.PERIOD: "IT",
    LetterKind.FULFILMENT: "VO", LetterKind.EXTENSION_DECISION: "VL", LetterKind.REMINDER: "HR",
    LetterKind.PERIOD_ENDED: "TV",
}


class LetterStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    RENDERING = "rendering", _("rendering")
    ISSUED = "issued", _("issued")
    FAILED = "failed", _("failed")
    CANCELLED = "cancelled", _("cancelled")


UNFINISHED_STATUSES = (LetterStatus.QUEUED, LetterStatus.RENDERING, LetterStatus.FAILED)

# Crockford's base 32 without the look-alikes I, L, O and U: easy to read aloud on the phone.
_REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_reference(kind: str) -> str:
    """A human-readable, unguessable reference (ons kenmerk), for example `INB-SD-7K4M-Q2XD`."""
    code = "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(8))
    return f"INB-{KIND_REFERENCE_CODE[kind]}-{code[:4]}-{code[4:]}"


class ImmutableLetterError(ValidationError):
    pass


class Letter(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=20, choices=LetterKind.choices)
    newcomer = models.ForeignKey(Newcomer, on_delete=models.PROTECT, related_name="letters",
                                 verbose_name=_("newcomer"))
    # The obligation the letter is about (a person may have a second one after leaving the
    # country, DOMAIN.md §8); with `newcomer` and `kind` it identifies a start-date letter.
    obligation_number = models.PositiveSmallIntegerField(_("obligation number"), default=1)
    # The act stated in the letter, fixed when it is rendered.
    regime = models.CharField(_("regime"), max_length=10, choices=Regime.choices)
    reference = models.CharField(_("reference (ons kenmerk)"), max_length=20, unique=True, editable=False)
    status = models.CharField(_("status"), max_length=10, choices=LetterStatus.choices,
                              default=LetterStatus.QUEUED)
    intake = models.ForeignKey(IntakeAppointment, on_delete=models.PROTECT, null=True, blank=True,
                               related_name="letters", verbose_name=_("intake appointment"),
                               help_text=_("The appointment an invitation letter is about."))
    corrects = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="corrections", verbose_name=_("corrects letter"))
    extension = models.ForeignKey(ExtensionRequest, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="letters", verbose_name=_("extension request"),
                                  help_text=_("The request a decision letter is about."))
    # The period's last day a reminder or an ended-period notice is about.
    period_end = models.DateField(_("last day of the period"), null=True, blank=True)
    # The facts printed in the letter, fixed at issuance.
    start_date = models.DateField(_("start date of the obligation"), null=True, blank=True)
    letter_date = models.DateField(_("letter date"), null=True, blank=True)

    attempts = models.PositiveIntegerField(_("rendering attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    cancel_reason = models.CharField(_("cancellation reason"), max_length=200, blank=True)

    pdf = models.FileField(_("PDF"), storage=letter_storage, upload_to="", blank=True, max_length=200)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    page_count = models.PositiveSmallIntegerField(_("pages"), null=True, blank=True)

    queued_at = models.DateTimeField(_("queued at"), auto_now_add=True)
    rendering_started_at = models.DateTimeField(_("rendering started at"), null=True, blank=True)
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)
    email_sent_at = models.DateTimeField(_("e-mail sent at"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("letter")
        verbose_name_plural = _("letters")
        ordering = ["-queued_at"]
        triggers = [
            refusal("issued_letter_not_deleted", pgtrigger.Delete,
                    "issued letter % cannot be deleted", message_args="OLD.reference",
                    condition=pgtrigger.Q(old__status="issued")),
            refusal("issued_letter_not_changed", pgtrigger.Update,
                    "issued letter % cannot be changed; issue a correction instead", message_args="OLD.reference",
                    condition=pgtrigger.Q(old__status="issued") & functools.reduce(operator.or_, (
                        pgtrigger.Q(**{f"old__{field}__df": pgtrigger.F(f"new__{field}")})
                        for field in FROZEN_ONCE_ISSUED))),
        ]
        constraints = [
            # Exactly one start-date letter per person and obligation (DOMAIN.md §3); a
            # correction is a separate letter, a cancelled one no longer counts.
            models.UniqueConstraint(
                fields=["newcomer", "kind", "obligation_number"],
                condition=Q(kind=LetterKind.START_DATE, corrects__isnull=True) & ~Q(status=LetterStatus.CANCELLED),
                name="letter_one_start_date_letter_per_obligation",
            ),
            # A letter is corrected once (a correction of the correction corrects the new one).
            models.UniqueConstraint(
                fields=["corrects"], condition=Q(corrects__isnull=False) & ~Q(status=LetterStatus.CANCELLED),
                name="letter_one_correction_per_letter",
            ),
            # One invitation letter per appointment, one period letter per person (WI2021).
            models.UniqueConstraint(
                fields=["intake"],
                condition=Q(kind=LetterKind.INTAKE_INVITATION, corrects__isnull=True)
                & ~Q(status=LetterStatus.CANCELLED),
                name="letter_one_invitation_per_appointment",
            ),
            models.UniqueConstraint(
                fields=["newcomer", "kind"],
                condition=Q(kind=LetterKind.PERIOD, corrects__isnull=True) & ~Q(status=LetterStatus.CANCELLED),
                name="letter_one_period_letter_per_person",
            ),
            # One fulfilment letter per obligation, one decision letter per request, one reminder
            # and one ended-period notice per period end (DOMAIN.md §4-§5).
            models.UniqueConstraint(
                fields=["newcomer", "kind", "obligation_number"],
                condition=Q(kind=LetterKind.FULFILMENT, corrects__isnull=True) & ~Q(status=LetterStatus.CANCELLED),
                name="letter_one_fulfilment_letter_per_obligation",
            ),
            models.UniqueConstraint(
                fields=["extension"],
                condition=Q(kind=LetterKind.EXTENSION_DECISION, corrects__isnull=True)
                & ~Q(status=LetterStatus.CANCELLED),
                name="letter_one_decision_letter_per_request",
            ),
            models.UniqueConstraint(
                fields=["newcomer", "kind", "period_end"],
                condition=Q(kind__in=PERIOD_END_KINDS, corrects__isnull=True) & ~Q(status=LetterStatus.CANCELLED),
                name="letter_one_per_period_end",
            ),
            models.CheckConstraint(
                condition=Q(kind=LetterKind.EXTENSION_DECISION, extension__isnull=False)
                | (~Q(kind=LetterKind.EXTENSION_DECISION) & Q(extension__isnull=True)),
                name="letter_decision_has_request",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=PERIOD_END_KINDS) | Q(period_end__isnull=False),
                name="letter_period_end_given",
            ),
            models.CheckConstraint(
                condition=Q(kind=LetterKind.INTAKE_INVITATION, intake__isnull=False)
                | (~Q(kind=LetterKind.INTAKE_INVITATION) & Q(intake__isnull=True)),
                name="letter_invitation_has_appointment",
            ),
            models.CheckConstraint(condition=Q(status__in=LetterStatus.values), name="letter_status_valid"),
            models.CheckConstraint(condition=Q(kind__in=LetterKind.values), name="letter_kind_valid"),
            models.CheckConstraint(
                condition=~Q(status=LetterStatus.ISSUED)
                | (Q(issued_at__isnull=False, page_count__isnull=False) & ~Q(sha256="") & ~Q(pdf="")),
                name="letter_issued_has_document",
            ),
        ]
        indexes = [
            # The sweep's second source: letters that did not get to "issued", in the id order the
            # sweep pages through, with the columns its conditions read (an index-only scan over
            # the unfinished letters alone, however many issued ones the table holds).
            models.Index(fields=["id"], name="letter_unfinished_idx",
                         include=["status", "updated_at", "rendering_started_at", "attempts"],
                         condition=Q(status__in=["queued", "rendering", "failed"])),
            models.Index(fields=["newcomer", "kind"], name="letter_newcomer_kind_idx"),
            # The DUO dashboard counts letters issued this week.
            models.Index(fields=["letter_date"], name="letter_issued_date_idx",
                         condition=Q(status="issued")),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.reference}"

    def save(self, *args, **kwargs):
        if not self.reference:
            self.reference = new_reference(self.kind)
        super().save(*args, **kwargs)

    @property
    def is_issued(self):
        return self.status == LetterStatus.ISSUED


class LetterEvent(models.Model):
    """What happened to a letter, for the staff timeline (queued, attempts, errors, issued, mailed)."""

    letter = models.ForeignKey(Letter, on_delete=models.PROTECT, related_name="events")
    at = models.DateTimeField(auto_now_add=True)
    event = models.CharField(max_length=30)
    detail = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["letter", "at"], name="letter_event_letter_idx")]

    def __str__(self):
        return f"{self.event} {self.at:%Y-%m-%d %H:%M}"


class EmailKind(models.TextChoices):
    NEW_LETTER = "new_letter", _("a new letter is waiting")
    INTAKE_INVITATION = "intake_invitation", _("intake invitation (or its move)")
    INTAKE_CANCELLATION = "intake_cancellation", _("intake cancellation")


class EmailStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    SENT = "sent", _("sent")
    SKIPPED = "skipped", _("no longer due")


class OutgoingEmail(models.Model):
    """The outbox: one row per e-mail the portal owes someone, written in the transaction of the
    event that causes it (a letter issued, an appointment planned, moved or cancelled), sent
    afterwards by letters.outbox. What the mail says is rendered when it is sent, from the
    letter or appointment it is about; the row holds only the promise and its delivery."""

    # The mail's Message-ID: the same at every attempt, so a receiving server can recognise a
    # second delivery of one mail.
    message_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=30, choices=EmailKind.choices)
    letter = models.ForeignKey(Letter, on_delete=models.PROTECT, null=True, blank=True, related_name="emails")
    appointment = models.ForeignKey(IntakeAppointment, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="emails")
    status = models.CharField(_("status"), max_length=10, choices=EmailStatus.choices, default=EmailStatus.PENDING)
    # Not taken before this moment: a sender's lease while it sends, the back-off after a failure.
    available_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    # The sender holding the lease; only it may mark the mail sent.
    claim = models.UUIDField(null=True, blank=True, editable=False)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("outgoing e-mail")
        verbose_name_plural = _("outgoing e-mails")
        constraints = [
            # One mail per event: the letter's notice, the appointment's invitation, its cancellation.
            models.UniqueConstraint(fields=["kind", "letter"], condition=Q(letter__isnull=False),
                                    name="outgoing_email_once_per_letter"),
            models.UniqueConstraint(fields=["kind", "appointment"], condition=Q(appointment__isnull=False),
                                    name="outgoing_email_once_per_appointment"),
            models.CheckConstraint(condition=Q(status__in=EmailStatus.values), name="outgoing_email_status_valid"),
        ]
        indexes = [
            # The sweep's query: the few pending rows, by when they may be taken.
            models.Index(fields=["available_at"], name="outgoing_email_pending_idx",
                         condition=Q(status="pending")),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.message_id}"
