"""Writing audit records. Call inside the transaction of what is being audited, so the record
and the change stand or fall together."""

from django.db import transaction

from .models import AuditAction, AuditRecord


def audit(actor, action: AuditAction, what: str, *, newcomer=None, why: str = "", **detail) -> AuditRecord:
    """Record that `actor` did `action` on `what` (never pass a BSN in `what` or `detail`)."""
    if not transaction.get_connection().in_atomic_block:
        with transaction.atomic():
            return AuditRecord.objects.create(actor=actor, action=action, what=what, newcomer=newcomer, why=why,
                                              detail=detail)
    return AuditRecord.objects.create(actor=actor, action=action, what=what, newcomer=newcomer, why=why,
                                      detail=detail)
