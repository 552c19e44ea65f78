"""The DigiD mock: demo-only, by name or BSN, and the BSN never leaks into URLs or the session."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from . import newcomer_cases as cases

pytestmark = pytest.mark.django_db

LOGIN = reverse("digid_login")
UNKNOWN_VALID_BSN = "111222333"


def test_login_page_is_labelled_as_a_demo_and_lists_people_by_name_only():
    person = cases.newcomer("Amal", "Haddad")
    cases.newcomer("Zonder", "Bsn", bsn_days_ago=None)

    page = Client(HTTP_ACCEPT_LANGUAGE="en").get(LOGIN).content.decode()

    assert "This is a demonstration, not the real DigiD." in page
    assert f'value="{person.public_id}"' in page and "Amal Haddad" in page
    assert person.bsn not in page
    assert "Zonder Bsn" not in page  # no BSN, so DigiD could not log them in


def test_typing_a_bsn_logs_the_person_in_and_creates_their_account():
    person = cases.newcomer()
    client = Client()

    response = client.post(LOGIN, {"bsn": person.bsn})

    assert response.status_code == 302 and response["Location"] == reverse("newcomer:overview")
    assert person.bsn not in response["Location"]
    user = get_user_model().objects.get(newcomer=person)
    assert user.role == "newcomer" and person.bsn not in user.username and not user.has_usable_password()
    assert client.get(reverse("newcomer:overview")).status_code == 200
    session = client.session
    assert all(person.bsn not in str(value) for value in session.values())


def test_picking_a_persona_logs_in_the_same_account_again():
    person = cases.newcomer()
    Client().post(LOGIN, {"persona": str(person.public_id)})
    Client().post(LOGIN, {"persona": str(person.public_id)})

    assert get_user_model().objects.filter(newcomer=person).count() == 1


def test_valid_bsn_without_record_gets_a_friendly_page_not_an_error():
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = client.post(LOGIN, {"bsn": UNKNOWN_VALID_BSN})

    assert response.status_code == 200
    assert "We have no integration record for you yet" in response.content.decode()
    assert client.get(reverse("newcomer:overview")).status_code == 302  # not logged in


def test_invalid_bsn_is_refused_without_repeating_it():
    response = Client(HTTP_ACCEPT_LANGUAGE="en").post(LOGIN, {"bsn": "123456789"})

    page = response.content.decode()
    assert response.status_code == 400  # the same as every refused form in the portal
    assert "fails the 11-check" in page
    assert 'aria-invalid="true"' in page
    assert page.count("123456789") <= 1  # only in the field the person typed it in


def test_staff_account_linked_to_a_newcomer_cannot_be_entered_through_digid(django_user_model):
    person = cases.newcomer()
    django_user_model.objects.create_user(email="medewerker@duo.example", password="x" * 16,
                                          role="duo_staff", newcomer=person)

    response = Client().post(LOGIN, {"bsn": person.bsn})

    assert response.status_code == 403


def test_mock_is_gone_when_switched_off(settings):
    settings.DIGID_MOCK_ENABLED = False

    assert Client().get(LOGIN).status_code == 404


def test_logout_ends_the_session():
    person = cases.newcomer()
    client = Client()
    client.post(LOGIN, {"bsn": person.bsn})

    client.post(reverse("log_out"))

    assert client.get(reverse("newcomer:overview")).status_code == 302
