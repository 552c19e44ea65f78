"""Logging out of DigiD too: OpenID Connect RP-initiated logout at the broker.

Ending only our own session would leave the person logged in at the broker: the next "Log in
with DigiD" in the same browser would pass straight through, which on a shared computer lets
the next person in. So a DigiD login's session keeps the broker's ID token (the session only,
never a cookie or a log), and logging out sends the browser to the broker's
`end_session_endpoint` with it as `id_token_hint`; the broker sends it back to our
"you are logged out" page.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from allauth.socialaccount.adapter import get_adapter
from django.core.cache import cache

from . import oidc

logger = logging.getLogger(__name__)

# The broker's discovery document changes rarely; one fetch an hour is plenty.
DISCOVERY_CACHE_SECONDS = 3600
DISCOVERY_TIMEOUT_SECONDS = 5
LOGGED_OUT_AT_BROKER = "digid"


def end_session_endpoint() -> str | None:
    """The broker's end_session_endpoint, or None when DigiD is off or the broker has none."""
    app = oidc.app_config()
    if app is None:
        return None
    server_url = app["settings"]["server_url"].rstrip("/")
    discovery_url = server_url if "/.well-known/" in server_url else f"{server_url}/.well-known/openid-configuration"
    cache_key = f"digid:end_session:{discovery_url}"
    endpoint = cache.get(cache_key)
    if endpoint is None:
        try:
            with get_adapter().get_requests_session() as session:
                response = session.get(discovery_url, timeout=DISCOVERY_TIMEOUT_SECONDS)
                response.raise_for_status()
                endpoint = response.json().get("end_session_endpoint") or ""
        except Exception as error:  # the local logout still happens; the person is told
            logger.warning("DigiD broker discovery failed at logout: %s", type(error).__name__)
            return None
        cache.set(cache_key, endpoint, DISCOVERY_CACHE_SECONDS)
    return endpoint or None


def broker_logout_url(id_token: str, post_logout_redirect_uri: str) -> str | None:
    endpoint = end_session_endpoint()
    if endpoint is None:
        return None
    app = oidc.app_config()
    # The broker hands `state` back to our page, which then says DigiD's session ended too.
    query = urlencode({"id_token_hint": id_token, "post_logout_redirect_uri": post_logout_redirect_uri,
                       "client_id": app["client_id"], "state": LOGGED_OUT_AT_BROKER})
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"
