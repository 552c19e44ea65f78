"""Letters in the admin: read-only.

Letters are made by the issuing service only, and an issued letter is never changed or
deleted (a correction is a new letter). The PDF has no URL in our private storage, so the
admin shows that a document is stored and its fingerprint, never a link to it.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import Letter, LetterEvent


class ReadOnlyAdminMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class LetterEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = LetterEvent
    fields = ["at", "event", "detail"]
    readonly_fields = fields
    extra = 0


@admin.register(Letter)
class LetterAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["reference", "kind", "newcomer", "regime", "status", "attempts", "queued_at", "issued_at"]
    list_filter = ["kind", "status", "regime"]
    list_select_related = ["newcomer"]
    search_fields = ["reference"]
    show_full_result_count = False
    date_hierarchy = "queued_at"
    inlines = [LetterEventInline]
    fieldsets = [
        (None, {"fields": ["reference", "kind", "newcomer", "regime", "status", "corrects", "cancel_reason"]}),
        (_("Contents"), {"fields": ["start_date", "letter_date", "document"]}),
        (_("Issuing"), {"fields": ["attempts", "last_error", "queued_at", "rendering_started_at", "issued_at",
                                   "email_sent_at"]}),
    ]
    readonly_fields = [name for _title, options in fieldsets for name in options["fields"]]

    @admin.display(description=_("document"))
    def document(self, letter):
        if not letter.pdf:
            return _("no document stored")
        return _("%(pages)s page(s), SHA-256 %(sha256)s") % {"pages": letter.page_count, "sha256": letter.sha256}
