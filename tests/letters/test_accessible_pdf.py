"""Every kind of letter is an archival PDF (PDF/A-2u) that assistive technology can read
(tagged after PDF/UA-1), checked with pikepdf and pypdf on the issued file, not with the
library that wrote it: the identification in the XMP metadata, the embedded fonts, the
document language, the title shown instead of the file name, and a structure tree that reads
in the right order with the address block, the reference column and the headings as such."""

from __future__ import annotations

import io
import re
from datetime import date, datetime, timedelta

import pikepdf
import pytest
from django.db import transaction
from django.utils import timezone

from integration import intakes, plans
from integration.choices import Regime, Route
from integration.models import IntakeKind
from letters import invitations
from letters.models import Letter, LetterStatus
from letters.rendering import dutch_date
from portal.accounts.models import Role, User
from tests.portal import newcomer_cases as cases

from .municipal_contact import with_contact_details
from .pdf_structure import marked_texts, structure_tree
from .test_rendering import issued_letter, newcomer_obliged_since

pytestmark = pytest.mark.django_db

SUBJECTS = {
    "start_date_wi2021": "Startdatum van uw inburgeringsplicht",
    "start_date_wi2013": "Startdatum van uw inburgeringsplicht",
    "invitation_interview": "Uitnodiging brede intake: gesprek",
    "invitation_lbt": "Uitnodiging brede intake: leerbaarheidstoets",
    "period": "Uw inburgeringstermijn",
}


def _officer(municipality):
    return User.objects.create_user(email="ambtenaar@utrecht.example", password="x" * 12,
                                    role=Role.MUNICIPAL_OFFICER, municipality=municipality)


def _future(days: int) -> datetime:
    return timezone.make_aware(datetime.combine(timezone.localdate() + timedelta(days=days),
                                                datetime.min.time())) + timedelta(hours=10)


def _invitation(kind, capture) -> Letter:
    person = cases.ready(ready_days_ago=30)
    utrecht = with_contact_details(cases.municipality())
    start = _future(10)
    appointment = intakes.schedule(newcomer=person, municipality=utrecht, kind=kind, starts_at=start,
                                   ends_at=start + timedelta(minutes=90), location="Stadskantoor, kamer 3.12",
                                   officer=_officer(utrecht))
    with capture(execute=True), transaction.atomic():
        return invitations.request_intake_invitation(appointment)


def _period_letter(capture) -> Letter:
    person = cases.ready(ready_days_ago=30)
    utrecht = with_contact_details(cases.municipality())
    officer = _officer(utrecht)
    held = intakes.schedule(newcomer=person, municipality=utrecht, kind=IntakeKind.INTERVIEW,
                            starts_at=_future(-5), ends_at=_future(-5) + timedelta(hours=1),
                            location="Stadskantoor, kamer 3.12", officer=officer)
    intakes.record_outcome(held, attended=True)
    with capture(execute=True), transaction.atomic():
        plans.write_first_plan(person, plan_date=timezone.localdate() - timedelta(days=1), route=Route.B1,
                               exams=["knm"], pvt_required=True, map_required=True, written_by=officer)
        letter, _ = invitations.request_period_letter(person)
    return letter


@pytest.fixture(params=list(SUBJECTS))
def letter(request, django_capture_on_commit_callbacks) -> Letter:
    capture = django_capture_on_commit_callbacks
    made = {
        "start_date_wi2021": lambda: issued_letter(
            newcomer_obliged_since(obligation_start=date(2024, 3, 15), regime=Regime.WI2021)),
        "start_date_wi2013": lambda: issued_letter(
            newcomer_obliged_since(obligation_start=date(2019, 5, 1), regime=Regime.WI2013)),
        "invitation_interview": lambda: _invitation(IntakeKind.INTERVIEW, capture),
        "invitation_lbt": lambda: _invitation(IntakeKind.LBT, capture),
        "period": lambda: _period_letter(capture),
    }[request.param]()
    made.refresh_from_db()
    assert made.status == LetterStatus.ISSUED, made.last_error
    made.subject = SUBJECTS[request.param]
    return made


def pdf_bytes(letter: Letter) -> bytes:
    with letter.pdf.open("rb") as handle:
        return handle.read()


# --- Archival and identified -----------------------------------------------------------------


