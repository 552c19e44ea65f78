"""The audit trail records what other apps report a staff member saw."""

from django.dispatch import receiver

from integration.signals import personal_data_viewed

from .models import AuditAction
from .services import audit


@receiver(personal_data_viewed)
def record_personal_data_viewed(sender, actor, newcomer, what, **kwargs):
    audit(actor, AuditAction.VIEW, what, newcomer=newcomer)
