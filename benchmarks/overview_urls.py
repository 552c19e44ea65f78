"""The portal's URLs plus two baseline views for `newcomer_overview_load.py`, nothing else.

- `/benchmark/bare/` renders a copy of a rendered overview, verbatim: the floor of what any
  page of that size costs (middleware, one template, no session, no query).
- `/benchmark/template/` renders the overview's own template (base layout, translations, date
  formatting) from values held in memory: what the page costs without its data.
"""

from datetime import date, timedelta

from django.conf import settings
from django.shortcuts import render
from django.urls import path

from integration.choices import Outcome, Regime, Route
from integration.models import Newcomer
from integration.step_texts import route_text
from portal.newcomer.selectors import Condition, Situation
from portal.urls import urlpatterns as portal_urlpatterns

_START = date(2025, 5, 19)
SITUATION = Situation(
    newcomer=Newcomer(given_names="Amal", surname="Haddad"),
    today=_START + timedelta(days=200),
    conditions=(Condition("bsn", True, _START - timedelta(days=20)), Condition("permit", True, _START),
                Condition("registration", True, _START + timedelta(days=10), municipality="Utrecht")),
    regime=Regime.WI2021, outcome=Outcome.OBLIGED, reason=None,
    conditions_met_on=_START + timedelta(days=10), ready_on=_START + timedelta(days=10),
    letter_expected_by=_START + timedelta(days=66), overdue=False, start_date=_START,
    letter_issued_on=_START + timedelta(days=20), period=(_START + timedelta(days=91), date(2028, 8, 19)),
    first_pip_on=_START + timedelta(days=90), route=Route.B1, intake_completed_on=_START + timedelta(days=60),
)


def bare_page(request):
    return render(request, "overview_baseline.html")


def overview_template_only(request):
    return render(request, "portal/newcomer/overview.html", {
        "situation": SITUATION, "route": route_text(SITUATION.route),
        "duo_phone": settings.LETTER_SENDER["phone"], "duo_website": settings.LETTER_SENDER["website"],
    })


urlpatterns = [
    path("benchmark/bare/", bare_page),
    path("benchmark/template/", overview_template_only),
    *portal_urlpatterns,
]