def test_every_letter_is_identified_as_pdf_a_2u_and_pdf_ua_1(letter):
    with pikepdf.open(io.BytesIO(pdf_bytes(letter))) as pdf:
        metadata = pdf.open_metadata()
        assert metadata.pdfa_status == "2U"
        assert metadata["pdfuaid:part"] == "1"
        # PDF/A-2 allows the pdfuaid property only with its extension schema in the file.
        xmp = bytes(pdf.Root.Metadata.read_bytes()).decode()
        schema = re.search(r"<pdfaSchema:namespaceURI>(.*?)</pdfaSchema:namespaceURI>", xmp)
        assert schema and schema.group(1) == "http://www.aiim.org/pdfua/ns/id/"
        assert "<pdfaSchema:prefix>pdfuaid</pdfaSchema:prefix>" in xmp
        [intent] = pdf.Root.OutputIntents
        assert intent.S == "/GTS_PDFA1" and "/DestOutputProfile" in intent
        assert pdf.pdf_version == "1.7"


def test_every_letter_shows_its_title_and_says_it_is_dutch(letter):
    with pikepdf.open(io.BytesIO(pdf_bytes(letter))) as pdf:
        title = f"{letter.subject} – {letter.reference}"
        assert str(pdf.docinfo.Title) == title
        assert pdf.open_metadata()["dc:title"] == title
        assert pdf.Root.ViewerPreferences.DisplayDocTitle is True  # the title, not the file name
        assert str(pdf.Root.Lang) == "nl"


def test_every_letter_embeds_its_fonts_with_unicode_maps(letter):
    with pikepdf.open(io.BytesIO(pdf_bytes(letter))) as pdf:
        fonts = list(pdf.pages[0].Resources.Font.values())
        assert fonts
        for font in fonts:
            descendant = font.DescendantFonts[0] if "/DescendantFonts" in font else font
            assert "/FontFile2" in descendant.FontDescriptor, font.BaseFont
            assert "/ToUnicode" in font, font.BaseFont
            assert re.fullmatch(r"/[A-Z]{6}\+Letter-Sans(-Bold)?", str(font.BaseFont))


# --- Tagged -----------------------------------------------------------------------------------


def test_every_letter_is_tagged_with_all_its_text_in_the_structure_tree(letter):
    pdf = pdf_bytes(letter)
    with pikepdf.open(io.BytesIO(pdf)) as document:
        assert document.Root.MarkInfo.Marked is True
        assert "/StructTreeRoot" in document.Root
        page = document.pages[0].obj
        assert page.Tabs == "/S" and "/StructParents" in page
    texts, untagged = marked_texts(pdf)
    assert untagged == []  # every piece of text is content in the tree, or an artifact
    referenced = [mcid for node in structure_tree(pdf).walk() for mcid in node.mcids]
    assert sorted(referenced) == sorted(texts) and len(referenced) == len(set(referenced))


def test_every_letter_reads_sender_address_references_then_the_letter(letter):
    pdf = pdf_bytes(letter)
    texts, _ = marked_texts(pdf)
    [document] = structure_tree(pdf).children
    assert document.tag == "Document"
    letterhead, recipient, references, body = document.children
    assert [n.tag for n in document.children] == ["Div", "Div", "Sect", "Part"]
    assert "NonStruct" not in {node.tag for node in document.walk()}

    # The address block: the return address, then name, street and postcode line, as paragraphs.
    newcomer, registration = letter.newcomer, letter.newcomer.current_registration()
    return_address, address = recipient.children
    assert (return_address.tag, address.tag) == ("P", "P")
    assert return_address.text(texts).startswith("Retouradres ")
    assert address.text(texts) == (f"{newcomer.full_name} {registration.street} {registration.house_number} "
                                   f"{registration.postcode} {registration.town.upper()}")

    # The reference column: the sender, then each reference as a label and its value.
    column = references.text(texts)
    expected = f"Ons kenmerk {letter.reference} Datum {dutch_date(letter.letter_date)} Betreft {letter.subject}"
    assert column.endswith(expected)
    assert letterhead.text(texts) in column  # the sender's name opens the column too

    # The letter: the subject as the one H1, then the salutation; the sections under H2.
    headings = [node for node in body.walk() if node.tag in ("H1", "H2", "H3", "H4", "H5", "H6")]
    assert headings[0].tag == "H1" and headings[0].text(texts) == letter.subject
    assert [h.tag for h in headings[1:]] == ["H2"] * (len(headings) - 1) and len(headings) > 2
    assert body.children[1].text(texts) == f"Geachte {newcomer.full_name},"
