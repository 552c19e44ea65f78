"""System checks that newcomers have a way to log in, and that DigiD runs through our adapter."""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from . import oidc

SOCIALACCOUNT_APPS = ("allauth.socialaccount", "allauth.socialaccount.providers.openid_connect")


def _newcomer_login_available() -> bool:
    mock_allowed = settings.DIGID_MOCK_ENABLED and not settings.IS_PRODUCTION
    return oidc.is_configured() or mock_allowed


@register(Tags.security)
def newcomers_can_log_in(app_configs, **kwargs):
    # A warning, not an error: the staff side of the portal still works without DigiD.
    if _newcomer_login_available():
        return []
    return [Warning(
        "Newcomers cannot log in: DigiD (OpenID Connect) is not configured"
        + ("." if settings.IS_PRODUCTION else " and the DigiD mock is off."),
        hint="Set DIGID_OIDC_SERVER_URL, DIGID_OIDC_CLIENT_ID and DIGID_OIDC_CLIENT_SECRET.",
        id="portal.W002",
    )]


@register(Tags.security, deploy=True)
def production_has_digid(app_configs, **kwargs):
    # `check --deploy` is the gate before going live: there, no DigiD is an error.
    if settings.IS_PRODUCTION and not oidc.is_configured():
        return [Error(
            "Production has no DigiD: newcomers could not log in.",
            hint="Set DIGID_OIDC_SERVER_URL, DIGID_OIDC_CLIENT_ID and DIGID_OIDC_CLIENT_SECRET.",
            id="portal.E002",
        )]
    return []


@register(Tags.security)
def digid_runs_through_our_adapter(app_configs, **kwargs):
    """With OIDC configured, allauth's defaults would open sign-up and store the BSN as uid."""
    if not oidc.is_configured():
        return []
    errors = []
    missing_apps = [app for app in SOCIALACCOUNT_APPS if app not in settings.INSTALLED_APPS]
    if missing_apps:
        errors.append(Error(f"DigiD is configured but {', '.join(missing_apps)} is not in INSTALLED_APPS.",
                            id="portal.E003"))
    if getattr(settings, "SOCIALACCOUNT_ADAPTER", None) != oidc.ADAPTER_CLASS:
        errors.append(Error("DigiD logins must go through the DigiD adapter.",
                            hint=f'Set SOCIALACCOUNT_ADAPTER = "{oidc.ADAPTER_CLASS}".', id="portal.E004"))
    provider = settings.SOCIALACCOUNT_PROVIDERS.get(oidc.ALLAUTH_PROVIDER, {})
    if provider.get("provider_class") != oidc.PROVIDER_CLASS:
        errors.append(Error("DigiD logins must use the DigiD provider class, which keeps the BSN out of allauth.",
                            hint=f'Set SOCIALACCOUNT_PROVIDERS["{oidc.ALLAUTH_PROVIDER}"]["provider_class"] = '
                                 f'"{oidc.PROVIDER_CLASS}".', id="portal.E005"))
    return errors


@register(Tags.security, deploy=True)
def production_broker_over_https(app_configs, **kwargs):
    """The BSN travels in the broker's answers: in production only over TLS."""
    app = oidc.app_config()
    if settings.IS_PRODUCTION and app is not None and not app["settings"]["server_url"].startswith("https://"):
        return [Error("The DigiD broker's URL is not https: BSNs and tokens would travel unencrypted.",
                      hint="Set DIGID_OIDC_SERVER_URL to the broker's https:// issuer URL.", id="portal.E006")]
    return []
