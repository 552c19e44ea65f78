"""The DigiD mock: a demo and test stand-in for DigiD, on only with settings.DIGID_MOCK_ENABLED
(a system check refuses it in production). Pick a demo person or type a BSN; the login then
goes through the same `linking` as a real DigiD login."""

from django.shortcuts import redirect, render

from integration.models import Newcomer

from .forms import MockDigidLoginForm
from .linking import log_in_newcomer, newcomer_for_bsn


def mock_login(request, *, digid_login_url: str | None, shown_next: str, after_login: str):
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
        return redirect(after_login)
    return render(request, "portal/digid/mock_login.html",
                  {"form": form, "digid_login_url": digid_login_url, "next": shown_next},
                  status=400 if form.errors else 200)
