"""The nine languages: the switcher names each in itself, a logged-in newcomer's choice is kept as
their preferred language (pages after the next login, e-mails), and staff pages stay Dutch and
English."""

import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation

from integration.models import Newcomer
from portal.accounts.models import Role, User
from tests.conftest import log_in_with_mfa

from . import newcomer_cases as cases

pytestmark = pytest.mark.django_db

NINE = ["nl", "en", "es", "fa", "ti", "so", "ar", "prs", "ps"]
RIGHT_TO_LEFT = {"ar", "fa", "prs", "ps"}
OWN_NAMES = {"nl": "Nederlands", "en": "English", "es": "español", "fa": "فارسی", "ti": "ትግርኛ",
             "so": "Soomaali", "ar": "العربيّة", "prs": "دری", "ps": "پښتو"}
SWITCH_BUTTON = re.compile(r'<button class="portal-language__button" type="submit" name="language" '
                           r'value="([a-z]+)" lang="([a-z]+)" dir="(rtl|ltr)"( aria-current="true")?>([^<]+)</button>')


def switch_buttons(page: str) -> list[tuple[str, str, str, bool, str]]:
    return [(value, lang, direction, bool(current), name)
            for value, lang, direction, current, name in SWITCH_BUTTON.findall(page)]


def html_tag(page: str) -> str:
    return re.search(r"<html [^>]*>", page).group(0)


def test_settings_offer_the_nine_languages_and_django_knows_each_with_its_direction():
    assert [code for code, _name in settings.LANGUAGES] == NINE
    for code in NINE:
        info = translation.get_language_info(code)
        assert info["bidi"] == (code in RIGHT_TO_LEFT), code
        with translation.override(code):
            assert translation.get_language_bidi() == (code in RIGHT_TO_LEFT), code


@pytest.mark.parametrize("language", NINE)
def test_every_language_has_its_page_language_and_direction(language):
    page = cases.client_in(language).get(reverse("start")).content.decode()

    direction = "rtl" if language in RIGHT_TO_LEFT else "ltr"
    assert html_tag(page).startswith(f'<html lang="{language}" dir="{direction}"')
    buttons = switch_buttons(page)
    assert [button[0] for button in buttons] == NINE
    for value, lang, button_direction, current, name in buttons:
        assert lang == value and name == OWN_NAMES[value]
        assert button_direction == ("rtl" if value in RIGHT_TO_LEFT else "ltr")
        assert current == (value == language)
    # The closed switcher still says which language this is, in that language.
    summary = re.search(r'<summary class="portal-language__toggle">(.*?)</summary>', page, re.S).group(1)
    assert f'lang="{language}" dir="{direction}">{OWN_NAMES[language]}</span>' in summary


def test_a_newcomer_sees_their_preferred_language_after_logging_in_whatever_the_browser_says():
    person = cases.newcomer()
    Newcomer.objects.filter(pk=person.pk).update(preferred_language="ti")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")

    client.post(reverse("digid_login"), {"bsn": person.bsn})
    page = client.get(reverse("newcomer:overview")).content.decode()

    assert html_tag(page).startswith('<html lang="ti" dir="ltr"')


def test_choosing_a_language_while_logged_in_is_stored_as_the_preferred_language():
    person = cases.newcomer()
    client = Client()
    client.post(reverse("digid_login"), {"bsn": person.bsn})

    client.post(reverse("set_language"), {"language": "ps", "next": reverse("newcomer:overview")})

    person.refresh_from_db()
    assert person.preferred_language == "ps"
    # The next login, in another browser with no choice made, opens in Pashto, right to left.
    other = Client(HTTP_ACCEPT_LANGUAGE="nl")
    other.post(reverse("digid_login"), {"bsn": person.bsn})
    assert html_tag(other.get(reverse("newcomer:steps")).content.decode()).startswith('<html lang="ps" dir="rtl"')


def test_a_language_chosen_before_logging_in_becomes_the_preferred_language():
    person = cases.newcomer()
    client = Client()
    client.post(reverse("set_language"), {"language": "so", "next": reverse("digid_login")})

    client.post(reverse("digid_login"), {"bsn": person.bsn})

    person.refresh_from_db()
    assert person.preferred_language == "so"


def test_staff_pages_stay_dutch_or_english_and_offer_only_those_two(utrecht):
    officer = User.objects.create_user(email="ambtenaar@utrecht.example", password="correct horse battery",
                                       role=Role.MUNICIPAL_OFFICER, municipality=utrecht)
    client = Client(HTTP_ACCEPT_LANGUAGE="ar")
    log_in_with_mfa(client, officer)

    page = client.get(reverse("municipality:work_list")).content.decode()
    assert html_tag(page).startswith('<html lang="nl" dir="ltr"')
    assert [button[0] for button in switch_buttons(page)] == ["nl", "en"]

    client.post(reverse("set_language"), {"language": "ti", "next": "/gemeente/"})
    assert html_tag(client.get(reverse("municipality:work_list")).content.decode()).startswith('<html lang="nl"')
    client.post(reverse("set_language"), {"language": "en", "next": "/gemeente/"})
    assert html_tag(client.get(reverse("municipality:work_list")).content.decode()).startswith('<html lang="en"')


def test_the_e_mails_follow_the_language_the_newcomer_chose():
    from letters.notifications import new_letter_email

    person = cases.newcomer()
    client = Client()
    client.post(reverse("digid_login"), {"bsn": person.bsn})
    client.post(reverse("set_language"), {"language": "ti", "next": reverse("newcomer:overview")})
    person.refresh_from_db()

    message = new_letter_email("amal@example.org", person.preferred_language)

    assert message.subject == "ኣብ Mijn Inburgering ሓድሽ ደብዳቤ ይጽበየኩም ኣሎ"
    assert "DigiD" in message.body and "Log in" not in message.body
