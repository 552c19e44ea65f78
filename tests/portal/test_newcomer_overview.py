"""The overview page shows each situation of DOMAIN.md §3 in words the person understands."""

import time
from datetime import date

import pytest
from django.conf import settings as django_settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format

from integration import rules, services
from integration.choices import DecisionReason, Outcome, Regime, Route
from integration.models import IntakeKind, IntakeStatus
from portal.accounts.backends import DIGID_BACKEND
from portal.digid.linking import account_for

from . import newcomer_cases as cases

pytestmark = pytest.mark.django_db

OVERVIEW = reverse("newcomer:overview")


def english_date(day: date) -> str:
    with translation.override("en"):
        return date_format(day, "DATE_FORMAT")


def page_as(person, language="en") -> str:
    client = cases.client_in(language)
    client.force_login(account_for(person), backend=DIGID_BACKEND)
    response = client.get(OVERVIEW)
    assert response.status_code == 200
    return response.content.decode()


def test_person_without_decision_is_being_assessed_and_sees_missing_conditions():
    person = cases.newcomer(bsn_days_ago=30)

    page = page_as(person)

    assert "DUO is assessing whether you have to integrate" in page
    assert f"Yes, since {english_date(cases.days_ago(30))}" in page
    assert page.count("Not yet") == 2  # permit and registration


def test_conditions_show_their_dates_and_the_municipality():
    person = cases.newcomer(bsn_days_ago=50)
    cases.permit(person, decided_days_ago=40)
    cases.registration(person, registered_days_ago=30, where=cases.municipality("GM0363", "Amsterdam"))

    page = page_as(person)

    assert f"Yes, granted on {english_date(cases.days_ago(40))}" in page
    assert f"Yes, registered in Amsterdam since {english_date(cases.days_ago(30))}" in page


def test_ready_person_sees_when_the_letter_is_expected():
    person = cases.ready(ready_days_ago=10)

    page = page_as(person)

    expected_by = rules.letter_expected_by(cases.days_ago(10))
    assert f"Your letter is expected before <strong>{english_date(expected_by)}</strong>" in page
    assert "Please contact DUO" not in page


def test_overdue_person_is_asked_to_contact_duo_and_told_how(settings):
    person = cases.ready(ready_days_ago=70)

    page = page_as(person)

    assert "Your letter is late. Please contact DUO." in page
    assert settings.LETTER_SENDER["phone"] in page
    assert f"before {english_date(rules.letter_expected_by(cases.days_ago(70)))}" in page


def test_undecided_person_past_8_weeks_gets_no_late_alert_while_duo_decides(settings):
    """No "your letter is late" while DUO has not decided whether the person must integrate:
    nobody knows yet that a letter is due. The delay is DUO's to act on (its overdue list)."""
    person = cases.newcomer(bsn_days_ago=90)
    cases.permit(person, decided_days_ago=80)
    cases.registration(person, registered_days_ago=rules.LETTER_DELIVERY_DAYS + 1)

    page = page_as(person)

    assert "Your letter is late" not in page
    assert "DUO is assessing whether you have to integrate" in page


def test_undecided_person_within_8_weeks_is_told_duo_is_assessing():
    person = cases.newcomer(bsn_days_ago=90)
    cases.permit(person, decided_days_ago=80)
    cases.registration(person, registered_days_ago=rules.LETTER_DELIVERY_DAYS)

    page = page_as(person)

    assert "DUO is assessing whether you have to integrate" in page
    assert "Please contact DUO" not in page


def test_on_the_expected_by_day_the_person_is_not_yet_overdue():
    person = cases.ready(ready_days_ago=rules.LETTER_DELIVERY_DAYS)

    assert "Please contact DUO" not in page_as(person)


def test_issued_wi2021_letter_shows_start_date_and_that_the_period_follows_the_pip():
    person = cases.ready(ready_days_ago=10, decision_date=cases.days_ago(25))
    letter = cases.issue_start_letter(person)

    page = page_as(person)

    assert letter.start_date == cases.days_ago(25)
    assert f"started on <strong>{english_date(letter.start_date)}</strong>" in page
    assert "start the day after your municipality has made your personal plan" in page
    assert "Your letter is expected" not in page


def test_wi2021_person_sees_their_next_intake_appointment_and_a_link_to_all_of_them():
    person = cases.ready(ready_days_ago=20)
    cases.issue_start_letter(person)
    cases.intake(person, on=cases.days_from_now(3), hour=9, status=IntakeStatus.CANCELLED)
    cases.intake(person, on=cases.days_from_now(10), hour=14, kind=IntakeKind.LBT, location="Wijkcentrum Overvecht")
    cases.intake(person, on=cases.days_from_now(5), hour=10, location="Stadskantoor, room 3.12")

    page = page_as(person)

    # The earliest planned one; the cancelled appointment before it is not announced.
    assert (f"Your next appointment: intake interview on <strong>{english_date(cases.days_from_now(5))} at "
            '<bdi dir="ltr">10:00</bdi></strong>, Stadskantoor, room 3.12.') in page
    assert f'href="{reverse("newcomer:intake")}"' in page


