"""Every text a newcomer can see is translated into each of the nine languages: no message of the
newcomer-facing scope is empty or fuzzy in any catalogue, the compiled catalogues are up to
date, every catalogue says it is machine-assisted (except Dutch, the portal's language), and
each translation keeps the placeholders and markup of its source.

The scope is read from the source files themselves, the way makemessages reads them (templates
through Django's templatize, then xgettext), so a new text on a newcomer page is in scope the
moment it is written.
"""

from __future__ import annotations

import gettext
import re
import shutil
import subprocess
import tempfile
from functools import cache
from pathlib import Path

import pytest
from django.conf import settings
from django.utils.translation.template import templatize

ROOT = Path(settings.BASE_DIR)
LOCALE = ROOT / "locale"
TRANSLATED = [code for code, _name in settings.LANGUAGES if code != "en"]  # English is the source
# The six languages added together (Arabic came earlier, with its own review note).
MACHINE_ASSISTED = ["es", "fa", "ti", "so", "prs", "ps"]

# What a newcomer sees: the public pages, the DigiD mock and no-record pages, their own pages
# (with the companion page of each letter), the error pages, the frame (header, switcher,
# session warning, footer), the form errors they can meet, the texts of their situation and
# steps, and the e-mails they receive.
SCOPE_TEMPLATES = [
    "templates/base.html", "templates/400.html", "templates/403.html", "templates/404.html",
    "templates/500.html", "templates/_error_body.html", "templates/_messages.html", "templates/forms/*.html",
    "templates/portal/*.html", "templates/portal/about/*.html", "templates/portal/digid/*.html",
    "templates/portal/newcomer/*.html", "letters/templates/letters/email/*.txt",
]
SCOPE_PYTHON = [
    "integration/case_status.py", "integration/step_texts.py", "integration/choices.py",
    "integration/validators.py", "letters/models.py", "portal/forms.py", "portal/digid/forms.py",
    "portal/formats/names.py", "portal/newcomer/*.py",
]
KEYWORDS = ["gettext_noop", "gettext_lazy", "ngettext_lazy:1,2", "pgettext:1c,2", "npgettext:1c,2,3",
            "pgettext_lazy:1c,2", "npgettext_lazy:1c,2,3"]

pytestmark = pytest.mark.skipif(shutil.which("xgettext") is None, reason="GNU gettext is not installed")


def _files(patterns: list[str]) -> list[Path]:
    found = [path for pattern in patterns for path in sorted(ROOT.glob(pattern))]
    assert found, patterns
    return found


@cache
def scope_messages() -> frozenset:
    """The msgids (and msgctxt\\x04msgid) of the scope, as xgettext extracts them."""
    work = _tmp() / "scope"
    work.mkdir(parents=True, exist_ok=True)
    sources = []
    for number, template in enumerate(_files(SCOPE_TEMPLATES)):
        target = work / f"template_{number}.py"
        target.write_text(templatize(template.read_text(encoding="utf-8"), origin=str(template)), encoding="utf-8")
        sources.append(str(target))
    sources += [str(path) for path in _files(SCOPE_PYTHON)]
    pot = work / "scope.pot"
    subprocess.run(["xgettext", "--language=Python", "--from-code=UTF-8", "--force-po", "-o", str(pot),
                    *[f"--keyword={keyword}" for keyword in KEYWORDS], *sources], check=True)
    # msgen copies each msgid into its msgstr, so msgfmt keeps them all; the .mo is then read
    # by the standard library, no .po parser needed.
    english = work / "scope.po"
    subprocess.run(["msgen", "-o", str(english), str(pot)], check=True)
    compiled = work / "scope.mo"
    subprocess.run(["msgfmt", "-o", str(compiled), str(english)], check=True)
    return frozenset(_keys(compiled))


def _tmp() -> Path:
    return Path(tempfile.mkdtemp(prefix="translation-scope-"))


