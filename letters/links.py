"""Links the letters' e-mails and calendar entries give: absolute, from the URL configuration."""

from django.conf import settings
from django.urls import reverse


def newcomer_portal_url() -> str:
    """Where a newcomer finds their letters and appointments (after logging in with DigiD)."""
    return f"{settings.SITE_URL}{reverse('newcomer:overview')}"
