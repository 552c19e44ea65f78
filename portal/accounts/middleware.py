"""Newcomers never see allauth's account pages.

allauth serves password, e-mail, password-reset, sign-up and MFA pages under /accounts/. They
are for staff. A newcomer logged in through DigiD has nothing to do there, and every one of
those pages could otherwise attach a second way in (a password, an e-mail login) to a
DigiD-only account. This middleware refuses all of them to a newcomer's session, except the
pages of the DigiD login itself. It looks at which view answers, not at paths, so a page that
a later allauth version adds is refused too.
"""

from django.core.exceptions import PermissionDenied

from .models import Role

# The DigiD (OpenID Connect) login and its return pages: a newcomer may log in again.
NEWCOMER_ALLOWED_ALLAUTH_VIEWS = frozenset({
    "openid_connect_login",
    "openid_connect_callback",
    "socialaccount_login_cancelled",
    "socialaccount_login_error",
})


def is_allauth_view(view_func) -> bool:
    module = getattr(view_func, "__module__", "") or ""
    wrapped = getattr(view_func, "view_class", None)
    if wrapped is not None:
        module = wrapped.__module__
    return module.startswith("allauth.")


class NewcomersOnlyThroughDigiDMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or user.role != Role.NEWCOMER:
            return None
        if not is_allauth_view(view_func):
            return None
        if request.resolver_match.url_name in NEWCOMER_ALLOWED_ALLAUTH_VIEWS:
            return None
        raise PermissionDenied("allauth account pages are for staff")
