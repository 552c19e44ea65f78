"""A municipal officer in a real browser: the Utrecht officer logs in with TOTP, plans an intake
interview for a Utrecht newcomer at a suggested free time, the newcomer logs in through the
DigiD mock and sees the appointment, and the Amsterdam officer cannot open the person. The
officer's pages are checked with axe."""

from __future__ import annotations

import pytest
from django.utils import timezone, translation
from django.utils.formats import date_format, time_format

from integration.models import IntakeAppointment, IntakeKind, IntakeStatus
from portal.accounts.models import Role
from tests.portal import newcomer_cases as cases

from .conftest import DESKTOP, PHONE
from .personas import Persona, log_in
from .test_staff_duo import assert_accessible, log_in_with_totp, staff_account

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOM = "Stadskantoor, kamer 3.12"


def test_officer_plans_an_intake_that_the_newcomer_sees_and_another_municipality_cannot_open(open_page):
    utrecht, amsterdam = cases.municipality("GM0344", "Utrecht"), cases.municipality("GM0363", "Amsterdam")
    officer = staff_account(Role.MUNICIPAL_OFFICER, "ambtenaar@utrecht.example", municipality=utrecht)
    elsewhere = staff_account(Role.MUNICIPAL_OFFICER, "ambtenaar@amsterdam.example", municipality=amsterdam)
    newcomer = cases.ready("Noor", "Haddad", ready_days_ago=20)
    page = open_page(DESKTOP, locale="en-GB")

    log_in_with_totp(page, officer, next_url="/gemeente/")
    assert_accessible(page, "the work list")
    page.get_by_label("Stage", exact=True).select_option(label="needs an intake")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**/gemeente/?*stage=needs_intake*")
    page.get_by_role("link", name="Haddad, Noor").click()
    page.wait_for_url("**/gemeente/personen/*/")
    person_url = page.url
    assert_accessible(page, "the person page")

    page.get_by_role("link", name="Schedule an interview").click()
    page.wait_for_url("**/afspraak/?kind=INTERVIEW")
    page.locator("#suggest-location").fill(ROOM)
    page.get_by_role("button", name="Show free times").click()
    page.locator("#suggestions-heading ~ ul a").first.click()
    assert page.locator("#id_location").input_value() == ROOM
    assert_accessible(page, "the schedule form")
    page.get_by_role("button", name="Plan and send the invitation").click()
    page.wait_for_url(person_url)
    # The message says what really happens: this person has no e-mail address.
    with_email = ("The appointment is planned and the invitation is being sent by e-mail. The letter is in "
                  "Mijn Inburgering.")
    without = ("The appointment is planned. The invitation letter is in Mijn Inburgering; no e-mail address is known, "
               "so no e-mail is sent.")
    expected = with_email if newcomer.email else without
    assert page.get_by_text(expected).is_visible()

    appointment = IntakeAppointment.objects.get(newcomer=newcomer)
    assert (appointment.kind, appointment.status, appointment.location, appointment.officer) == (
        IntakeKind.INTERVIEW, IntakeStatus.PLANNED, ROOM, officer.user)
    starts = timezone.localtime(appointment.starts_at)
    page.goto(f"/gemeente/planning/?dag={starts.date().isoformat()}")
    assert "Haddad" in page.locator("main").inner_text()
    assert_accessible(page, "the planning")

    other = open_page(DESKTOP, locale="en-GB")
    log_in_with_totp(other, elsewhere, next_url="/gemeente/")
    assert other.goto(person_url).status == 404

    own = open_page(PHONE, locale="en-GB")
    log_in(own, Persona(newcomer.full_name))
    with translation.override("en"):
        when = f"{date_format(starts, 'DATE_FORMAT')} at {time_format(starts, 'H:i')}"  # 24-hour times everywhere
    assert f"Your next appointment: intake interview on {when}, {ROOM}." in own.locator("#intake").inner_text()
