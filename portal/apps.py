from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Mijn Inburgering"

    def ready(self):
        from django.contrib import admin

        from . import (
            checks,  # noqa: F401  (registers the system checks)
            languages,  # noqa: F401  (a language chosen before login becomes the preference)
            sessions,  # noqa: F401  (remembers when each session logged in)
        )
        from .accounts.mfa import require_mfa_for_admin
        from .digid import checks as digid_checks  # noqa: F401  (registers the DigiD login checks)
        from .digid import receivers as digid_receivers  # noqa: F401  (keeps the ID token for logout)

        require_mfa_for_admin(admin.site)
