"""What every page's frame needs: whether this is the demo (the phase banner) and where a
signed-in member of staff works (the workspace link in the header)."""

from django.conf import settings

from .accounts.models import Role
from .accounts.roles import workspace_url
from .languages import switcher_languages


def site(request):
    user = getattr(request, "user", None)
    staff = user is not None and user.is_authenticated and user.role != Role.NEWCOMER
    return {
        "demo_mode": settings.DIGID_MOCK_ENABLED and not settings.IS_PRODUCTION,
        "staff_workspace_url": workspace_url(user) if staff else "",
        "is_staff_user": staff,
        "switcher_languages": switcher_languages(user),
    }
