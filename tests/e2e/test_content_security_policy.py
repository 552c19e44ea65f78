"""The Content-Security-Policy blocks nothing the portal itself needs: the browser reports no
violation on the newcomer's pages or the staff login, and the session warning still works."""

from __future__ import annotations

import pytest

from .conftest import DESKTOP
from .personas import issued, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGES = ["/", "/uitleg/drie-voorwaarden/", "/inloggen/", "/accounts/login/", "/uitgelogd/"]
NEWCOMER_PAGES = ["/mijn-inburgering/", "/mijn-inburgering/brieven/", "/mijn-inburgering/stappen/",
                  "/mijn-inburgering/intake/"]


def test_no_page_violates_its_own_content_security_policy(open_page, settings):
    page = open_page(DESKTOP)
    violations = []
    page.on("console", lambda message: violations.append(f"{page.url}: {message.text}")
            if "Content Security Policy" in message.text else None)

    for url in PAGES:
        page.goto(url)
    log_in(page, issued())
    for url in NEWCOMER_PAGES:
        page.goto(url)

    assert not violations, "\n".join(violations)


def test_the_session_warning_appears_two_minutes_before_the_idle_timeout(open_page, settings):
    settings.SESSION_COOKIE_AGE = 121  # the warning is due one second after the page loads
    page = open_page(DESKTOP, locale="en-GB")
    log_in(page, issued())

    page.goto("/mijn-inburgering/")

    page.locator("#session-warning").wait_for(state="visible", timeout=5000)
