"""The audit trail: every staff view or change of a person's data (who, what, when, why).

Append-only: records are written in the same transaction as what they describe and never
changed or deleted (a database trigger refuses it; the admin offers neither).
"""

import pgtrigger
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from integration.guards import refusal


class AuditAction(models.TextChoices):
    VIEW = "view", _("viewed")
    CHANGE = "change", _("changed")
    CREATE = "create", _("created")
    EXPORT = "export", _("exported")
    ACTION = "action", _("acted")


class AuditRecord(models.Model):
    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("who"))
    newcomer = models.ForeignKey("integration.Newcomer", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+", verbose_name=_("which person"))
    action = models.CharField(_("action"), max_length=10, choices=AuditAction.choices)
    what = models.CharField(_("what"), max_length=200)
    why = models.CharField(_("why"), max_length=500, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit record")
        verbose_name_plural = _("audit records")
        ordering = ["-at", "-pk"]
        triggers = [refusal("audit_record_append_only", pgtrigger.Update | pgtrigger.Delete,
                            "the audit trail is append-only")]
        indexes = [models.Index(fields=["newcomer", "at"], name="audit_newcomer_idx"),
                   models.Index(fields=["actor", "at"], name="audit_actor_idx")]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.get_action_display()} {self.what}"
