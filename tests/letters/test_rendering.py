"""The start-date letter as the newcomer receives it: one archival A4 page in Dutch."""

import io
import logging
import re
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation
from pypdf import PdfReader

from integration import services as integration
from integration.choices import DecisionReason, DecisionSource, Outcome, PurposeOfStay, Regime
from integration.models import Municipality, Newcomer
from letters.issuing import IssueOutcome
from letters.issuing import issue_letter as issue
from letters.models import Letter, LetterKind, LetterStatus
from letters.rendering import (
    LetterRenderingError,
    ResourceRefused,
    dutch_date,
    html_to_pdf,
    parse_letter_stylesheet,
    static_only_url_fetcher,
)
from portal.accounts.backends import DIGID_BACKEND, STAFF_BACKEND
from portal.digid.linking import account_for
from tests.conftest import log_in_with_mfa

BSN = "111222333"
MM_PER_POINT = 25.4 / 72
A4_HEIGHT_POINTS = 297 / MM_PER_POINT


def newcomer_obliged_since(*, obligation_start: date, regime: str) -> Newcomer:
    """A person for whom all three conditions hold and an obligation decision exists."""
    newcomer = Newcomer.objects.create(given_names="Amina", surname="Haddad", date_of_birth=date(1990, 4, 2),
                                       nationality="SY")
    utrecht = Municipality.objects.create(code="GM0344", name="Utrecht")
    integration.record_bsn(newcomer, BSN, assigned_on=obligation_start)
    integration.record_permit(newcomer, residence_title=26, purpose=PurposeOfStay.ASYLUM,
                              decision_date=obligation_start, valid_from=obligation_start)
    integration.record_registration(newcomer, municipality=utrecht, street="Oudegracht", house_number="12 bis",
                                    postcode="3511 AB", town="Utrecht", registered_on=obligation_start)
    integration.record_decision(newcomer, regime=regime, outcome=Outcome.OBLIGED,
                                reason=DecisionReason.OBLIGED_BY_RULE, decided_on=obligation_start,
                                source=DecisionSource.REGISTRY_FEED)
    return newcomer


def issued_letter(newcomer: Newcomer) -> Letter:
    letter = Letter.objects.get(newcomer=newcomer, kind=LetterKind.START_DATE)
    assert issue(letter.pk) is IssueOutcome.ISSUED
    letter.refresh_from_db()
    return letter


def read_pdf(letter: Letter) -> PdfReader:
    with letter.pdf.open("rb") as handle:
        return PdfReader(io.BytesIO(handle.read()))


def page_text(reader: PdfReader) -> str:
    """The text of the letter with runs of white space made single, as a reader sees it."""
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


@pytest.fixture
def wi2021_letter(db):
    return issued_letter(newcomer_obliged_since(obligation_start=date(2024, 3, 15), regime=Regime.WI2021))


@pytest.fixture
def wi2013_letter(db):
    return issued_letter(newcomer_obliged_since(obligation_start=date(2019, 5, 1), regime=Regime.WI2013))


# --- What the letter says -------------------------------------------------------------------


def test_issued_letter_is_one_page_with_reference_start_date_and_address(wi2021_letter):
    reader = read_pdf(wi2021_letter)
    text = page_text(reader)

    assert wi2021_letter.status == LetterStatus.ISSUED
    assert len(reader.pages) == 1 == wi2021_letter.page_count
    assert wi2021_letter.reference in text
    assert "Uw inburgeringsplicht is begonnen op 15 maart 2024." in text
    assert dutch_date(wi2021_letter.letter_date) in text
    assert "Amina Haddad" in text
    assert "Oudegracht 12 bis" in text
    assert "3511 AB UTRECHT" in text


def test_wi2021_letter_announces_the_brede_intake_by_the_municipality(wi2021_letter):
    text = page_text(read_pdf(wi2021_letter))

    assert "Wet inburgering 2021" in text
    # The brede intake is the interview and the learnability test (DOMAIN.md §8).
    assert "Uw gemeente nodigt u uit voor de brede intake: een gesprek en een leerbaarheidstoets." in text
    assert "inburgeringsexamen te halen" not in text


