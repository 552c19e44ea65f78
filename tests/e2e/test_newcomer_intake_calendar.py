"""A newcomer's intake page in a real browser: the street address and how to reach the
municipality, the appointment downloaded for the calendar app, and the page checked with axe."""

from __future__ import annotations

import pytest
from icalendar import Calendar

from integration.models import IntakeAppointment, IntakeKind
from letters.ical import event_uid
from tests.letters.municipal_contact import with_contact_details
from tests.portal import newcomer_cases as cases

from .conftest import PHONE, axe_violations, describe
from .personas import issued, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_newcomer_finds_where_to_go_whom_to_call_and_adds_the_appointment_to_the_calendar(open_page):
    with_contact_details(cases.municipality())
    persona = issued()
    appointment = IntakeAppointment.objects.get(kind=IntakeKind.LBT)
    page = open_page(PHONE, locale="en-GB")
    log_in(page, persona)

    page.goto("/mijn-inburgering/intake/")
    item = page.locator(f"#appointment-{appointment.public_id}")
    text = item.inner_text()
    assert "Stadsplateau 1" in text and "3521 AZ Utrecht" in text
    assert item.get_by_role("link", name="14 030").get_attribute("href") == "tel:14030"
    assert item.get_by_role("link", name="inburgering@utrecht.example").is_visible()
    violations = axe_violations(page)
    assert not violations, "axe on the intake page:\n" + describe(violations)

    with page.expect_download() as download_info:
        item.get_by_role("link", name="Add the learnability test (LBT) to your calendar (.ics file)").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".ics")
    with open(download.path(), "rb") as handle:
        [event] = Calendar.from_ical(handle.read()).walk("VEVENT")
    assert str(event["UID"]) == event_uid(appointment)
    assert event.decoded("dtstart") == appointment.starts_at
    assert "Stadsplateau 1" in str(event["location"])
