"""Read access to letters for the person they are addressed to.

Every lookup is scoped to the newcomer, so a letter of someone else is simply not found: the
view answers 404 and does not even reveal that the letter exists.
"""

from django.db.models import BooleanField, Case, Exists, OuterRef, Q, Subquery, Value, When

from integration.models import IntakeAppointment, IntakeStatus

from .models import Letter, LetterKind, LetterStatus


def issued_letters_for(newcomer_id: int):
    """The person's own issued letters, newest first (queued or failed ones are not theirs yet).
    Each knows the letter it corrects (`corrects`) and, when corrected, its issued correction
    (`replaced_by`): an issued letter stays in the file, marked as replaced.

    An invitation whose appointment was called off or moved stays in the file too, but no
    longer holds: `appointment_cancelled` is true for it, and `appointment_moved` when a later
    appointment (with its own invitation) took its place."""
    issued = Letter.objects.filter(newcomer_id=newcomer_id, status=LetterStatus.ISSUED)
    later_version = IntakeAppointment.objects.filter(calendar_uid=OuterRef("intake__calendar_uid"),
                                                     calendar_sequence__gt=OuterRef("intake__calendar_sequence"))
    invitation_cancelled = Q(kind=LetterKind.INTAKE_INVITATION, intake__status=IntakeStatus.CANCELLED)
    return issued.select_related("corrects", "intake").annotate(
        replaced_by_reference=Subquery(issued.filter(corrects=OuterRef("pk")).values("reference")[:1]),
        appointment_cancelled=Case(When(invitation_cancelled, then=Value(True)), default=Value(False),
                                   output_field=BooleanField()),
        appointment_moved=Case(When(invitation_cancelled & Exists(later_version), then=Value(True)),
                               default=Value(False), output_field=BooleanField()),
    ).order_by("-issued_at", "-pk")


def issued_letter_for(newcomer_id: int, public_id) -> Letter:
    """One issued letter of the person; raises Letter.DoesNotExist for anyone else's."""
    return issued_letters_for(newcomer_id).get(public_id=public_id)


def invitations_by_appointment(newcomer_id: int) -> dict[int, Letter]:
    """The person's issued invitation letters, by the appointment they invite for."""
    return {letter.intake_id: letter for letter in
            Letter.objects.filter(newcomer_id=newcomer_id, kind=LetterKind.INTAKE_INVITATION,
                                  status=LetterStatus.ISSUED, corrects__isnull=True)}
