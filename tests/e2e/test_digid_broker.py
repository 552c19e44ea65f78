"""DigiD through a real OpenID Connect provider (panva's oidc-provider, run with Node.js), driven in
a real browser: login, the no-record page, a too-low level, the nonce, and logging out at the
broker. Settings are as in production: no DigiD mock, only the broker.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from portal.digid.oidc import providers_from_environment
from tests.oidc_broker import OidcBroker, broker_available
from tests.portal import newcomer_cases as cases

from .conftest import DESKTOP, axe_violations, describe

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CALLBACK = "/accounts/oidc/digid/login/callback/"
UNKNOWN_VALID_BSN = "111222333"


@pytest.fixture(scope="module")
def broker(live_server):
    reason = broker_available()
    if reason:
        pytest.fail(f"the DigiD broker tests cannot run: {reason}")
    with OidcBroker([live_server.url + CALLBACK], [live_server.url + reverse("logged_out")]) as running:
        yield running


@pytest.fixture
def production_login(settings, broker):
    """The portal as in production: only DigiD through the broker, no mock."""
    settings.DIGID_MOCK_ENABLED = False
    settings.SOCIALACCOUNT_PROVIDERS = providers_from_environment(broker.environment())
    return broker


def log_in_at_broker(page, bsn: str, level: str = "Midden"):
    page.goto("/inloggen/")
    page.get_by_role("button", name="Log in with DigiD").click()
    page.get_by_label("BSN").fill(bsn)
    page.get_by_label("Betrouwbaarheidsniveau").select_option(level)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_load_state()


def is_logged_out_of_the_portal(page) -> bool:
    return "/inloggen/" in page.goto(reverse("newcomer:overview")).url


def test_a_newcomer_logs_in_with_digid_sees_their_page_and_logs_out_of_digid_too(open_page, production_login):
    person = cases.ready("Amal", "Haddad", ready_days_ago=10)
    page = open_page(DESKTOP, locale="en-GB")

    log_in_at_broker(page, person.bsn)
    assert page.url.endswith(reverse("newcomer:overview"))
    assert "Amal Haddad" in page.content() and person.bsn not in page.content()

    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**" + reverse("logged_out") + "*")
    assert "You are logged out of Mijn Inburgering and of DigiD." in page.content()
    violations = axe_violations(page)
    assert not violations, "axe on the logged-out page:\n" + describe(violations)
    assert is_logged_out_of_the_portal(page)

    # DigiD asks again: the broker's session ended too.
    page.goto("/inloggen/")
    page.get_by_role("button", name="Log in with DigiD").click()
    assert page.get_by_label("BSN").is_visible()


def test_without_logging_out_at_the_broker_the_same_browser_goes_straight_back_in(open_page, production_login):
    """The control for the test above: the broker keeps a session of its own, so only a logout
    at the broker makes DigiD ask again."""
    person = cases.ready("Amal", "Haddad", ready_days_ago=10)
    page = open_page(DESKTOP, locale="en-GB")
    log_in_at_broker(page, person.bsn)

    page.context.clear_cookies(name="sessionid")  # the portal's session only
    assert is_logged_out_of_the_portal(page)
    page.get_by_role("button", name="Log in with DigiD").click()
    page.wait_for_url("**" + reverse("newcomer:overview"))


def test_a_valid_bsn_without_a_record_gets_the_friendly_page(open_page, production_login):
    page = open_page(DESKTOP, locale="en-GB")

    log_in_at_broker(page, UNKNOWN_VALID_BSN)

    assert page.get_by_role("heading", level=1).inner_text() == "We have no integration record for you yet"
    assert UNKNOWN_VALID_BSN not in page.content()
    assert is_logged_out_of_the_portal(page)


def test_a_login_at_digid_basis_is_refused(open_page, production_login):
    person = cases.ready("Amal", "Haddad", ready_days_ago=10)
    page = open_page(DESKTOP, locale="en-GB")

    log_in_at_broker(page, person.bsn, level="Basis")

    assert CALLBACK in page.url
    assert page.get_by_role("heading", level=1).inner_text() == "Log in with the DigiD app or an SMS check"
    assert is_logged_out_of_the_portal(page)


def test_a_login_at_digid_substantieel_is_accepted(open_page, production_login):
    person = cases.ready("Amal", "Haddad", ready_days_ago=10)
    page = open_page(DESKTOP, locale="en-GB")

    log_in_at_broker(page, person.bsn, level="Substantieel")

    assert page.url.endswith(reverse("newcomer:overview"))


def test_cancelling_at_the_broker_shows_a_calm_page(open_page, production_login):
    page = open_page(DESKTOP, locale="en-GB")
    page.goto("/inloggen/")
    page.get_by_role("button", name="Log in with DigiD").click()

    page.get_by_role("button", name="Annuleren").click()
    page.wait_for_load_state()

    assert page.get_by_role("heading", level=1).inner_text() == "You stopped logging in with DigiD"
