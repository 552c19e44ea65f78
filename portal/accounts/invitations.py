"""Staff accounts are opened by an administrator and finished by the staff member.

The administrator enters the e-mail address and role; the account starts without a usable
password and the person receives an invitation with a one-time link (allauth's password-reset
key: valid for PASSWORD_RESET_TIMEOUT, void once a password is set). After choosing a password
they log in and are sent to set up TOTP before any staff page opens (`PortalAccountAdapter` and
`staff_with_mfa_required`).
"""

from allauth.account.forms import default_token_generator
from allauth.account.models import EmailAddress
from allauth.account.signals import password_reset
from allauth.account.utils import user_pk_to_url_str
from django.conf import settings
from django.core.mail import EmailMessage
from django.dispatch import receiver
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from letters.mail import AUTOMATIC_HEADERS

from .models import Role


def invitation_url(user) -> str:
    """The one-time link that lets the person choose their password."""
    path = reverse("account_reset_password_from_key",
                   kwargs={"uidb36": user_pk_to_url_str(user), "key": default_token_generator.make_token(user)})
    return settings.SITE_URL.rstrip("/") + path


def send_invitation(user) -> None:
    """Mail the invitation to a staff account (never to a newcomer, who uses DigiD)."""
    if user.role == Role.NEWCOMER or not user.email:
        raise ValueError("only staff accounts with an e-mail address are invited")
    # Staff texts are Dutch first (the portal's source language).
    with translation.override(settings.LANGUAGE_CODE):
        context = {"user": user, "url": invitation_url(user), "role": user.get_role_display(),
                   "days": settings.PASSWORD_RESET_TIMEOUT // 86400}
        subject = render_to_string("accounts/email/invitation_subject.txt", context).strip()
        body = render_to_string("accounts/email/invitation_body.txt", context)
    message = EmailMessage(subject, body, to=[user.email], headers=dict(AUTOMATIC_HEADERS))
    message.send()


@receiver(password_reset)
def the_link_proved_the_mailbox(sender, request, user, **kwargs):
    """Choosing a password through the mailed link proves the address belongs to the person.

    allauth refuses to add an authenticator while an address is unverified (so that nobody can
    claim somebody else's address and lock them out); without this an invited officer could
    never set up the TOTP every staff page requires.
    """
    if user.role == Role.NEWCOMER or not user.email:
        return
    EmailAddress.objects.filter(user=user).exclude(email__iexact=user.email).update(primary=False)
    EmailAddress.objects.update_or_create(user=user, email__iexact=user.email,
                                          defaults={"email": user.email.lower(), "verified": True, "primary": True})
