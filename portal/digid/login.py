"""The newcomers' login page (/inloggen/).

In production it offers the DigiD button (the OpenID Connect broker, `oidc`). In the demo and
the tests, with settings.DIGID_MOCK_ENABLED (a system check refuses it in production), the
DigiD mock stands in for DigiD on the same page (`mock`).
"""

from django.conf import settings
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from . import mock, oidc


def next_url(request) -> str:
    """Where to go after the login: a local `next`, or the newcomer's overview."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                       require_https=request.is_secure()):
        return target
    return reverse("newcomer:overview")


@never_cache
@sensitive_post_parameters("bsn")
def login_page(request):
    digid_login_url = oidc.login_url()
    shown_next = next_url(request) if request.GET.get("next") else ""
    if settings.DIGID_MOCK_ENABLED:
        return mock.mock_login(request, digid_login_url=digid_login_url, shown_next=shown_next,
                               after_login=next_url(request))
    if digid_login_url is None:
        raise Http404
    return render(request, "portal/digid/login.html", {"digid_login_url": digid_login_url, "next": shown_next})
