"""The companion page of a letter ("what this letter says") states the same dates as the Dutch
PDF, in the person's language: each date on the page is a <time datetime>, and the dates in the
PDF's text (pdftotext) are the same days, plus the last day to object (6 weeks after the letter
date), which the letter says in words."""

import io
import re
import shutil
import subprocess
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse

from integration.models import Newcomer
from letters.models import Letter, LetterKind, LetterStatus
from portal.accounts.backends import DIGID_BACKEND
from portal.demo.personas import persona_by_key
from portal.digid.linking import account_for

from . import newcomer_cases as cases

pytestmark = [pytest.mark.django_db,
              pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is needed")]

DUTCH_MONTHS = ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september",
                "oktober", "november", "december"]
DUTCH_DATE = re.compile(r"\b(\d{1,2}) (" + "|".join(DUTCH_MONTHS) + r") (\d{4})\b")
TIME_TAG = re.compile(r'<time datetime="(\d{4}-\d{2}-\d{2})">')


def pdf_dates(letter: Letter) -> set[date]:
    with letter.pdf.open("rb") as pdf:
        text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf.read(), capture_output=True,
                              check=True).stdout.decode()
    text = re.sub(r"\s+", " ", text)
    return {date(int(year), DUTCH_MONTHS.index(month) + 1, int(day)) for day, month, year in DUTCH_DATE.findall(text)}


def companion(person: Newcomer, letter: Letter, language: str) -> str:
    client = cases.client_in(language)
    client.force_login(account_for(person), backend=DIGID_BACKEND)
    response = client.get(reverse("newcomer:letter_companion", args=[letter.public_id]))
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def demo():
    call_command("demo_data", stdout=io.StringIO())


def test_the_companion_page_states_the_dates_of_the_pdf(demo):
    # A WI2021 letter and invitations (Tigrinya), a WI2013 letter whose period ended (Pashto),
    # an invitation to an interview held (Somali).
    for key, language in [("issued", "ti"), ("wi2013", "ps"), ("intake_held", "so")]:
        person = Newcomer.objects.get(bsn=persona_by_key(key).bsn)
        letters = list(Letter.objects.filter(newcomer=person, status=LetterStatus.ISSUED))
        assert letters, key
        check_companions(person, letters, language)


def check_companions(person, letters, language):
    for letter in letters:
        page = companion(person, letter, language)
        assert f'<html lang="{language}"' in page
        on_page = {date.fromisoformat(day) for day in TIME_TAG.findall(page)}
        in_pdf = pdf_dates(letter)
        deadline = letter.letter_date + timedelta(weeks=6)
        objectionable = letter.kind in (LetterKind.START_DATE, LetterKind.PERIOD)
        assert on_page == in_pdf | ({deadline} if objectionable else set()), (letter.kind, on_page, in_pdf)
        if letter.kind == LetterKind.START_DATE:
            assert letter.start_date in on_page and letter.letter_date in on_page


def test_the_letters_list_links_each_letter_to_its_companion_next_to_the_pdf():
    person = cases.ready(ready_days_ago=20)
    letter = cases.issue_start_letter(person)
    client = cases.client_in("ti")
    client.force_login(account_for(person), backend=DIGID_BACKEND)

    page = client.get(reverse("newcomer:letters")).content.decode()

    assert reverse("newcomer:letter_companion", args=[letter.public_id]) in page
    assert reverse("newcomer:letter_download", args=[letter.public_id]) in page


def test_nobody_else_reads_a_letter_s_companion():
    person = cases.ready(ready_days_ago=20)
    letter = cases.issue_start_letter(person)
    other = cases.newcomer("Other", "Person")
    client = cases.client_in("en")
    client.force_login(account_for(other), backend=DIGID_BACKEND)

    assert client.get(reverse("newcomer:letter_companion", args=[letter.public_id])).status_code == 404
