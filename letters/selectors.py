"""Read access to letters for the person they are addressed to.

Every lookup is scoped to the newcomer, so a letter of someone else is simply not found: the
view answers 404 and does not even reveal that the letter exists.
"""

from .models import Letter, LetterStatus


def issued_letters_for(newcomer_id: int):
    """The person's own issued letters, newest first (queued or failed ones are not theirs yet)."""
    return Letter.objects.filter(newcomer_id=newcomer_id, status=LetterStatus.ISSUED).order_by(
        "-issued_at", "-pk")


def issued_letter_for(newcomer_id: int, public_id) -> Letter:
    """One issued letter of the person; raises Letter.DoesNotExist for anyone else's."""
    return issued_letters_for(newcomer_id).get(public_id=public_id)
