"""Browser tests: Playwright (sync API) driving the system's Chromium against the live server.

One Chromium is started per test module and each test opens its own context (cookies,
viewport, language), which is cheap. Without Chromium the browser tests are skipped, with the
reason, instead of failing on a machine that cannot run them.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
AXE_SCRIPT = Path(__file__).parent / "vendor" / "axe-core" / "4.14.1" / "axe.min.js"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def chromium_path() -> str | None:
    candidate = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    if Path(candidate).is_file():
        return candidate
    return shutil.which("chromium")


@pytest.fixture(scope="module")
def browser():
    executable = chromium_path()
    if executable is None:
        pytest.skip("No Chromium found: install Debian's chromium package or set CHROMIUM_PATH")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in the test thread; Django refuses ORM calls from
    # a thread with a running loop unless told that this is deliberate. The test thread only
    # builds test data; the live server answers requests in its own thread.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def open_page(browser, live_server):
    """Open a fresh browser context and page at a viewport size and browser language."""
    contexts = []

    def _open(viewport=DESKTOP, locale="nl-NL", *, chosen=True):
        """`chosen`: the person also picked the browser's language with the switcher (its cookie),
        so a newcomer's pages stay in it after logging in instead of their stored preference."""
        context = browser.new_context(viewport=viewport, locale=locale, base_url=live_server.url,
                                      accept_downloads=True)
        language = locale.split("-")[0].lower()
        if chosen and language in dict(settings.LANGUAGES):
            context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}])
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield _open
    for context in contexts:
        context.close()


def axe_violations(page) -> list[dict]:
    """Run axe-core on the page for WCAG 2.1 A and AA; the violations, each with its targets."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol, not as a <script> tag: the pages' Content-
        # Security-Policy (rightly) refuses inline scripts.
        page.evaluate(AXE_SCRIPT.read_text(encoding="utf-8"))
    return page.evaluate(
        """async (tags) => {
            const result = await axe.run(document, {runOnly: {type: "tag", values: tags}});
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                targets: v.nodes.map(n => n.target.join(" ")),
            }));
        }""",
        WCAG_21_AA,
    )


def describe(violations: list[dict]) -> str:
    return "\n".join(f"  {v['id']} ({v['impact']}): {v['help']} -> {', '.join(v['targets'])}" for v in violations)
