from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Mijn Inburgering"

    def ready(self):
        from django.contrib import admin

        from . import checks  # noqa: F401  (registers the system checks)
        from .accounts.mfa import require_mfa_for_admin
        from .digid import checks as digid_checks  # noqa: F401  (registers the DigiD login checks)

        require_mfa_for_admin(admin.site)
