"""The newcomer's intake page: where the appointment is (the street address, not only the room),
how to reach the municipality, and the appointment for their calendar app as an .ics file that
is the same event as the invitation e-mail."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from icalendar import Calendar

from integration import intakes
from integration.models import IntakeStatus
from letters.ical import event_uid
from portal.accounts.backends import DIGID_BACKEND
from portal.digid.linking import account_for
from tests.letters.municipal_contact import with_contact_details

from . import newcomer_cases as cases

pytestmark = pytest.mark.django_db


def client_of(person) -> Client:
    client = cases.client_in("en")
    client.force_login(account_for(person), backend=DIGID_BACKEND)
    return client


def calendar_file(client, appointment):
    response = client.get(reverse("newcomer:intake_calendar", args=[appointment.public_id]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment;")
    calendar = Calendar.from_ical(response.content)
    [event] = calendar.walk("VEVENT")
    return calendar, event


@pytest.fixture
def person():
    with_contact_details(cases.municipality())
    return cases.ready(ready_days_ago=30)


def test_the_page_gives_the_street_address_and_how_to_reach_the_municipality(person):
    cases.intake(person, on=cases.days_from_now(8), location="Stadskantoor, kamer 3.12")

    page = client_of(person).get(reverse("newcomer:intake")).content.decode()

    assert "<bdi>Stadskantoor, kamer 3.12</bdi>, municipality of <bdi>Utrecht</bdi>" in page
    assert '<bdi>Stadsplateau 1</bdi><br><bdi dir="ltr">3521 AZ</bdi> <bdi>Utrecht</bdi>' in page
    assert 'href="tel:14030"' in page and 'href="mailto:inburgering@utrecht.example"' in page
    assert "www.utrecht.nl" in page


def test_a_planned_appointment_downloads_as_the_same_event_as_the_invitation(person):
    appointment = cases.intake(person, on=cases.days_from_now(8), hour=14)
    client = client_of(person)

    page = client.get(reverse("newcomer:intake")).content.decode()
    assert reverse("newcomer:intake_calendar", args=[appointment.public_id]) in page

    calendar, event = calendar_file(client, appointment)
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert str(event["UID"]) == event_uid(appointment) and int(event["SEQUENCE"]) == 0
    assert event.decoded("dtstart") == appointment.starts_at
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["ORGANIZER"]) == "mailto:inburgering@utrecht.example"
    assert "ATTENDEE" not in event  # a published event names nobody
    assert person.surname not in calendar.to_ical().decode()


def test_a_moved_appointment_s_old_file_gives_the_new_time_and_a_cancelled_one_the_cancellation(person):
    first = cases.intake(person, on=cases.days_from_now(8))
    moved = intakes.reschedule(first, starts_at=first.starts_at + timedelta(days=2),
                               ends_at=first.ends_at + timedelta(days=2))
    client = client_of(person)

    _, event = calendar_file(client, first)
    assert event.decoded("dtstart") == moved.starts_at and int(event["SEQUENCE"]) == 1

    intakes.cancel(moved, reason="ill")
    _, event = calendar_file(client, first)
    assert (str(event["STATUS"]), int(event["SEQUENCE"])) == ("CANCELLED", 2)
    page = client.get(reverse("newcomer:intake")).content.decode()
    assert "This appointment does not take place. The invitation letter for it no longer applies." in page


def test_someone_else_s_appointment_is_not_found(person):
    other = cases.ready("Yosef", "Tesfay", ready_days_ago=30)
    theirs = cases.intake(other, on=cases.days_from_now(8))

    response = client_of(person).get(reverse("newcomer:intake_calendar", args=[theirs.public_id]))

    assert response.status_code == 404


def test_the_page_still_needs_four_queries_with_contact_details_and_calendar_links(person):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for days in range(1, 6):
        cases.intake(person, on=cases.days_from_now(days + 7),
                     status=IntakeStatus.CANCELLED if days % 2 else IntakeStatus.PLANNED)
    client = client_of(person)
    with CaptureQueriesContext(connection) as context:
        client.get(reverse("newcomer:intake"))
    queries = [q["sql"] for q in context.captured_queries
               if not q["sql"].upper().startswith(("BEGIN", "SAVEPOINT", "RELEASE"))]
    assert len(queries) <= 4, "\n".join(queries)