def test_attended_intake_is_reported_with_its_date():
    person = cases.ready(ready_days_ago=40)
    cases.issue_start_letter(person)
    cases.intake(person, on=cases.days_ago(12), status=IntakeStatus.COMPLETED)

    page = page_as(person)

    assert f"You attended your intake appointment on {english_date(cases.days_ago(12))}." in page


def test_after_the_first_pip_the_route_and_the_period_from_the_day_after_it_are_shown():
    person = cases.ready(ready_days_ago=120)
    cases.issue_start_letter(person)
    first = cases.plan(person, on=date(2026, 2, 27), route=Route.B1)
    # A revision changes the route, not the period (DOMAIN.md §4).
    cases.plan(person, on=cases.days_ago(1), route=Route.Z, revision_of=first)

    page = page_as(person)

    assert f"made your personal plan on {english_date(date(2026, 2, 27))}" in page
    assert "You follow <strong>the Z route (self-reliance)</strong>" in page
    assert "final interview and a certificate" in page
    # The last day is the day before the third anniversary, "up to and including" (DOMAIN.md §8).
    assert f"from {english_date(date(2026, 2, 28))} up to and including {english_date(date(2029, 2, 27))}" in page


def test_wi2013_person_has_no_intake_or_plan_section():
    person = cases.ready(ready_days_ago=10, regime=Regime.WI2013, decision_date=date(2020, 6, 15))

    page = page_as(person)

    assert "Your broad intake" not in page and "Your personal plan (PIP)" not in page


def test_issued_wi2013_letter_shows_the_three_year_period():
    person = cases.ready(ready_days_ago=10, regime=Regime.WI2013, decision_date=date(2020, 6, 15))
    cases.issue_start_letter(person)

    page = page_as(person)

    assert f"started on <strong>{english_date(date(2020, 6, 15))}</strong>" in page
    # Every WI2013 period has ended: said in the past tense, with what to do (DOMAIN.md §8).
    assert (f"ran from {english_date(date(2020, 6, 15))} up to and including {english_date(date(2023, 6, 14))}. "
            "It has ended.") in page
    assert "Contact DUO about the state of your integration obligation" in page
    assert "You have 3 years to integrate" not in page
    assert "Civic Integration Act 2013" in page


def test_old_rules_person_is_sent_to_the_municipality():
    person = cases.ready(ready_days_ago=10, regime=Regime.PRE_2013, decision_date=date(2011, 3, 1))

    page = page_as(person)

    assert "This portal is not for you" in page
    assert "contact your municipality" in page
    assert "Your letter is expected" not in page


def test_voluntary_person_reads_what_voluntary_integration_means():
    person = cases.newcomer()
    cases.permit(person)
    cases.registration(person)
    cases.decision(person, regime=Regime.VOLUNTARY, outcome=Outcome.NOT_OBLIGED,
                   reason=DecisionReason.CHOSE_VOLUNTARY)

    page = page_as(person)

    assert "chose to do so voluntarily" in page
    assert "You do not get a start-date letter" in page


def test_not_obliged_person_sees_the_reason():
    person = cases.newcomer(nationality="DE")
    cases.permit(person)
    cases.decision(person, outcome=Outcome.NOT_OBLIGED, reason=DecisionReason.EU_EEA_SWISS)

    page = page_as(person)

    assert "You do not have to integrate." in page
    assert "EU, EEA or Swiss national" in page


def test_withdrawn_permit_is_shown_as_no_longer_valid():
    person = cases.newcomer()
    held = cases.permit(person, decided_days_ago=60)
    services.withdraw_permit(held, cases.days_ago(5))

    page = page_as(person)

    assert "No longer valid" in page


def test_dutch_page_writes_dates_in_dutch_and_arabic_page_is_right_to_left():
    person = cases.ready(ready_days_ago=10, decision_date=date(2025, 5, 19))
    cases.issue_start_letter(person)

    dutch = page_as(person, "nl")
    arabic = page_as(person, "ar")

    assert '<html lang="nl" dir="ltr"' in dutch
    assert "Uw inburgeringsplicht is begonnen op <strong>19 mei 2025</strong>" in dutch
    assert '<html lang="ar" dir="rtl"' in arabic
    assert "بدأ التزامك بالاندماج" in arabic and "مايو" in arabic


