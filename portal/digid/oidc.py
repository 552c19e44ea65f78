"""DigiD through an OpenID Connect broker: configuration and the rules for the BSN claim.

Kept free of models and allauth imports, so the settings module can build the provider
configuration from the environment with `providers_from_environment`. The allauth side (the
provider class and the adapter) lives in `portal.digid.adapter`.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.urls import reverse

from integration.validators import normalise_bsn, validate_bsn

# allauth's generic OpenID Connect provider, and the id of our one app under it: the login
# then lives at /accounts/oidc/digid/login/ and the broker calls back to
# /accounts/oidc/digid/login/callback/.
ALLAUTH_PROVIDER = "openid_connect"
PROVIDER_ID = "digid"
PROVIDER_CLASS = "portal.digid.adapter.DigiDOpenIDConnectProvider"
ADAPTER_CLASS = "portal.digid.adapter.DigiDSocialAccountAdapter"

DEFAULT_BSN_CLAIM = "bsn"
DEFAULT_SCOPES = ("openid",)

# DigiD's levels of assurance as brokers send them in `acr` (SAML authentication context
# classes), weakest first: Basis (password), Midden (app or SMS check), Substantieel, Hoog.
DIGID_ACR_LEVELS = (
    "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport",
    "urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorContract",
    "urn:oasis:names:tc:SAML:2.0:ac:classes:Smartcard",
    "urn:oasis:names:tc:SAML:2.0:ac:classes:SmartcardPKI",
)
# DOMAIN.md §7: newcomers log in with DigiD level "midden" (eIDAS "substantial").
DEFAULT_MINIMUM_ACR = DIGID_ACR_LEVELS[1]

# Claims about the login itself, not about the person: kept on the social account for audit
# (which broker, which DigiD assurance level, when). Everything else the broker sends is dropped,
# so neither the BSN nor a name ends up stored in allauth's tables.
KEPT_CLAIMS = ("iss", "acr", "amr", "auth_time")


class DigiDClaimError(Exception):
    """The broker's answer holds no usable BSN. The message never contains a claim's value."""


def _flag(value: str | None, default: bool) -> bool:
    if value is None or not value.strip():
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def providers_from_environment(environ: Mapping[str, str]) -> dict:
    """SOCIALACCOUNT_PROVIDERS for DigiD; the DigiD app is in it only when DIGID_OIDC_SERVER_URL is set.

    The provider class is named even without a server URL: allauth picks the class once, when it
    first loads its providers, and it must never be the stock class that would keep the BSN as
    the account's uid. A server URL without client credentials is a configuration error, raised
    at start-up rather than at the first newcomer's login.
    """
    server_url = (environ.get("DIGID_OIDC_SERVER_URL") or "").strip()
    if not server_url:
        return {ALLAUTH_PROVIDER: {"provider_class": PROVIDER_CLASS}}
    client_id = (environ.get("DIGID_OIDC_CLIENT_ID") or "").strip()
    secret = environ.get("DIGID_OIDC_CLIENT_SECRET") or ""
    if not client_id or not secret:
        raise ImproperlyConfigured(
            "DIGID_OIDC_SERVER_URL is set, so DIGID_OIDC_CLIENT_ID and DIGID_OIDC_CLIENT_SECRET must be set too")
    scopes = (environ.get("DIGID_OIDC_SCOPES") or "").replace(",", " ").split() or list(DEFAULT_SCOPES)
    if "openid" not in scopes:
        scopes.insert(0, "openid")
    pkce = _flag(environ.get("DIGID_OIDC_PKCE"), default=True)
    acr_levels = (environ.get("DIGID_OIDC_ACR_LEVELS") or "").split() or list(DIGID_ACR_LEVELS)
    minimum_acr = (environ.get("DIGID_OIDC_MINIMUM_ACR") or "").strip() or DEFAULT_MINIMUM_ACR
    if minimum_acr not in acr_levels:
        raise ImproperlyConfigured("DIGID_OIDC_MINIMUM_ACR must be one of DIGID_OIDC_ACR_LEVELS")
    return {
        ALLAUTH_PROVIDER: {
            "provider_class": PROVIDER_CLASS,
            "OAUTH_PKCE_ENABLED": pkce,
            "APPS": [{
                "provider_id": PROVIDER_ID,
                "name": "DigiD",
                "client_id": client_id,
                "secret": secret,
                "settings": {
                    "server_url": server_url,
                    "scope": scopes,
                    "oauth_pkce_enabled": pkce,
                    # Some brokers put the BSN only in the ID token and offer no userinfo endpoint.
                    "fetch_userinfo": _flag(environ.get("DIGID_OIDC_FETCH_USERINFO"), default=True),
                    "bsn_claim": (environ.get("DIGID_OIDC_BSN_CLAIM") or "").strip() or DEFAULT_BSN_CLAIM,
                    "bsn_prefix": (environ.get("DIGID_OIDC_BSN_PREFIX") or "").strip(),
                    # The levels the broker may send in `acr`, weakest first, and the lowest we accept.
                    "acr_levels": acr_levels,
                    "minimum_acr": minimum_acr,
                },
            }],
        }
    }


def app_config() -> dict | None:
    """The configured DigiD app (client id, secret, settings), or None when OIDC is not set up."""
    provider = getattr(settings, "SOCIALACCOUNT_PROVIDERS", {}).get(ALLAUTH_PROVIDER, {})
    for app in provider.get("APPS") or ([provider["APP"]] if provider.get("APP") else []):
        if app.get("provider_id") == PROVIDER_ID:
            return app
    return None


def is_configured() -> bool:
    return app_config() is not None


def login_url() -> str | None:
    """Where the "Log in with DigiD" button posts to, or None without OIDC."""
    if not is_configured():
        return None
    return reverse("openid_connect_login", kwargs={"provider_id": PROVIDER_ID})


def bsn_from_claims(response: Mapping, *, claim: str, prefix: str = "") -> str:
    """The valid, normalised BSN in `claim` of the broker's answer.

    `response` is what allauth's OpenID Connect adapter hands the provider: the userinfo and/or
    the decoded ID token. The userinfo is tried first, as allauth does. With a prefix (brokers
    that send "s00000000:<bsn>" in `sub`) a value without that prefix is refused: it is some
    other identifier, not a BSN.
    """
    sources = [response.get("userinfo"), response.get("id_token")]
    if not any(isinstance(source, Mapping) for source in sources):
        sources = [response]  # a flat set of claims
    value = next((source[claim] for source in sources
                  if isinstance(source, Mapping) and source.get(claim) not in (None, "")), None)
    if value is None:
        raise DigiDClaimError(f"the {claim!r} claim is missing")
    value = str(value).strip()
    if prefix:
        if not value.startswith(prefix):
            raise DigiDClaimError(f"the {claim!r} claim does not start with the configured prefix")
        value = value[len(prefix):]
    try:
        validate_bsn(value)
    except ValidationError:
        raise DigiDClaimError(f"the {claim!r} claim is not a valid BSN") from None
    return normalise_bsn(value)


def acr_is_enough(acr: str | None, *, levels: list[str] | tuple[str, ...], minimum: str) -> bool:
    """True when the login's level of assurance is the minimum or stronger.

    An unknown or missing `acr` is never enough: the broker must say how the person logged in.
    """
    if acr not in levels:
        return False
    return levels.index(acr) >= levels.index(minimum)


def kept_claims(response: Mapping) -> dict:
    """The login's non-personal claims from the ID token (or userinfo), for audit."""
    for source in (response.get("id_token"), response.get("userinfo"), response):
        if isinstance(source, Mapping) and any(name in source for name in KEPT_CLAIMS):
            return {name: source[name] for name in KEPT_CLAIMS if name in source}
    return {}


def account_uid(bsn: str) -> str:
    """The social account's uid: a keyed hash of the BSN, so the BSN is stored in one table only.

    Stable for the same BSN (the same person finds the same account again), useless without the
    SECRET_KEY. Rotating SECRET_KEY gives newcomers a new social account on their next login,
    linked to the same newcomer account, which is harmless.
    """
    digest = hmac.new(settings.SECRET_KEY.encode(), f"digid-bsn:{normalise_bsn(bsn)}".encode(), hashlib.sha256)
    return digest.hexdigest()
