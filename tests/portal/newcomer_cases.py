"""Newcomers in each situation of DOMAIN.md §3, built through the integration services the way
the registry feed and DUO staff build them, so the derived case state is the real one."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from integration import services
from integration.choices import DecisionReason, DecisionSource, Outcome, PurposeOfStay, Regime, Route
from integration.models import IntakeAppointment, IntakeKind, IntakeStatus, Newcomer, PersonalPlan
from letters.issuing import issue_letter
from letters.models import Letter, LetterKind, LetterStatus
from tests.factories import municipality, valid_bsns  # noqa: F401 - municipality: part of this module's vocabulary


def days_ago(days: int) -> date:
    return timezone.localdate() - timedelta(days=days)


def days_from_now(days: int) -> date:
    return timezone.localdate() + timedelta(days=days)


_bsns = valid_bsns()


def newcomer(given_names="Amal", surname="Haddad", *, bsn_days_ago: int | None = 100, bsn: str | None = None,
             nationality="SY") -> Newcomer:
    person = Newcomer.objects.create(given_names=given_names, surname=surname, date_of_birth=date(1990, 5, 1),
                                     nationality=nationality)
    if bsn_days_ago is not None:
        person = services.record_bsn(person, bsn or next(_bsns), days_ago(bsn_days_ago))
    return person


def permit(person, *, decided_days_ago=90, decision_date=None, residence_title=26, purpose=PurposeOfStay.ASYLUM):
    decided = decision_date or days_ago(decided_days_ago)
    return services.record_permit(person, residence_title=residence_title, purpose=purpose,
                                  decision_date=decided, valid_from=decided, valid_until=None)


def registration(person, *, registered_days_ago=80, where=None):
    return services.record_registration(
        person, municipality=where or municipality(), street="Oudegracht", house_number="1",
        postcode="3511 AB", town="Utrecht", registered_on=days_ago(registered_days_ago))


def decision(person, regime=Regime.WI2021, outcome=Outcome.OBLIGED, reason=DecisionReason.OBLIGED_BY_RULE):
    return services.record_decision(person, regime=regime, outcome=outcome, reason=reason,
                                    decided_on=timezone.localdate(), source=DecisionSource.REGISTRY_FEED)


def ready(given_names="Amal", surname="Haddad", *, ready_days_ago=10, regime=Regime.WI2021,
          decision_date=None) -> Newcomer:
    """All three conditions met `ready_days_ago` days ago (the registration came last), obliged."""
    person = newcomer(given_names, surname, bsn_days_ago=ready_days_ago + 20)
    permit(person, decided_days_ago=ready_days_ago + 10, decision_date=decision_date)
    registration(person, registered_days_ago=ready_days_ago)
    decision(person, regime=regime)
    return Newcomer.objects.get(pk=person.pk)


def issue_start_letter(person) -> Letter:
    """Issue the requested start-date letter through the real letter service (renders the PDF).

    Where commits happen (transactional tests) the eager task may have issued it already.
    """
    letter = Letter.objects.get(newcomer=person, kind=LetterKind.START_DATE)
    issue_letter(letter.pk)
    letter.refresh_from_db()
    assert letter.status == LetterStatus.ISSUED, letter.last_error
    return letter


def officer(where=None):
    """The municipal officer who plans intakes and writes plans in `where` (Utrecht by default)."""
    where = where or municipality()
    return get_user_model().objects.get_or_create(
        email=f"officer@{where.code.lower()}.example",
        defaults={"username": f"officer@{where.code.lower()}.example", "role": "municipal_officer",
                  "municipality": where},
    )[0]


def local_datetime(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def intake(person, *, on: date, hour=10, kind=IntakeKind.INTERVIEW, status=IntakeStatus.PLANNED,
           location="Stadskantoor, room 3.12") -> IntakeAppointment:
    """An intake appointment of one hour, as the municipal workspace records it."""
    where = municipality()
    appointment = IntakeAppointment.objects.create(
        newcomer=person, municipality=where, kind=kind, status=status, location=location,
        starts_at=local_datetime(on, hour), ends_at=local_datetime(on, hour + 1), officer=officer(where))
    services.refresh_case_state(person)  # as the scheduling service does in its transaction
    return appointment


def plan(person, *, on: date, route=Route.B1, revision_of: PersonalPlan | None = None) -> PersonalPlan:
    """A personal plan (PIP); pass `revision_of` for a revised plan."""
    written = PersonalPlan.objects.create(newcomer=person, plan_date=on, route=route, revision_of=revision_of,
                                          written_by=officer())
    services.refresh_case_state(person)  # as the plan service does in its transaction
    return written


def client_in(language: str):
    """A browser in which the person chose `language` with the language switcher (its cookie).
    A logged-in newcomer's pages follow that choice, or else their stored preferred language;
    the browser's Accept-Language alone does not decide (portal.languages)."""
    from django.conf import settings
    from django.test import Client

    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client