# Transaction control (BEGIN, SAVEPOINT, COMMIT) is not a query; the test database wraps each
# test in a transaction and SQLite logs its BEGIN, so these are left out of the count.
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")


def test_overview_uses_at_most_six_queries_whatever_the_data_size():
    """Session, user, the person with decision, letter, plan, intakes, permits and registrations in
    one query, session save (on every request while SESSION_SAVE_EVERY_REQUEST is on).

    Other people's data and a long history of one's own must not add queries.
    """
    for number in range(5):
        other = cases.ready(f"Other{number}", "Person", ready_days_ago=20)
        cases.intake(other, on=cases.days_from_now(2), hour=9 + number)  # one officer, never double-booked
        cases.plan(other, on=cases.days_ago(1))
    person = cases.ready(ready_days_ago=30)
    cases.permit(person, decided_days_ago=35)
    cases.registration(person, registered_days_ago=25, where=cases.municipality("GM0599", "Rotterdam"))
    cases.decision(person)
    cases.issue_start_letter(person)
    for days_from_now, status in ((-20, IntakeStatus.NO_SHOW), (-15, IntakeStatus.COMPLETED), (3, IntakeStatus.PLANNED),
                               (8, IntakeStatus.PLANNED)):
        cases.intake(person, on=cases.days_from_now(days_from_now), status=status)
    first = cases.plan(person, on=cases.days_ago(10))
    cases.plan(person, on=cases.days_ago(2), route=Route.EDUCATION, revision_of=first)
    client = cases.client_in("en")
    client.force_login(account_for(person), backend=DIGID_BACKEND)

    with CaptureQueriesContext(connection) as context:
        response = client.get(OVERVIEW)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Your next appointment" in page and "the education route" in page  # the data was really shown
    queries = [q["sql"] for q in context.captured_queries if not q["sql"].upper().startswith(TRANSACTION_CONTROL)]
    assert len(queries) <= 6, "\n".join(queries)


# The idle timeout renewed at most once a minute (portal/sessions.py) instead of a session write
# on every page.
RENEWING_SESSION_MIDDLEWARE = "portal.sessions.IdleTimeoutSessionMiddleware"


@pytest.fixture
def renewal_once_a_minute(settings):
    settings.MIDDLEWARE = [
        RENEWING_SESSION_MIDDLEWARE if entry == "django.contrib.sessions.middleware.SessionMiddleware" else entry
        for entry in settings.MIDDLEWARE
    ]
    settings.SESSION_SAVE_EVERY_REQUEST = False
    return settings


def _session_expiry(client):
    return Session.objects.get(session_key=client.session.session_key).expire_date


def _logged_in_client(person):
    client = cases.client_in("en")
    client.force_login(account_for(person), backend=DIGID_BACKEND)
    return client


def test_pages_within_a_minute_do_not_rewrite_the_session_but_a_page_after_it_does(renewal_once_a_minute,
                                                                                   monkeypatch):
    client = _logged_in_client(cases.ready(ready_days_ago=10))
    assert client.get(OVERVIEW).status_code == 200  # the first page starts the renewal clock
    renewed = _session_expiry(client)

    assert client.get(OVERVIEW).status_code == 200
    assert _session_expiry(client) == renewed  # no write: the session still ends when it did

    later = time.time() + 61
    monkeypatch.setattr("portal.sessions.time.time", lambda: later)
    assert client.get(OVERVIEW).status_code == 200
    assert _session_expiry(client) > renewed  # a minute on, the idle timeout starts again


def test_with_renewal_once_a_minute_the_overview_needs_no_session_write(renewal_once_a_minute):
    client = _logged_in_client(cases.ready(ready_days_ago=10))
    client.get(OVERVIEW)

    with CaptureQueriesContext(connection) as context:
        assert client.get(OVERVIEW).status_code == 200

    writes = [q["sql"] for q in context.captured_queries if q["sql"].upper().startswith(("UPDATE", "INSERT"))]
    assert writes == []


def test_an_unknown_session_cookie_creates_no_session(renewal_once_a_minute):
    client = cases.client_in("en")
    client.cookies[django_settings.SESSION_COOKIE_NAME] = "x" * 32

    response = client.get(OVERVIEW)

    assert response.status_code == 302  # to the login
    assert not Session.objects.exists()


def test_logging_out_ends_the_session_with_renewal_once_a_minute(renewal_once_a_minute):
    client = _logged_in_client(cases.ready(ready_days_ago=10))
    client.get(OVERVIEW)

    client.post(reverse("log_out"))

    assert not Session.objects.exists()
    assert client.get(OVERVIEW).status_code == 302
