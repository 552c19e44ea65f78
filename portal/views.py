from django.conf import settings
from django.contrib.auth import logout
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from .digid.adapter import ID_TOKEN_SESSION_KEY
from .digid.logout import LOGGED_OUT_AT_BROKER, broker_logout_url


def start_page(request):
    return render(request, "portal/start.html")


def explain_conditions(request):
    return render(request, "portal/explain_conditions.html")


def explain_eight_weeks(request):
    return render(request, "portal/explain_eight_weeks.html", {"duo_phone": settings.LETTER_SENDER["phone"]})


@require_POST
def log_out(request):
    """Logging out is a POST (a link could be triggered by another site); it ends the session,
    and after a DigiD login the DigiD session at the broker too (portal.digid.logout)."""
    id_token = request.session.get(ID_TOKEN_SESSION_KEY)
    logout(request)
    if id_token:
        at_broker = broker_logout_url(id_token, request.build_absolute_uri(reverse("logged_out")))
        if at_broker is not None:
            return redirect(at_broker)
        return redirect(f"{reverse('logged_out')}?{urlencode({'broker': 'unreachable'})}")
    return redirect("logged_out")


@never_cache
def logged_out(request):
    return render(request, "portal/logged_out.html", {
        "broker_unreachable": request.GET.get("broker") == "unreachable",
        "logged_out_at_broker": request.GET.get("state") == LOGGED_OUT_AT_BROKER,
    })
