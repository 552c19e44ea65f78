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
import secrets

import requests
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialAccount, SocialApp
from allauth.socialaccount.providers.base import AuthError, AuthProcess, ProviderException
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView
from allauth.socialaccount.providers.openid_connect.provider import OpenIDConnectProvider
from allauth.socialaccount.providers.openid_connect.views import OpenIDConnectOAuth2Adapter
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.http import Http404, HttpResponse
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
# Likewise the ID token's claims about the login (nonce, acr) and the raw ID token, which the
# session keeps as `id_token_hint` for logging out at the broker.
_LOGIN_CLAIMS_ATTRIBUTE = "_digid_login_claims"
_ID_TOKEN_ATTRIBUTE = "_digid_id_token"
# Where the session keeps the raw ID token of a DigiD login (never in a cookie or a log).
ID_TOKEN_SESSION_KEY = "digid_id_token"


class DigiDClaimRefused(ProviderException):
    """Raised inside allauth's callback view, which turns it into an authentication error."""


class DigiDOAuth2Adapter(OpenIDConnectOAuth2Adapter):
    """allauth's OpenID Connect adapter, keeping the raw ID token of the login for logging out."""

    def complete_login(self, request, app, token, **kwargs):
        sociallogin = super().complete_login(request, app, token, **kwargs)
        setattr(sociallogin, _ID_TOKEN_ATTRIBUTE, (kwargs.get("response") or {}).get("id_token"))
        return sociallogin


def callback(request, provider_id):
    """The broker's return to /accounts/oidc/digid/login/callback/: allauth's callback view with
    our adapter (allauth's own view builds the stock adapter, which drops the raw ID token)."""
    try:
        return OAuth2CallbackView.adapter_view(DigiDOAuth2Adapter(request, provider_id))(request)
    except SocialApp.DoesNotExist:
        raise Http404 from None  # DigiD is not configured, or another provider id


class DigiDOpenIDConnectProvider(OpenIDConnectProvider):
    # allauth finds the provider's URLs (login, callback) in this package.
    package = "allauth.socialaccount.providers.openid_connect"
    oauth2_adapter_class = DigiDOAuth2Adapter

    def redirect(self, request, process, next_url=None, data=None, **kwargs):
        """Send the person to the broker with a fresh nonce and the DigiD level we need.

        The scope and the extra parameters are ours alone: allauth would otherwise take
        `?scope=` and `?auth_params=` from the request, letting a crafted link ask for less.
        The nonce goes into allauth's state (kept in the session) and must come back in the ID
        token (checked in `DigiDSocialAccountAdapter.pre_social_login`).
        """
        nonce = secrets.token_urlsafe(32)
        kwargs["scope"] = self.get_scope()
        kwargs["auth_params"] = {**self.get_auth_params(), "nonce": nonce,
                                 "acr_values": self.app.settings.get("minimum_acr", oidc.DEFAULT_MINIMUM_ACR)}
        try:
            return super().redirect(request, process, next_url, data, nonce=nonce, **kwargs)
        except requests.RequestException as error:  # the broker's discovery document is out of reach
            logger.warning("DigiD broker unreachable at login: %s", type(error).__name__)
            return login_stopped_page(request, "unavailable", status=503)

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
        id_token = response.get("id_token") if isinstance(response.get("id_token"), dict) else {}
        setattr(sociallogin, _LOGIN_CLAIMS_ATTRIBUTE, {"nonce": id_token.get("nonce"), "acr": id_token.get("acr")})
        return sociallogin

    def acr_is_enough(self, acr) -> bool:
        return oidc.acr_is_enough(acr, levels=self.app.settings.get("acr_levels", oidc.DIGID_ACR_LEVELS),
                                  minimum=self.app.settings.get("minimum_acr", oidc.DEFAULT_MINIMUM_ACR))

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
    "level": (_("Log in with the DigiD app or an SMS check"),
              _("Your integration details need DigiD at level Midden or higher: log in with the DigiD app, or "
                "with your username, password and an SMS check. A password alone is not enough.")),
    "unavailable": (_("DigiD cannot be reached right now"),
                    _("We cannot connect to DigiD at the moment. Please try again in a few minutes.")),
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
        claims = vars(sociallogin).pop(_LOGIN_CLAIMS_ATTRIBUTE, None) or {}
        if bsn is None or sociallogin.account.provider != oidc.PROVIDER_ID:
            # Only the DigiD provider vouches for a BSN; any other social login is not for newcomers.
            raise ImmediateHttpResponse(login_stopped_page(request, "failed", status=400))
        expected_nonce = sociallogin.state.get("nonce")
        if not expected_nonce or not secrets.compare_digest(str(claims.get("nonce") or ""), expected_nonce):
            # An ID token from another login (replayed or injected): OpenID Connect Core §3.1.3.7.
            logger.warning("DigiD login refused: the ID token's nonce does not match this login")
            raise ImmediateHttpResponse(login_stopped_page(request, "failed", status=400))
        if not sociallogin.account.get_provider(request).acr_is_enough(claims.get("acr")):
            logger.warning("DigiD login refused: level of assurance %r is below the minimum", claims.get("acr"))
            raise ImmediateHttpResponse(login_stopped_page(request, "level", status=403))
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
