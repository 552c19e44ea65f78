"""A DUO staff member in a real browser: password and TOTP code, the overdue list filtered to
one municipality, a person whose start-date letter failed to render, and the retry that issues
it. Every page on the way is checked with axe.

The staff helpers (an account with a known TOTP secret, the login through allauth's pages) are
shared with the municipal browser test."""

from __future__ import annotations

import time
from dataclasses import dataclass

import pytest
from allauth.mfa import app_settings
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from allauth.mfa.totp.internal.auth import yield_hotp_counters_from_time as _counters
from django.db import transaction

from integration.choices import Regime
from letters.models import Letter, LetterKind, LetterStatus
from letters.requests import record_event
from portal.accounts.models import Role, User
from portal.demo.letter_states import hold_start_letter_in_queue
from tests.portal import newcomer_cases as cases

from .conftest import DESKTOP, axe_violations, describe

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RENDER_ERROR = "WeasyPrint: font not found"


@dataclass(frozen=True)
class StaffLogin:
    user: User
    password: str
    totp_secret: str


def staff_account(role=Role.DUO_STAFF, email="medewerker@duo.example", **extra) -> StaffLogin:
    """A staff account with a password and a TOTP authenticator whose secret the test knows."""
    password = f"browser-test-{role}"
    user = User.objects.create_user(email=email, password=password, role=role, **extra)
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return StaffLogin(user, password, secret)


# A code read this close to the end of its period may be checked by the server in the next one,
# where it is no longer valid (a browser round trip on a busy machine takes that long).
TOTP_ROLLOVER_MARGIN_SECONDS = 3


def current_totp_code(secret: str) -> str:
    """The code an authenticator app shows now (the middle of allauth's tolerance window). Like a
    person who sees the code about to change, it waits for the next one when the current one has
    less than TOTP_ROLLOVER_MARGIN_SECONDS left."""
    left = app_settings.TOTP_PERIOD - time.time() % app_settings.TOTP_PERIOD
    if left < TOTP_ROLLOVER_MARGIN_SECONDS:
        time.sleep(left + 0.1)
    counters = list(_counters())
    return format_hotp_value(hotp_value(secret, counters[len(counters) // 2]))


def log_in_with_totp(page, account: StaffLogin, next_url: str) -> None:
    """E-mail and password on the staff login page, then the TOTP code on allauth's second page."""
    page.goto(f"/accounts/login/?next={next_url}")
    page.locator("#id_login").fill(account.user.email)
    page.locator("#id_password").fill(account.password)
    page.locator("#id_password").press("Enter")
    page.wait_for_url("**/2fa/authenticate/**")
    page.locator("#id_code").fill(current_totp_code(account.totp_secret))
    page.locator("#id_code").press("Enter")
    page.wait_for_url(f"**{next_url}")


def assert_accessible(page, what: str) -> None:
    violations = axe_violations(page)
    assert not violations, f"axe on {what}:\n" + describe(violations)


def overdue_with_failed_letter(given_names, surname, where=None):
    """Ready 70 days ago; the start-date letter's one rendering attempt crashed.

    The letter is created queued before the decision that makes the person ready, so no worker
    renders it on commit, then left as `letters.issuing` leaves a crashed attempt: failed, the
    attempt counted, the error stored and in the events.
    """
    with transaction.atomic():
        person = cases.newcomer(given_names, surname, bsn_days_ago=90)
        cases.permit(person, decided_days_ago=80)
        cases.registration(person, registered_days_ago=70, where=where)
        letter = hold_start_letter_in_queue(person, Regime.WI2021, queued_on=cases.days_ago(70))
        cases.decision(person)
        Letter.objects.filter(pk=letter.pk).update(status=LetterStatus.FAILED, attempts=1, last_error=RENDER_ERROR)
        record_event(letter, "rendering", "attempt 1")
        record_event(letter, "failed", RENDER_ERROR)
    return person


def test_staff_member_logs_in_with_totp_finds_the_failed_letter_and_retries_it(open_page):
    account = staff_account()
    rotterdam = cases.municipality("GM0599", "Rotterdam")
    failed = overdue_with_failed_letter("Rahel", "Kidane", where=rotterdam)
    overdue_with_failed_letter("Omid", "Karimi")  # in Utrecht: filtered away below
    page = open_page(DESKTOP, locale="en-GB")

    log_in_with_totp(page, account, next_url="/duo/")
    assert page.get_by_role("link", name="Omid Karimi").is_visible()

    page.get_by_label("Municipality", exact=True).select_option(label=str(rotterdam))
    page.get_by_label("Reason", exact=True).select_option(label="rendering failed")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**/duo/?*municipality=GM0599*")
    rows = page.locator("table.duo-table tbody tr")
    assert rows.count() == 1
    assert RENDER_ERROR in rows.first.inner_text()
    assert_accessible(page, "the filtered overdue list")

    rows.first.get_by_role("link", name="Rahel Kidane").click()
    page.wait_for_url("**/duo/personen/*/")
    assert page.get_by_role("heading", level=1).inner_text() == "Rahel Kidane"
    letters = page.locator("table", has_text="Letters to this person")
    assert RENDER_ERROR in letters.inner_text()
    assert_accessible(page, "the person page")

    retry = page.locator("form", has=page.get_by_role("heading", name="Retry issuance now"))
    retry.get_by_label("I confirm this action").check()
    retry.get_by_role("button", name="Issue the letter now").click()
    page.wait_for_url("**/duo/personen/*/")
    assert page.get_by_text("The letter was issued.").is_visible()
    letter = Letter.objects.get(newcomer=failed, kind=LetterKind.START_DATE)
    assert letter.status == LetterStatus.ISSUED
    assert letters.get_by_role("link", name=letter.reference).is_visible()  # a PDF to open now
    assert "letter issued" in page.locator(".duo-timeline").inner_text()

    page.get_by_role("link", name="Dashboard").click()
    page.wait_for_url("**/duo/overzicht/")
    assert_accessible(page, "the dashboard")
