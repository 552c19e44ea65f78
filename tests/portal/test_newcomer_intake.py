"""The intake page lists the brede intake appointments the municipality planned (WI2021)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format

from integration.models import IntakeKind, IntakeStatus
from portal.accounts.backends import DIGID_BACKEND
from portal.digid.linking import account_for

from . import newcomer_cases as cases

pytestmark = pytest.mark.django_db

INTAKE = reverse("newcomer:intake")


def intake_page(person, language="en"):
    client = cases.client_in(language)
    client.force_login(account_for(person), backend=DIGID_BACKEND)
    response = client.get(INTAKE)
    assert response.status_code == 200
    return response.content.decode()


def english_date(day):
    with translation.override("en"):
        return date_format(day, "DATE_FORMAT")


def test_appointments_are_listed_in_time_order_with_time_place_and_state():
    person = cases.ready(ready_days_ago=30)
    cases.intake(person, on=cases.days_from_now(7), hour=14, kind=IntakeKind.LBT, location="Wijkcentrum Overvecht")
    cases.intake(person, on=cases.days_ago(5), hour=9, status=IntakeStatus.NO_SHOW)

    page = intake_page(person)

    interview, test = page.index("Intake interview"), page.index("Learnability test (LBT)")
    assert interview < test
    assert english_date(cases.days_ago(5)) in page and "Did not attend" in page
    assert english_date(cases.days_from_now(7)) in page
    assert 'from <bdi dir="ltr">14:00</bdi> to <bdi dir="ltr">15:00</bdi>' in page  # 24-hour times
    # Times and places are isolated, so a right-to-left page cannot reorder them.
    assert "<bdi>Wijkcentrum Overvecht</bdi>, municipality of <bdi>Utrecht</bdi>" in page
    assert "Planned" in page


def test_someone_else_s_appointments_are_not_shown():
    person = cases.ready("Amal", "Haddad", ready_days_ago=30)
    other = cases.ready("Yosef", "Tesfay", ready_days_ago=30)
    cases.intake(other, on=cases.days_from_now(3), location="Kamer van Yosef")

    page = intake_page(person)

    assert "Kamer van Yosef" not in page
    assert "has not planned an intake appointment for you yet" in page


def test_intake_page_is_in_dutch_by_default():
    person = cases.ready(ready_days_ago=30)
    cases.intake(person, on=cases.days_from_now(3))

    page = intake_page(person, "nl")

    assert '<html lang="nl"' in page
    assert "Intakegesprek" in page


def test_intake_page_needs_four_queries_whatever_the_number_of_appointments():
    """Session, user, the appointments with their municipality, session save."""
    person = cases.ready(ready_days_ago=30)
    for days in range(1, 6):
        cases.intake(person, on=cases.days_from_now(days))
    client = cases.client_in("en")
    client.force_login(account_for(person), backend=DIGID_BACKEND)

    with CaptureQueriesContext(connection) as context:
        client.get(INTAKE)

    queries = [q["sql"] for q in context.captured_queries if not q["sql"].upper().startswith(("BEGIN", "SAVEPOINT",
                                                                                              "RELEASE"))]
    assert len(queries) <= 4, "\n".join(queries)
