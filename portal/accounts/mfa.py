"""Staff pages demand a second factor: a TOTP authenticator, used in this very session.

Having an authenticator is not enough: a session that was opened some other way (the admin
login, a password-only login from before the authenticator existed) has not proved the second
factor, so it is sent to allauth's re-authentication page first. allauth keeps the factors a
session passed in a list in the session; an entry with method "mfa" means the TOTP code was
given at login or at re-authentication.
"""

from functools import wraps

from allauth.account.authentication import get_authentication_records
from allauth.mfa.models import Authenticator
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode


def has_totp(user) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def session_passed_mfa(request) -> bool:
    return any(record.get("method") == "mfa" for record in get_authentication_records(request, request.user))


def staff_with_mfa_required(*roles):
    """Let through only logged-in accounts of `roles` that passed TOTP in this session.

    Anonymous visitors go to the staff login (not the DigiD page, which is for newcomers);
    accounts of another role get 403, so a newcomer or an officer learns nothing more than
    "not for you"; staff without an authenticator are sent to set one up, then come back.
    """

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path(), login_url=reverse("account_login"))
            if user.role not in roles:
                raise PermissionDenied
            if not has_totp(user):
                return redirect(f"{reverse('mfa_activate_totp')}?{urlencode({'next': request.path})}")
            if not session_passed_mfa(request):
                return redirect(f"{reverse('mfa_reauthenticate')}?{urlencode({'next': request.path})}")
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def require_mfa_for_admin(site) -> None:
    """The Django admin holds every person's data: it too demands TOTP in this session, and it
    logs in through allauth (which asks for the code) instead of its own password-only form."""
    plain_has_permission = site.has_permission

    def has_permission(request):
        return plain_has_permission(request) and has_totp(request.user) and session_passed_mfa(request)

    def login(request, extra_context=None):
        target = request.GET.get("next") or reverse("admin:index")
        if request.user.is_authenticated and request.user.is_staff:
            if not has_totp(request.user):
                return redirect(f"{reverse('mfa_activate_totp')}?{urlencode({'next': target})}")
            if not session_passed_mfa(request):
                return redirect(f"{reverse('mfa_reauthenticate')}?{urlencode({'next': target})}")
        return redirect_to_login(target, login_url=reverse("account_login"))

    site.has_permission = has_permission
    site.login = login
