"""Administrators search the audit trail here; nobody adds, edits or deletes a record (the
database refuses changes too)."""

from django.contrib import admin

from portal.accounts.models import Role

from .models import AuditRecord


@admin.register(AuditRecord)
class AuditRecordAdmin(admin.ModelAdmin):
    list_display = ["at", "actor", "action", "what", "newcomer_public_id", "why"]
    list_filter = ["action", "at"]
    date_hierarchy = "at"
    # Search by who, what and why, or by a person's public id (never by BSN: it is not stored here).
    search_fields = ["actor__email", "what", "why", "newcomer__public_id"]
    list_select_related = ["actor", "newcomer"]
    readonly_fields = ["at", "actor", "newcomer", "action", "what", "why", "detail"]
    show_full_result_count = False  # a COUNT(*) over millions of records on every page is not needed

    @admin.display(description="person (public id)")
    def newcomer_public_id(self, record):
        return record.newcomer.public_id if record.newcomer_id else ""

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and (request.user.is_superuser or request.user.role == Role.ADMINISTRATOR)

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
