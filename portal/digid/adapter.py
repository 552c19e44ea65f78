"""DigiD through an OpenID Connect broker, wired into django-allauth.

- `DigiDOpenIDConnectProvider` reads the BSN from the configured claim as soon as the broker's
  answer arrives and gives allauth only a keyed hash of it as the account's uid, and none of the
  personal claims: allauth's tables never hold a BSN or a name.
- `DigiDSocialAccountAdapter` links the login to the newcomer with the same rules as the DigiD
  mock (`portal.digid.linking`) and closes the doors allauth would otherwise open: sign-up,
  connecting DigiD to whoever is logged in, matching on e-mail addresses.
"""

from __future__ import annotations

import logging

from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialAccount
from allauth.socialaccount.providers.base import AuthError, AuthProcess, ProviderException
from allauth.socialaccount.providers.openid_connect.provider import OpenIDConnectProvider
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.shortcuts import render
from django.template import engines
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from . import oidc
from .linking import account_for, newcomer_for_bsn

logger = logging.getLogger(__name__)

# The provider hands the BSN to the adapter on the in-memory SocialLogin under this attribute;
# allauth never serialises it, and the adapter removes it as soon as it has read it.
_BSN_ATTRIBUTE = "_digid_bsn"


class DigiDClaimRefused(ProviderException):
    """Raised inside allauth's callback view, which turns it into an authentication error."""


class DigiDOpenIDConnectProvider(OpenIDConnectProvider):
    # allauth finds the provider's URLs (login, callback) in this package.
    package = "allauth.socialaccount.providers.openid_connect"

    def _bsn(self, response) -> str:
        try:
            return oidc.bsn_from_claims(response, claim=self.app.settings.get("bsn_claim", oidc.DEFAULT_BSN_CLAIM),
                                        prefix=self.app.settings.get("bsn_prefix", ""))
        except oidc.DigiDClaimError as error:
            raise DigiDClaimRefused(str(error)) from None

    def sociallogin_from_response(self, request, response):
        bsn = self._bsn(response)
        sociallogin = super().sociallogin_from_response(request, response)
        setattr(sociallogin, _BSN_ATTRIBUTE, bsn)
        return sociallogin

    def extract_uid(self, data) -> str:
        return oidc.account_uid(self._bsn(data))

    def extract_extra_data(self, data) -> dict:
        return oidc.kept_claims(data)

    # DigiD tells us who someone is, nothing more: no name, no e-mail address to match or store.
    def extract_common_fields(self, data) -> dict:
        return {}

    def extract_email_addresses(self, data) -> list:
        return []


# The page shown when a DigiD login cannot go on. Rendered from a string so that everything the
# DigiD login needs sits in this module; the texts are translated in Python.
_LOGIN_STOPPED_TEMPLATE = """{% extends "base.html" %}
{% block title %}{{ heading }}{% endblock %}
{% block content %}
  <h1 class="nl-heading nl-heading--level-1">{{ heading }}</h1>
  <p class="nl-paragraph">{{ explanation }}</p>
  <p class="nl-paragraph"><a class="nl-link" href="{% url 'digid_login' %}">{{ try_again }}</a></p>
{% endblock %}"""

_REASONS = {
    "cancelled": (_("You stopped logging in with DigiD"),
                  _("You are not logged in. You can log in again whenever you want.")),
    "no_bsn": (_("DigiD did not give us your citizen service number"),
               _("We need your citizen service number (BSN) to find your integration details. "
                 "Please try again. If this keeps happening, contact DUO.")),
    "refused": (_("You cannot log in here with DigiD"),
                _("Your DigiD is linked to an account that cannot be used on this page. Please contact DUO.")),
    "failed": (_("Logging in with DigiD did not work"),
               _("Something went wrong between DigiD and this website. Please try again later.")),
}


def login_stopped_page(request, reason: str, *, status: int):
    heading, explanation = _REASONS[reason]
    html = engines["django"].from_string(_LOGIN_STOPPED_TEMPLATE).render(
        {"heading": heading, "explanation": explanation, "try_again": _("Back to logging in")}, request)
    return HttpResponse(html, status=status)


class DigiDSocialAccountAdapter(DefaultSocialAccountAdapter):
    def pre_social_login(self, request, sociallogin):
        bsn = vars(sociallogin).pop(_BSN_ATTRIBUTE, None)
        if bsn is None or sociallogin.account.provider != oidc.PROVIDER_ID:
            # Only the DigiD provider vouches for a BSN; any other social login is not for newcomers.
            raise ImmediateHttpResponse(login_stopped_page(request, "failed", status=400))
        # Whatever the request asked for (connect, redirect), DigiD only ever logs a newcomer in.
        sociallogin.state["process"] = AuthProcess.LOGIN
        if not sociallogin.state.get("next"):
            sociallogin.state["next"] = reverse("newcomer:overview")

        newcomer = newcomer_for_bsn(bsn)
        if newcomer is None:
            # Not an error: DigiD knows the person, we just have no case for them yet.
            raise ImmediateHttpResponse(render(request, "portal/digid/no_record.html"))
        try:
            user = account_for(newcomer)
        except PermissionDenied:
            logger.warning("DigiD login refused: newcomer %s is linked to a staff or inactive account",
                           newcomer.public_id)
            raise ImmediateHttpResponse(login_stopped_page(request, "refused", status=403)) from None
        self._link(request, sociallogin, user)

    def _link(self, request, sociallogin, user):
        """Point the social account at the newcomer's account; the BSN decides, not an old link."""
        if sociallogin.is_existing:
            if sociallogin.account.user_id != user.pk:
                sociallogin.account.user = user
                sociallogin.account.save(update_fields=["user"])
            sociallogin.user = user
            return
        try:
            with transaction.atomic():
                sociallogin.connect(request, user)
        except IntegrityError:  # a concurrent first login stored the same social account a moment ago
            sociallogin.account = SocialAccount.objects.get(provider=sociallogin.account.provider,
                                                            uid=sociallogin.account.uid)
            sociallogin.user = user

    def on_authentication_error(self, request, provider, error=None, exception=None, extra_context=None):
        # Only the kind of failure is logged: a broker's error text could quote a claim.
        logger.warning("DigiD login failed: %s (%s)", error, type(exception).__name__ if exception else "no exception")
        if error == AuthError.CANCELLED:
            raise ImmediateHttpResponse(login_stopped_page(request, "cancelled", status=200))
        if isinstance(exception, DigiDClaimRefused):
            raise ImmediateHttpResponse(login_stopped_page(request, "no_bsn", status=400))
        if isinstance(exception, PermissionDenied):
            raise ImmediateHttpResponse(login_stopped_page(request, "refused", status=403))
        raise ImmediateHttpResponse(login_stopped_page(request, "failed", status=400))

    # Newcomer accounts are created only by linking a DigiD login to a newcomer record (above),
    # never by allauth's sign-up, and a DigiD login never attaches to an account by e-mail.
    def is_open_for_signup(self, request, sociallogin):
        return False

    def is_auto_signup_allowed(self, request, sociallogin):
        return False

    def can_authenticate_by_email(self, login, email):
        return False

    def populate_user(self, request, sociallogin, data):
        return sociallogin.user
