"""axe-core finds no WCAG 2.1 A/AA violation on any newcomer page, in every language, on a
phone and on a desktop screen."""

from __future__ import annotations

import pytest

from .conftest import DESKTOP, PHONE, axe_violations, describe
from .personas import issued, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PUBLIC_PAGES = ["/", "/uitleg/drie-voorwaarden/", "/uitleg/acht-weken/", "/inloggen/"]
NEWCOMER_PAGES = ["/mijn-inburgering/", "/mijn-inburgering/brieven/", "/mijn-inburgering/stappen/",
                  "/mijn-inburgering/intake/"]


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
@pytest.mark.parametrize("language", ["nl", "en", "ar"])
def test_every_newcomer_page_has_no_axe_violations(open_page, language, viewport):
    persona = issued()
    page = open_page(viewport, locale=language)
    found = {}
    for url in PUBLIC_PAGES:
        page.goto(url)
        found[url] = axe_violations(page)
    log_in(page, persona)
    for url in NEWCOMER_PAGES:
        page.goto(url)
        assert page.locator("html").get_attribute("lang") == language, url
        found[url] = axe_violations(page)

    failures = {url: violations for url, violations in found.items() if violations}
    assert not failures, "\n".join(f"{url}:\n{describe(violations)}" for url, violations in failures.items())
