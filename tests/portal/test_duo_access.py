"""Only DUO staff and administrators who passed TOTP in this session get into /duo/."""

import time

import pytest
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.urls import reverse

from portal.accounts.backends import DIGID_BACKEND
from portal.accounts.models import Role, User
from portal.digid.linking import account_for
from tests.conftest import log_in_with_mfa

from . import newcomer_cases as cases

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
DUO_PAGES = [reverse("duo:overdue_list"), reverse("duo:dashboard"), reverse("duo:overdue_csv")]


def staff_user(role=Role.DUO_STAFF, email="medewerker@duo.example", *, with_totp=True, **extra) -> User:
    user = User.objects.create_user(email=email, password=PASSWORD, role=role, **extra)
    if with_totp:
        TOTP.activate(user, generate_totp_secret())
    return user


@pytest.mark.parametrize("url", DUO_PAGES)
def test_anonymous_visitor_is_sent_to_the_staff_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login") + "?next=")


@pytest.mark.parametrize("url", DUO_PAGES)
def test_newcomer_is_refused(client, url):
    person = cases.newcomer()
    client.force_login(account_for(person), backend=DIGID_BACKEND)
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("url", DUO_PAGES)
def test_municipal_officer_is_refused_even_with_mfa(client, url):
    officer = staff_user(Role.MUNICIPAL_OFFICER, "ambtenaar@utrecht.example", municipality=cases.municipality())
    log_in_with_mfa(client, officer)
    assert client.get(url).status_code == 403


def test_staff_without_an_authenticator_is_sent_to_set_up_totp_first(client):
    user = staff_user(with_totp=False)
    client.force_login(user)
    response = client.get(reverse("duo:overdue_list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_activate_totp"))


def test_staff_whose_session_skipped_the_second_factor_must_give_the_code(client):
    # force_login stands for any login that did not ask for the TOTP code (e.g. the admin's).
    client.force_login(staff_user())
    response = client.get(reverse("duo:overdue_list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_reauthenticate"))


@pytest.mark.parametrize("role", [Role.DUO_STAFF, Role.ADMINISTRATOR])
def test_staff_and_administrators_with_mfa_get_in(client, role):
    log_in_with_mfa(client, staff_user(role))
    for url in DUO_PAGES:
        assert client.get(url).status_code == 200, url


def test_real_login_with_password_and_totp_code_opens_the_workspace(client):
    user = staff_user(with_totp=False)
    secret = generate_totp_secret()
    TOTP.activate(user, secret)

    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    assert client.get(reverse("duo:overdue_list")).status_code == 302  # not logged in yet

    code = format_hotp_value(hotp_value(secret, int(time.time()) // 30))
    response = client.post(reverse("mfa_authenticate"), {"code": code})
    assert response.status_code == 302
    assert client.get(reverse("duo:overdue_list")).status_code == 200
