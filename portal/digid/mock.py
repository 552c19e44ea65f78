"""The login page for newcomers (/inloggen/): the DigiD button when a DigiD broker is
configured, and the DigiD mock, a demo and test stand-in for DigiD, on only with
settings.DIGID_MOCK_ENABLED (a system check refuses it in production)."""

from django.conf import settings
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from integration.models import Newcomer

from . import oidc
from .forms import MockDigidLoginForm
from .linking import log_in_newcomer, newcomer_for_bsn


def _next_url(request):
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                       require_https=request.is_secure()):
        return target
    return reverse("newcomer:overview")


@never_cache
@sensitive_post_parameters("bsn")
def mock_login(request):
    digid_login_url = oidc.login_url()
    next_url = _next_url(request) if request.GET.get("next") else ""
    if not settings.DIGID_MOCK_ENABLED:
        if digid_login_url is None:
            raise Http404
        return render(request, "portal/digid/login.html", {"digid_login_url": digid_login_url, "next": next_url})
    form = MockDigidLoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if form.cleaned_data["bsn"]:
            newcomer = newcomer_for_bsn(form.cleaned_data["bsn"])
        else:
            newcomer = Newcomer.objects.filter(public_id=form.cleaned_data["persona"],
                                               bsn__isnull=False).first()
        if newcomer is None:
            # Not an error: DigiD knows the person, we just have no case for them yet.
            return render(request, "portal/digid/no_record.html")
        log_in_newcomer(request, newcomer)
        return redirect(_next_url(request))
    return render(request, "portal/digid/mock_login.html",
                  {"form": form, "digid_login_url": digid_login_url, "next": next_url},
                  status=400 if form.errors else 200)