def _keys(mo: Path) -> set:
    with mo.open("rb") as handle:
        catalog = gettext.GNUTranslations(handle)._catalog
    return {key[0] if isinstance(key, tuple) else key for key in catalog if key != ""}


def _catalog(mo: Path) -> dict:
    with mo.open("rb") as handle:
        return gettext.GNUTranslations(handle)._catalog


@cache
def fresh_catalog(language: str) -> dict:
    """The language's .po compiled now: msgfmt leaves out empty and fuzzy entries."""
    target = _tmp() / f"{language}.mo"
    source = LOCALE / language / "LC_MESSAGES" / "django.po"
    subprocess.run(["msgfmt", "--check-format", "-o", str(target), str(source)], check=True)
    return _catalog(target)


def test_the_scope_is_found():
    messages = scope_messages()
    assert "My letters" in messages and "Your start date" in messages and "Page not found" in messages
    assert len(messages) > 250


@pytest.mark.parametrize("language", TRANSLATED)
def test_no_newcomer_text_is_empty_or_fuzzy(language):
    translated = {key[0] if isinstance(key, tuple) else key for key, value in fresh_catalog(language).items() if value}
    missing = sorted(scope_messages() - translated)
    assert len(missing) == 0, f"{language}: {len(missing)} empty or fuzzy newcomer texts, e.g. {missing[:5]}"


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_compiled_catalogue_is_up_to_date(language):
    with (LOCALE / language / "LC_MESSAGES" / "django.mo").open("rb") as handle:
        committed = gettext.GNUTranslations(handle)._catalog
    fresh = fresh_catalog(language)
    stale = [key for key in fresh if key in scope_messages() and committed.get(key) != fresh[key]]
    assert not stale, f"{language}: run compilemessages ({len(stale)} differ, e.g. {stale[:3]})"


@pytest.mark.parametrize("language", MACHINE_ASSISTED)
def test_each_machine_assisted_catalogue_says_so(language):
    header = (LOCALE / language / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")[:600]
    assert "machine-assisted, for review by a native speaker" in header.lower()


MARKUP = re.compile(r"%\(\w+\)s|\{\}|<[^>]+>")


@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_keep_the_placeholders_and_markup(language):
    broken = []
    for key, value in fresh_catalog(language).items():
        source = key[0] if isinstance(key, tuple) else key
        if source not in scope_messages() or not value:
            continue
        source = source.split("\x04")[-1]
        if sorted(MARKUP.findall(source)) != sorted(MARKUP.findall(value)):
            broken.append((source, value))
    assert not broken, f"{language}: {broken[:3]}"


# No tofu: the fonts the pages use for Ethiopic and Arabic script (static/fonts/, @font-face in
# portal.css) have a glyph for every character of those scripts in the catalogues.
SCRIPT_FONTS = {
    "ti": ("NotoSansEthiopic-Regular.woff2", lambda c: 0x1200 <= ord(c) <= 0x139F or 0x2D80 <= ord(c) <= 0x2DDF),
    **{language: ("NotoSansArabic-Regular.woff2", lambda c: 0x0600 <= ord(c) <= 0x06FF or 0xFB50 <= ord(c) <= 0xFEFF)
       for language in ("ar", "fa", "prs", "ps")},
}


@pytest.mark.parametrize("language", sorted(SCRIPT_FONTS))
def test_the_vendored_font_has_a_glyph_for_every_character_of_the_translation(language):
    from fontTools.ttLib import TTFont

    font_file, in_script = SCRIPT_FONTS[language]
    cmap = TTFont(ROOT / "static" / "fonts" / font_file).getBestCmap()
    text = "".join(value if isinstance(value, str) else "" for value in fresh_catalog(language).values())
    characters = {c for c in text if in_script(c)}
    assert len(characters) > 20, "the catalogue has text in that script"
    missing = sorted(c for c in characters if ord(c) not in cmap)
    assert not missing, f"{font_file} lacks {''.join(missing)!r}"