def test_wi2013_letter_issued_after_the_period_says_it_ended_not_a_deadline_in_the_past(wi2013_letter):
    text = page_text(read_pdf(wi2013_letter))

    assert "Wet inburgering 2013" in text
    assert "Uw inburgeringsplicht is begonnen op 1 mei 2019." in text
    # Three years from 1 May 2019: the last day is 30 April 2022 (DOMAIN.md §8), long past.
    assert "Uw inburgeringstermijn van 3 jaar liep tot en met 30 april 2022. Die termijn is voorbij." in text
    assert "U hebt tot" not in text
    assert "brede intake" not in text


def test_wi2013_letter_within_the_period_gives_the_last_day_tot_en_met(db):
    from letters.rendering import start_date_context

    letter = Letter(kind=LetterKind.START_DATE, regime=Regime.WI2013, reference="INB-SD-TEST-0001",
                    start_date=date(2019, 5, 1), letter_date=date(2019, 6, 3),
                    newcomer=newcomer_obliged_since(obligation_start=date(2019, 5, 1), regime=Regime.WI2013))

    context = start_date_context(letter)

    assert (context["period_last_day"], context["period_ended"]) == ("30 april 2022", False)


def test_letter_says_where_to_look_online_and_how_to_object(wi2021_letter):
    text = page_text(read_pdf(wi2021_letter))

    assert "Mijn Inburgering: mijn.inburgeren.nl" in text
    assert "bezwaar maken binnen 6 weken na de datum van deze brief" in text
    assert settings.LETTER_SENDER["postal_address"] in text


def test_letter_does_not_print_the_bsn(wi2021_letter):
    digits_only = re.sub(r"\D", "", page_text(read_pdf(wi2021_letter)))

    assert BSN not in digits_only


# --- Archival PDF ---------------------------------------------------------------------------


def test_letter_is_pdf_a_with_dutch_language_and_a_title(wi2021_letter):
    reader = read_pdf(wi2021_letter)
    catalog = reader.trailer["/Root"]
    xmp = catalog["/Metadata"].get_object().get_data().decode()

    assert re.search(r"pdfaid:part(>|=\")2", xmp)
    assert re.search(r"pdfaid:conformance(>|=\")U", xmp)  # PDF/A-2u: tagged, every glyph in Unicode
    assert "/OutputIntents" in catalog
    assert catalog["/Lang"] == "nl"
    assert reader.metadata.title == f"Startdatum van uw inburgeringsplicht – {wi2021_letter.reference}"


def test_letter_embeds_the_shipped_font(wi2021_letter):
    fonts = read_pdf(wi2021_letter).pages[0]["/Resources"]["/Font"]

    for font in fonts.values():
        font = font.get_object()
        descriptor = (font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font)
        descriptor = descriptor["/FontDescriptor"].get_object()
        assert "/FontFile2" in descriptor or "/FontFile3" in descriptor
        # Named after our @font-face family: the shipped font, not whatever the system has.
        assert re.fullmatch(r"/[A-Z]{6}\+Letter-Sans(-Bold)?", font["/BaseFont"])


def test_address_sits_in_the_envelope_window(wi2021_letter):
    """NEN 1026 window: 20 mm from the left, 50 mm from the top, 90 × 40 mm."""
    lines = {}

    def note_position(text, cm, tm, font, size):
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        lines[text.strip()] = (x * MM_PER_POINT, (A4_HEIGHT_POINTS - y) * MM_PER_POINT)

    read_pdf(wi2021_letter).pages[0].extract_text(visitor_text=note_position)

    for line in ("Amina Haddad", "Oudegracht 12 bis", "3511 AB  UTRECHT"):
        left, baseline_from_top = lines[line]
        assert 20 <= left <= 110 and 50 <= baseline_from_top <= 90, (line, lines[line])


