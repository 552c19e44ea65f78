"""Municipal officers and a Utrecht newcomer with appointments and a PIP, for the /gemeente/ tests."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from integration import intakes, plans, rules
from integration.choices import Route
from integration.models import IntakeKind
from portal.accounts.models import Role
from tests import factories
from tests.conftest import log_in_with_mfa

from . import newcomer_cases as cases
from .test_duo_access import staff_user

ROOM = "Stadskantoor, kamer 3.12"


utrecht = factories.utrecht


def amsterdam():
    return cases.municipality("GM0363", "Amsterdam")


def officer(where=None, email=None):
    where = where or utrecht()
    return staff_user(Role.MUNICIPAL_OFFICER, email or f"ambtenaar@{where.name.lower()}.example", municipality=where)


def logged_in(client, user):
    return log_in_with_mfa(client, user)


def at(days_ahead: int, hour: int = 10):
    day = timezone.localdate() + timedelta(days=days_ahead)
    while day.weekday() >= 5:
        day += timedelta(days=1 if days_ahead >= 0 else -1)
    return timezone.make_aware(datetime.combine(day, datetime.min.time())) + timedelta(hours=hour)


def book(person, who, start, kind=IntakeKind.INTERVIEW, minutes=60, location=ROOM):
    return intakes.schedule(newcomer=person, municipality=who.municipality, kind=kind, starts_at=start,
                            ends_at=start + timedelta(minutes=minutes), location=location, officer=who)


def person_with_history(who, given_names="Amal", surname="Haddad"):
    """Registered in the officer's municipality: an attended interview, a PIP, a planned LBT."""
    person = cases.newcomer(given_names, surname, bsn_days_ago=80)
    cases.permit(person, decided_days_ago=70)
    cases.registration(person, registered_days_ago=60, where=who.municipality)
    cases.decision(person)
    attended = book(person, who, at(-20))
    intakes.record_outcome(attended, attended=True)
    plans.write_first_plan(person, plan_date=cases.days_ago(10), route=Route.B1, exams=list(rules.B1_EXAMS),
                           pvt_required=True, map_required=True, written_by=who)
    planned = book(person, who, at(5), kind=IntakeKind.LBT, minutes=90)
    return person, planned
