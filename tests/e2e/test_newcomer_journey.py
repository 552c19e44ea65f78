"""A newcomer's visit in a real browser: DigiD mock, start date, letter PDF, languages, widths."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import pytest
from django.utils import translation
from django.utils.formats import date_format
from pypdf import PdfReader

from .conftest import DESKTOP, PHONE, axe_violations, describe
from .personas import issued, log_in, overdue

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Screenshots for a person to look at the layout; kept outside the tree unless a folder is named.
SCREENS = Path(os.environ.get("E2E_SCREENSHOT_DIR", tempfile.gettempdir())) / "mijn-inburgering-screens"


def dutch_date(day) -> str:
    with translation.override("nl"):
        return date_format(day, "DATE_FORMAT")


def pdf_text(path) -> str:
    text = " ".join(page.extract_text() for page in PdfReader(path).pages)
    return re.sub(r"\s+", " ", text)


def test_issued_persona_sees_the_start_date_and_downloads_the_letter_that_states_it(open_page):
    persona = issued()
    page = open_page(PHONE)
    log_in(page, persona)

    start = dutch_date(persona.start_date)
    assert page.locator("#status strong").inner_text() == start
    page.get_by_role("link", name="Lees of download uw brief").click()
    with page.expect_download() as download_info:
        page.locator("a[download]").first.click()
    download = download_info.value

    assert download.suggested_filename == f"{persona.letter.reference}.pdf"
    assert f"Uw inburgeringsplicht is begonnen op {start}" in pdf_text(download.path())


def test_overdue_persona_is_asked_to_contact_duo(open_page, settings):
    persona = overdue()
    page = open_page(DESKTOP)
    log_in(page, persona)

    prompt = page.locator("#overdue")
    assert "Uw brief is te laat. Neem contact op met DUO." in prompt.inner_text()
    assert prompt.get_by_role("link", name=settings.LETTER_SENDER["phone"]).is_visible()
    violations = axe_violations(page)
    assert not violations, "axe on the overdue overview:\n" + describe(violations)


def test_language_switch_to_english_and_arabic_keeps_the_page_and_turns_it_right_to_left(open_page):
    persona = issued()
    page = open_page(PHONE)
    log_in(page, persona)

    page.locator(".portal-language__toggle").click()  # the switcher opens, then one language is chosen
    page.locator("button[name=language][value=en]").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("html").get_attribute("dir") == "ltr"
    assert page.get_by_role("heading", level=1).inner_text() == "My integration"

    page.locator(".portal-language__toggle").click()
    page.locator("button[name=language][value=ar]").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "ar"
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.url.endswith("/mijn-inburgering/")
    # Right to left for real: the site name starts at the right-hand edge, the h1 too.
    for selector in (".portal-header__name", "h1"):
        box = page.locator(selector).bounding_box()
        assert PHONE["width"] - (box["x"] + box["width"]) < 32, selector


@pytest.mark.parametrize(("viewport", "language"), [(PHONE, "ar"), (DESKTOP, "nl")], ids=["phone-ar", "desktop-nl"])
def test_overview_fits_the_screen_without_sideways_scrolling(open_page, viewport, language):
    persona = issued()
    page = open_page(viewport, locale=language)
    log_in(page, persona)

    scroll_width = page.evaluate("() => document.documentElement.scrollWidth")
    assert scroll_width <= viewport["width"]
    assert not page.locator("#session-warning").is_visible()  # only two minutes before the end
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"overview-{language}-{viewport['width']}.png"), full_page=True)