def test_letter_stylesheet_uses_only_css_that_weasyprint_understands(caplog):
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        parse_letter_stylesheet()

    assert [record.getMessage() for record in caplog.records] == []


def test_letter_that_does_not_fit_on_one_page_is_refused():
    too_long = "<html lang='nl'><title>x</title><body>" + "<p>Tekst</p>" * 400 + "</body></html>"

    with pytest.raises(LetterRenderingError, match="must fit on one page"):
        html_to_pdf(too_long)


# --- Dates and resources --------------------------------------------------------------------


@pytest.mark.parametrize(("day", "written"), [
    (date(2026, 12, 1), "1 december 2026"),
    (date(2027, 5, 31), "31 mei 2027"),
    (date(2028, 2, 29), "29 februari 2028"),
])
def test_dates_are_written_in_dutch_whatever_the_active_language(day, written):
    with translation.override("en"):
        assert dutch_date(day) == written


def test_url_fetcher_serves_the_shipped_font():
    font = Path(settings.STATICFILES_DIRS[0]).resolve() / "fonts" / "DejaVuSans.ttf"

    fetched = static_only_url_fetcher(font.as_uri())

    assert fetched["string"] == font.read_bytes()


@pytest.mark.parametrize("url", [
    "https://example.org/logo.png",
    "http://127.0.0.1:8000/static/letters/letter.css",
    "file:///etc/passwd",
    "data:text/css,body{}",
])
def test_url_fetcher_refuses_anything_outside_the_static_folder(url):
    with pytest.raises(ResourceRefused):
        static_only_url_fetcher(url)


def test_url_fetcher_refuses_to_climb_out_of_the_static_folder():
    static = Path(settings.STATICFILES_DIRS[0]).resolve()

    with pytest.raises(ResourceRefused):
        static_only_url_fetcher(static.as_uri() + "/../pyproject.toml")


# --- Development preview --------------------------------------------------------------------


@pytest.fixture
def queued_letter(db):
    newcomer = newcomer_obliged_since(obligation_start=date(2024, 3, 15), regime=Regime.WI2021)
    return Letter.objects.get(newcomer=newcomer, kind=LetterKind.START_DATE)


@pytest.fixture
def duo_staff(django_user_model):
    return django_user_model.objects.create_user(email="medewerker@duo.example", password="x" * 16,
                                                 role="duo_staff")


def preview_url(letter):
    return reverse("letter_preview", args=[letter.public_id])


def test_preview_shows_duo_staff_the_letter_before_it_is_issued(client, settings, queued_letter, duo_staff):
    settings.DEBUG = True
    log_in_with_mfa(client, duo_staff)

    response = client.get(preview_url(queued_letter))

    assert response.status_code == 200
    assert queued_letter.reference in response.text
    assert "15 maart 2024" in response.text
    assert "letters/letter.css" in response.text
    assert BSN not in response.text


def test_preview_is_closed_to_newcomers(client, settings, queued_letter, django_user_model):
    settings.DEBUG = True
    client.force_login(account_for(queued_letter.newcomer), backend=DIGID_BACKEND)

    assert client.get(preview_url(queued_letter)).status_code == 403


def test_preview_asks_staff_for_the_second_factor_first(client, settings, queued_letter, duo_staff):
    settings.DEBUG = True
    log_in_with_mfa(Client(), duo_staff)  # has an authenticator (used in another session)
    client.force_login(duo_staff, backend=STAFF_BACKEND)  # this session: password only

    response = client.get(preview_url(queued_letter))

    assert response.status_code == 302 and reverse("mfa_reauthenticate") in response["Location"]


def test_preview_does_not_exist_without_debug(client, settings, queued_letter, duo_staff):
    settings.DEBUG = False
    log_in_with_mfa(client, duo_staff)

    assert client.get(preview_url(queued_letter)).status_code == 404
