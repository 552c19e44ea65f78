"""A newcomer sees only their own data and letters; everyone else is kept out."""

import pytest
from django.test import Client
from django.urls import URLPattern, reverse

from portal.accounts.backends import DIGID_BACKEND
from portal.digid.linking import account_for
from portal.newcomer import urls as newcomer_urls

from . import newcomer_cases as cases

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_people():
    amal = cases.ready("Amal", "Haddad", ready_days_ago=10)
    cases.issue_start_letter(amal)
    yosef = cases.ready("Yosef", "Tesfay", ready_days_ago=70)
    yosef_letter = cases.issue_start_letter(yosef)
    cases.intake(yosef, on=cases.days_from_now(4), location="Spreekkamer Yosef")
    return amal, yosef, yosef_letter


def every_newcomer_url(letter):
    """Every page under /mijn-inburgering/, a letter id filled in where the URL takes one."""
    for pattern in newcomer_urls.urlpatterns:
        assert isinstance(pattern, URLPattern)
        kwargs = {"public_id": letter.public_id} if "public_id" in pattern.pattern.converters else {}
        yield reverse(f"newcomer:{pattern.name}", kwargs=kwargs), bool(kwargs)


def test_a_newcomer_never_sees_another_persons_name_or_letter(two_people):
    amal, yosef, yosef_letter = two_people
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(account_for(amal), backend=DIGID_BACKEND)

    for url, names_a_letter in every_newcomer_url(yosef_letter):
        response = client.get(url)
        if names_a_letter:
            assert response.status_code == 404, url  # not 403: do not reveal that it exists
        else:
            assert response.status_code == 200, url
            body = response.content.decode()
            assert "Yosef" not in body and yosef_letter.reference not in body, url


def test_own_letter_is_listed_and_downloads_as_a_pdf_named_after_the_reference(two_people):
    amal = two_people[0]
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(account_for(amal), backend=DIGID_BACKEND)
    letter = amal.letters.get()

    listing = client.get(reverse("newcomer:letters")).content.decode()
    response = client.get(reverse("newcomer:letter_download", args=[letter.public_id]))

    assert letter.reference in listing
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{letter.reference}.pdf"'
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert amal.bsn not in response["Content-Disposition"]


def test_anonymous_visitor_is_sent_to_the_digid_login(two_people):
    for url, _ in every_newcomer_url(two_people[2]):
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("digid_login") + "?next=")


def test_staff_account_cannot_open_newcomer_pages(two_people, django_user_model):
    staff = django_user_model.objects.create_user(email="medewerker@duo.example", password="x" * 16,
                                                  role="duo_staff")
    client = Client()
    client.force_login(staff)
    for url, _ in every_newcomer_url(two_people[2]):
        assert client.get(url).status_code == 403


def test_no_bsn_appears_in_any_newcomer_url_or_page(two_people):
    amal, _, letter = two_people
    client = Client()
    client.force_login(account_for(amal), backend=DIGID_BACKEND)
    for url, _ in every_newcomer_url(amal.letters.get()):
        assert amal.bsn not in url
        response = client.get(url)
        if response["Content-Type"].startswith("text/html"):
            assert amal.bsn not in response.content.decode()
