"""The newcomer's pages in each of the nine languages, on a phone (390 px), in one browser:

- a newcomer whose preferred language is stored logs in from a browser set to Dutch, with no
  choice made, and reads every page in their own language;
- every page passes the tour's checks (`tour.Tour.check`: axe 0 violations, no sideways
  scrolling, `<html lang>`, one h1, no English or Dutch left in a translated page);
- the four right-to-left languages are mirrored (`dir="rtl"`, the heading starts at the right
  edge) and keep times, phone numbers, references and dates isolated in `<bdi>`;
- Tigrinya and Pashto render with real glyphs: the text is drawn with the vendored Noto fonts
  (Chromium's own account of the fonts it used, over the DevTools protocol), and those fonts
  have a glyph for every Ethiopic or Arabic-script character on the page.

Sampled to keep the time down: one persona (letter issued, intake planned, plan written) in all
nine languages, a second (letter overdue) in the right-to-left ones. The screenshots of the
Tigrinya and Pashto pages go to $E2E_SCREENSHOT_DIR/mijn-inburgering-languages.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from django.conf import settings
from fontTools.ttLib import TTFont

from integration.models import Newcomer
from letters.models import Letter, LetterKind

from .conftest import PHONE
from .personas import Persona, issued, log_in, overdue
from .tour import Tour

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NINE = [code for code, _name in settings.LANGUAGES]
RIGHT_TO_LEFT = {"ar", "fa", "prs", "ps"}
PAGES = [("/mijn-inburgering/", "overview"), ("/mijn-inburgering/stappen/", "my steps"),
         ("/mijn-inburgering/brieven/", "my letters"), ("/mijn-inburgering/intake/", "my intake")]
SCREENS = Path(os.environ.get("E2E_SCREENSHOT_DIR", tempfile.gettempdir())) / "mijn-inburgering-languages"
FONTS = Path(settings.BASE_DIR) / "static" / "fonts"
SCRIPTS = {  # the characters of a script, and the vendored font that must draw them
    "ti": (lambda c: 0x1200 <= ord(c) <= 0x139F or 0x2D80 <= ord(c) <= 0x2DDF, "NotoSansEthiopic-Regular.woff2",
           "Noto Sans Ethiopic"),
    "ps": (lambda c: 0x0600 <= ord(c) <= 0x06FF or 0xFB50 <= ord(c) <= 0xFEFF, "NotoSansArabic-Regular.woff2",
           "Noto Sans Arabic"),
}

# Dates ("5 مارچ 2026"), times ("13:00") and phone numbers in the main text of a right-to-left
# page that are not inside a <bdi>: the bidi algorithm could reorder them with the words around.
UNISOLATED_NUMBERS = r"""() => {
  const pattern = /\b\d{1,2}:\d{2}\b|\b\d{1,2} [^\s\d]+ \d{4}\b|\+?\d[\d ]{7,}\d/;
  const loose = [];
  const walker = document.createTreeWalker(document.querySelector("main"), NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!pattern.test(node.data) || node.parentElement.closest("bdi, script, [hidden]")) continue;
    if (!node.parentElement.getClientRects().length) continue;
    loose.push(node.data.trim().slice(0, 60));
  }
  return loose;
}"""


@pytest.fixture(scope="module")
def tour():
    tour = Tour(screenshots=False)
    yield tour
    tour.write_index()


def prefer(persona: Persona, language: str) -> None:
    Newcomer.objects.filter(given_names=persona.name.split()[0]).update(preferred_language=language)


def companion_path(persona: Persona) -> str:
    letter = Letter.objects.get(newcomer__given_names=persona.name.split()[0], kind=LetterKind.START_DATE)
    return f"/mijn-inburgering/brieven/{letter.public_id}/uitleg/"


def fonts_used(page, selector: str) -> set[str]:
    """The fonts Chromium drew the element's text with (CSS.getPlatformFontsForNode)."""
    session = page.context.new_cdp_session(page)
    session.send("DOM.enable")
    session.send("CSS.enable")
    root = session.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
    used = set()
    for node in session.send("DOM.querySelectorAll", {"nodeId": root, "selector": selector})["nodeIds"]:
        used |= {font["familyName"] for font in session.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]}
    session.detach()
    return used


def glyph_problems(page, language: str, label: str) -> list[str]:
    in_script, font_file, family = SCRIPTS[language]
    page.evaluate("() => document.fonts.ready")
    text = page.evaluate("() => document.body.innerText")
    characters = {c for c in text if in_script(c)}
    problems = []
    if not characters:
        problems.append(f"[glyphs] {label} ({language}): no {family} text on the page")
    cmap = TTFont(FONTS / font_file).getBestCmap()
    missing = sorted(c for c in characters if ord(c) not in cmap)
    if missing:
        problems.append(f"[glyphs] {label} ({language}): {family} has no glyph for {''.join(missing)!r}")
    used = fonts_used(page, "main h1, main p")
    if family not in used:
        problems.append(f"[glyphs] {label} ({language}): drawn with {sorted(used)}, not {family}")
    return problems


def rtl_problems(page, label: str, language: str) -> list[str]:
    problems = []
    if page.locator("html").get_attribute("dir") != "rtl":
        problems.append(f"[rtl] {label} ({language}): <html dir> is not rtl")
    box = page.locator("h1").bounding_box()
    if PHONE["width"] - (box["x"] + box["width"]) > 32:
        problems.append(f"[rtl] {label} ({language}): the heading does not start at the right edge")
    loose = page.evaluate(UNISOLATED_NUMBERS)
    if loose:
        problems.append(f"[rtl] {label} ({language}): numbers outside <bdi>: {loose[:4]}")
    return problems


def test_each_newcomer_page_in_each_of_the_nine_languages(open_page, tour):
    persona = issued()
    companion = companion_path(persona)
    problems = []
    for language in NINE:
        prefer(persona, language)
        page = open_page(PHONE, locale="nl-NL", chosen=False)  # a Dutch phone; their preference decides
        log_in(page, persona)
        for path, label in [*PAGES, (companion, "what the start-date letter says")]:
            response = page.goto(path)
            problems += tour.check(page, "newcomer", f"{label} (nine languages)", language, status=200,
                                   got=response.status if response else None, viewports=(PHONE,))
            if language in RIGHT_TO_LEFT:
                problems += rtl_problems(page, label, language)
            if language in SCRIPTS:
                problems += glyph_problems(page, language, label)
                SCREENS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(SCREENS / f"{language}-390-{label.replace(' ', '-')}.png"), full_page=True)
        page.context.close()
    assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(problems)


def test_the_overdue_overview_in_the_right_to_left_languages(open_page, tour):
    persona = overdue()
    problems = []
    for language in sorted(RIGHT_TO_LEFT):
        prefer(persona, language)
        page = open_page(PHONE, locale="nl-NL", chosen=False)
        log_in(page, persona)
        response = page.goto("/mijn-inburgering/")
        problems += tour.check(page, "newcomer", "overview (overdue, nine languages)", language, status=200,
                               got=response.status if response else None, viewports=(PHONE,))
        problems += rtl_problems(page, "overview (overdue)", language)
        page.context.close()
    assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(problems)
