"""Read access to letters for the person they are addressed to.

Every lookup is scoped to the newcomer, so a letter of someone else is simply not found: the
view answers 404 and does not even reveal that the letter exists.
"""

from django.db.models import OuterRef, Subquery

from .models import Letter, LetterStatus


def issued_letters_for(newcomer_id: int):
    """The person's own issued letters, newest first (queued or failed ones are not theirs yet).
    Each knows the letter it corrects (`corrects`) and, when corrected, its issued correction
    (`replaced_by`): an issued letter stays in the file, marked as replaced."""
    issued = Letter.objects.filter(newcomer_id=newcomer_id, status=LetterStatus.ISSUED)
    return issued.select_related("corrects").annotate(
        replaced_by_reference=Subquery(issued.filter(corrects=OuterRef("pk")).values("reference")[:1]),
    ).order_by("-issued_at", "-pk")


def issued_letter_for(newcomer_id: int, public_id) -> Letter:
    """One issued letter of the person; raises Letter.DoesNotExist for anyone else's."""
    return issued_letters_for(newcomer_id).get(public_id=public_id)
