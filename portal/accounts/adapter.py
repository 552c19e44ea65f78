"""allauth's account side, shaped to the portal's rules:

- nobody signs up: staff accounts are created by an administrator and invited
  (`portal.accounts.invitations`); newcomer accounts come from a DigiD login;
- a newcomer account never gets a password (`set_password` refuses it; the database refuses
  a usable one too), so no allauth page can turn it into a password account;
- a login is recorded with the backend of the account's audience (`backends.backend_for`), so
  the session of a DigiD login can only be restored as a DigiD session;
- staff land in their workspace, and are sent to set up TOTP first if they have none (without
  being asked for the password they have just typed).
"""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.internal.flows.login import record_authentication
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils.http import urlencode

from letters.mail import AUTOMATIC_HEADERS

from .backends import backend_for
from .mfa import has_totp
from .models import Role
from .roles import workspace_url


class PortalAccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request):
        return False

    def login(self, request, user):
        user.backend = backend_for(user)
        super().login(request, user)
        if user.role != Role.NEWCOMER and not has_totp(user):
            # The password was typed a moment ago: the TOTP set-up this login leads to
            # must not ask for it a second time.
            record_authentication(request, user, method="password", reauthenticated=True)

    def set_password(self, user, password):
        if user.role == Role.NEWCOMER:
            # DigiD is the only way into a newcomer's data.
            raise PermissionDenied("newcomer accounts log in with DigiD only")
        super().set_password(user, password)

    def send_password_reset_mail(self, user, email, context):
        if user.role == Role.NEWCOMER:
            return
        super().send_password_reset_mail(user, email, context)

    def render_mail(self, template_prefix, email, context, headers=None):
        """allauth's mails (password reset, changed) are automatic too: say so, so that auto-replies
        and out-of-office messages stay away (RFC 3834)."""
        return super().render_mail(template_prefix, email, context, headers={**AUTOMATIC_HEADERS, **(headers or {})})

    def get_login_redirect_url(self, request):
        user = request.user
        target = workspace_url(user)
        if user.role != Role.NEWCOMER and not has_totp(user):
            return f"{reverse('mfa_activate_totp')}?{urlencode({'next': target})}"
        return target
