"""Celery tasks of the letters. Each is idempotent: it re-reads state and guards on status, so
a redelivered message (acks_late after a worker died) or a double enqueue does no harm."""

from celery import shared_task
from django.conf import settings

from . import services


@shared_task(bind=True, acks_late=True, max_retries=None)
def issue_letter(self, letter_id: int) -> str:
    outcome = services.issue(letter_id)
    if outcome is services.Outcome.FAILED and self.request.retries < settings.LETTER_MAX_AUTO_RETRIES:
        # Transient trouble (a font, the disk) often passes: try again with backoff, 10 s,
        # 20 s, 40 s …; after that the sweep retries failed letters at a slower pace.
        raise self.retry(countdown=10 * 2**self.request.retries)
    return outcome.value


# Only reached when sending right after issuance failed: retry with backoff while the mail
# server is down (1, 2, 4 … minutes, about a day in all).
@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=60, retry_backoff_max=3600, max_retries=24)
def notify_letter_issued(letter_id: int) -> bool:
    return services.notify_letter_issued(letter_id)


@shared_task(acks_late=True)
def sweep_due_letters() -> dict:
    return services.sweep()


@shared_task(acks_late=True)
def send_intake_invitation_email(appointment_id: int) -> bool:
    from .invitations import send_invitation_email

    return send_invitation_email(appointment_id)


@shared_task(acks_late=True)
def send_intake_cancellation_email(appointment_id: int) -> bool:
    from .invitations import send_cancellation_email

    return send_cancellation_email(appointment_id)
