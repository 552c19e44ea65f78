"""System checks that keep demo conveniences out of production."""

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def digid_mock_not_in_production(app_configs, **kwargs):
    if settings.IS_PRODUCTION and settings.DIGID_MOCK_ENABLED:
        return [
            Error(
                "The DigiD mock is switched on in production.",
                hint="Unset DIGID_MOCK_ENABLED; newcomers must log in with real DigiD.",
                id="portal.E001",
            )
        ]
    return []


@register()
def digid_mock_never_in_production(app_configs, **kwargs):
    # Also outside --deploy: a production process must refuse to start with the mock on.
    return digid_mock_not_in_production(app_configs, **kwargs)
