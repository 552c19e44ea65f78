"""Content-Security-Policy and Permissions-Policy on every page.

The policy allows scripts, styles, fonts and images from our own origin only, plus scripts that
carry this response's nonce (`request.csp_nonce`, for a template that ever needs an inline
script; none does today). Forms may post to our own pages and to the DigiD broker: the DigiD
button and the logout redirect there, and browsers apply `form-action` to such redirects too.
"""

import secrets
from urllib.parse import urlsplit

from .digid import oidc

PERMISSIONS_POLICY = ", ".join(f"{feature}=()" for feature in (
    "accelerometer", "camera", "display-capture", "geolocation", "gyroscope", "magnetometer", "microphone",
    "midi", "payment", "usb", "serial", "hid", "bluetooth", "browsing-topics"))


def broker_origin() -> str:
    app = oidc.app_config()
    if app is None:
        return ""
    parts = urlsplit(app["settings"]["server_url"])
    return f"{parts.scheme}://{parts.netloc}"


def content_security_policy(nonce: str) -> str:
    form_action = " ".join(filter(None, ["'self'", broker_origin()]))
    return "; ".join([
        "default-src 'self'",
        f"script-src 'self' 'nonce-{nonce}'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        f"form-action {form_action}",
        "frame-ancestors 'none'",
    ])


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.csp_nonce = secrets.token_urlsafe(16)
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", content_security_policy(request.csp_nonce))
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response
