"""Who may see the newcomer pages: a logged-in newcomer, and only about themselves."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

from portal.accounts.models import Role


def newcomer_required(view):
    """Anonymous visitors go to the DigiD login; staff accounts are refused.

    The view receives the newcomer's id from the account, never from the URL, so no
    parameter can point it at another person.
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if user.role != Role.NEWCOMER or user.newcomer_id is None:
            raise PermissionDenied
        return view(request, user.newcomer_id, *args, **kwargs)

    return wrapper
