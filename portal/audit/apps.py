from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "portal.audit"
    label = "audit"
    verbose_name = "Audit trail"

    def ready(self):
        from integration.guards import sqlite_guard

        from . import receivers  # noqa: F401  (connects to integration's personal_data_viewed)

        sqlite_guard("audit_record_is_append_only", lambda: (
            "CREATE TRIGGER audit_record_is_append_only BEFORE UPDATE ON audit_auditrecord "
            "BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;"))
