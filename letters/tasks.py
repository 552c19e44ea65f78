"""Celery tasks of the letters. Each is idempotent: it re-reads state and guards on status, so
a redelivered message (acks_late after a worker died) or a double enqueue does no harm.

The tasks import the modules that do the work, never the reverse: those publish by the names
in `letters.publish`.

No task retries itself with a countdown. A delayed message sits in the worker's memory (and in
Redis's "unacked" set) for the whole delay, and a worker holding one died when Redis restarted
(kombu's restore_unacked_once). A letter or e-mail that failed waits in the database instead;
the sweep (beat, every minute) hands it out again once its retry interval has passed.
"""

from collections import Counter

from celery import shared_task

from . import issuing, publish, sending, sweep


@shared_task(name=publish.ISSUE_LETTER, acks_late=True)
def issue_letter(letter_id: int) -> str:
    # FAILED: the letter is stored as failed with its error; the sweep tries it again
    # (sweep.unfinished_letters_due says when).
    return issuing.issue_letter(letter_id).value


@shared_task(name=publish.ISSUE_LETTERS, acks_late=True)
def issue_letters(letter_ids: list[int]) -> dict[str, int]:
    """A batch of letters (the sweep, bulk work): how many came to each outcome."""
    return dict(Counter(outcome.value for outcome in issuing.issue_letters(letter_ids).values()))


@shared_task(name=publish.SEND_EMAIL, acks_late=True)
def send_email(email_id: int) -> str:
    # A failure is stored on the row with a back-off; the sweep hands it out again.
    return sending.send(email_id)


@shared_task(acks_late=True)
def sweep_due_letters() -> dict:
    return sweep.sweep()


@shared_task(name=publish.CATCH_UP_AFTER_RECONNECT, acks_late=True)
def catch_up_after_reconnect() -> dict:
    """A worker's consumer (re)connected to the broker: messages published while the broker
    was away were lost, so hand out every unfinished letter now, without waiting for the queued
    grace period (portal.celery.CatchUpOnConnect). Several workers reconnecting at once run it
    once (a short lock in Redis); a second run would only hand out the same letters again."""
    if not publish.first_catch_up_in_a_while():
        return {"skipped": 1}
    return sweep.sweep(queued_grace_seconds=0)
