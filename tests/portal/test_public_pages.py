"""The public pages: reachable without logging in, one heading, a way in, in every language."""

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

PUBLIC_PAGES = ["start", "explain_conditions", "explain_eight_weeks", "digid_login"]


@pytest.mark.parametrize("name", PUBLIC_PAGES)
@pytest.mark.parametrize("language", ["nl", "en", "ar"])
def test_public_page_has_one_heading_a_skip_link_and_the_language_switch(name, language):
    page = Client(HTTP_ACCEPT_LANGUAGE=language).get(reverse(name)).content.decode()

    assert page.count("<h1") == 1
    assert f'<html lang="{language}" dir="{"rtl" if language == "ar" else "ltr"}"' in page
    assert 'href="#main"' in page and 'id="main"' in page
    assert f'action="{reverse("set_language")}"' in page and 'method="post"' in page


def test_start_page_explains_the_portal_and_links_to_login_and_the_explainers():
    page = Client(HTTP_ACCEPT_LANGUAGE="en").get(reverse("start")).content.decode()

    assert f'href="{reverse("digid_login")}"' in page
    assert f'href="{reverse("explain_conditions")}"' in page
    assert f'href="{reverse("explain_eight_weeks")}"' in page
    assert "Log out" not in page  # only shown to someone logged in


def test_switching_language_sticks_for_the_next_page():
    client = Client()
    client.post(reverse("set_language"), {"language": "en", "next": "/"})

    assert "Log in with DigiD" in client.get(reverse("start")).content.decode()


def test_language_switch_names_each_language_in_that_language():
    """Someone who cannot read Dutch must still find their own language on a Dutch page."""
    page = Client(HTTP_ACCEPT_LANGUAGE="nl").get(reverse("start")).content.decode()

    assert 'lang="en" dir="ltr">English</button>' in page
    assert 'lang="ar" dir="rtl">العربيّة</button>' in page
    assert "Engels" not in page
