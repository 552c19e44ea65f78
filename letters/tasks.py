"""Celery tasks of the letters. Each is idempotent: it re-reads state and guards on status, so
a redelivered message (acks_late after a worker died) or a double enqueue does no harm.

The tasks import the modules that do the work, never the reverse: those publish by the names
in `letters.publish`.
"""

from celery import shared_task
from django.conf import settings

from . import invitations, issuing, publish, sweep


@shared_task(name=publish.ISSUE_LETTER, bind=True, acks_late=True, max_retries=None)
def issue_letter(self, letter_id: int) -> str:
    outcome = issuing.issue_letter(letter_id)
    if outcome is issuing.IssueOutcome.FAILED and self.request.retries < settings.LETTER_MAX_AUTO_RETRIES:
        # Transient trouble (a font, the disk) often passes: try again with backoff, 10 s,
        # 20 s, 40 s …; after that the sweep retries failed letters at a slower pace.
        raise self.retry(countdown=10 * 2**self.request.retries)
    return outcome.value


# Only reached when sending right after issuance failed: retry with backoff while the mail
# server is down (1, 2, 4 … minutes, about a day in all).
@shared_task(name=publish.NOTIFY_LETTER_ISSUED, acks_late=True, autoretry_for=(Exception,), retry_backoff=60,
             retry_backoff_max=3600, max_retries=24)
def notify_letter_issued(letter_id: int) -> bool:
    return issuing.notify_letter_issued(letter_id)


@shared_task(acks_late=True)
def sweep_due_letters() -> dict:
    return sweep.sweep()


@shared_task(name=publish.SEND_INTAKE_INVITATION_EMAIL, acks_late=True)
def send_intake_invitation_email(appointment_id: int) -> bool:
    return invitations.send_invitation_email(appointment_id)


@shared_task(name=publish.SEND_INTAKE_CANCELLATION_EMAIL, acks_late=True)
def send_intake_cancellation_email(appointment_id: int) -> bool:
    return invitations.send_cancellation_email(appointment_id)
