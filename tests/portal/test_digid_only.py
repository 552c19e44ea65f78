"""DigiD is the only way into a newcomer's data.

A newcomer account never gets a password or an e-mail address, no allauth page works for a
newcomer's session, the staff login form never logs a newcomer in, and nobody can sign up.
"""

import re

import pytest
from allauth.account.forms import default_token_generator
from allauth.account.models import EmailAddress
from allauth.account.utils import user_pk_to_url_str
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from portal.accounts.adapter import PortalAccountAdapter
from portal.accounts.backends import DIGID_BACKEND, STAFF_BACKEND, StaffPasswordBackend
from portal.accounts.middleware import NEWCOMER_ALLOWED_ALLAUTH_VIEWS, is_allauth_view
from portal.accounts.models import Role
from portal.digid.linking import account_for
from tests.conftest import log_in_with_mfa

from . import newcomer_cases as cases

pytestmark = pytest.mark.django_db

PASSWORD = "een-heel-lang-wachtwoord-2026"
# Values for the URL parameters of allauth's pages.
URL_KWARGS = {"key": "abc-def", "uidb36": "1", "provider_id": "digid"}


def allauth_urls():
    """(url name, path) of every page allauth serves, as the URL configuration holds them."""

    def walk(patterns, groups=()):
        for pattern in patterns:
            names = (*groups, *pattern.pattern.regex.groupindex)
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, names)
            elif isinstance(pattern, URLPattern) and pattern.name and is_allauth_view(pattern.callback):
                yield pattern.name, reverse(pattern.name, kwargs={name: URL_KWARGS[name] for name in names})

    return sorted(set(walk(get_resolver().url_patterns)))


@pytest.fixture
def newcomer_client():
    person = cases.ready("Amal", "Haddad", ready_days_ago=10)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(account_for(person), backend=DIGID_BACKEND)
    return client, account_for(person)


def test_the_matrix_covers_every_allauth_page():
    names = {name for name, _ in allauth_urls()}
    # The pages the blocker was about, and then some: if allauth renames them this test says so.
    assert {"account_set_password", "account_change_password", "account_email", "account_login",
            "account_signup", "account_reset_password", "account_reset_password_from_key",
            "mfa_activate_totp", "socialaccount_connections"} <= names
    assert len(names) >= 30


@pytest.mark.parametrize("method", ["get", "post"])
def test_every_allauth_page_refuses_a_newcomer_session(newcomer_client, method):
    client, user = newcomer_client
    for name, url in allauth_urls():
        if name in NEWCOMER_ALLOWED_ALLAUTH_VIEWS:
            continue
        data = {"password1": PASSWORD, "password2": PASSWORD, "email": "amal@example.org", "action_add": ""}
        response = getattr(client, method)(url, data) if method == "post" else client.get(url)
        assert response.status_code == 403, (name, url, response.status_code)
    user.refresh_from_db()
    assert not user.has_usable_password() and user.email is None
    assert not EmailAddress.objects.filter(user=user).exists()
    # Still logged in as themselves: the refusal did not end or change the session.
    assert client.get(reverse("newcomer:overview")).status_code == 200


def test_setting_a_password_and_an_email_after_a_digid_login_is_refused(newcomer_client):
    client, user = newcomer_client

    set_password = client.post(reverse("account_set_password"), {"password1": PASSWORD, "password2": PASSWORD})
    add_email = client.post(reverse("account_email"), {"email": "amal@example.org", "action_add": ""})

    assert (set_password.status_code, add_email.status_code) == (403, 403)
    user.refresh_from_db()
    assert not user.has_usable_password() and user.email is None
    # And the staff login form does not open Mijn Inburgering with those values.
    anonymous = Client()
    anonymous.post(reverse("account_login"), {"login": "amal@example.org", "password": PASSWORD})
    assert anonymous.get(reverse("newcomer:overview")).status_code == 302


def test_the_database_refuses_a_password_or_an_email_address_for_a_newcomer_account():
    user = account_for(cases.ready("Amal", "Haddad", ready_days_ago=10))
    User = get_user_model()

    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=user.pk).update(password=make_password(PASSWORD))
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=user.pk).update(email="amal@example.org")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user(email="nieuw@example.org", password=PASSWORD)  # role defaults to newcomer


def test_the_account_adapter_never_sets_a_newcomers_password():
    user = account_for(cases.ready("Amal", "Haddad", ready_days_ago=10))

    with pytest.raises(PermissionDenied) as refused:
        PortalAccountAdapter().set_password(user, PASSWORD)

    assert "DigiD" in str(refused.value)
    user.refresh_from_db()
    assert not user.has_usable_password()


def test_a_password_reset_key_for_a_newcomer_account_cannot_set_a_password():
    user = account_for(cases.ready("Amal", "Haddad", ready_days_ago=10))
    key = default_token_generator.make_token(user)
    url = reverse("account_reset_password_from_key", kwargs={"uidb36": user_pk_to_url_str(user), "key": key})
    client = Client()

    page = client.get(url, follow=True)
    response = client.post(page.redirect_chain[-1][0] if page.redirect_chain else url,
                           {"password1": PASSWORD, "password2": PASSWORD})

    assert response.status_code == 403
    user.refresh_from_db()
    assert not user.has_usable_password()


def test_a_session_opened_with_the_password_backend_never_carries_a_newcomer():
    user = account_for(cases.ready("Amal", "Haddad", ready_days_ago=10))
    client = Client()
    client.force_login(user, backend=STAFF_BACKEND)

    assert client.get(reverse("newcomer:overview")).status_code == 302  # sent to log in with DigiD
    assert not StaffPasswordBackend().user_can_authenticate(user)


def test_a_digid_session_never_carries_a_staff_account(django_user_model):
    staff = django_user_model.objects.create_user(email="medewerker@duo.example", password=PASSWORD,
                                                  role=Role.DUO_STAFF)
    client = Client()
    client.force_login(staff, backend=DIGID_BACKEND)

    response = client.get(reverse("duo:overdue_list"))

    assert response.status_code == 302 and reverse("account_login") in response["Location"]


def test_staff_still_log_in_with_email_and_password(django_user_model):
    django_user_model.objects.create_user(email="medewerker@duo.example", password=PASSWORD, role=Role.DUO_STAFF)
    client = Client()

    response = client.post(reverse("account_login"), {"login": "medewerker@duo.example", "password": PASSWORD})

    assert response.status_code == 302
    # Without an authenticator the first stop is setting one up, then the DUO workspace.
    assert response["Location"].startswith(reverse("mfa_activate_totp"))
    assert "next=%2Fduo%2F" in response["Location"]


# --- Closed sign-up -------------------------------------------------------------------------


def test_nobody_can_sign_up(django_user_model):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    before = django_user_model.objects.count()

    for email in ("een@example.org", "twee@example.org"):
        response = client.post(reverse("account_signup"),
                               {"email": email, "password1": PASSWORD, "password2": PASSWORD})
        assert response.status_code == 200
        assert "closed" in response.content.decode().lower()

    assert django_user_model.objects.count() == before


def test_no_page_links_to_sign_up(client):
    for url in (reverse("start"), reverse("digid_login"), reverse("account_login"),
                reverse("account_reset_password")):
        body = client.get(url).content.decode()
        assert reverse("account_signup") not in body, url


# --- Staff accounts: created by an administrator, invited, TOTP at the first login ------------


@pytest.fixture
def administrator(client, django_user_model):
    admin = django_user_model.objects.create_superuser(email="beheer@duo.example", password=PASSWORD)
    log_in_with_mfa(client, admin)
    return admin


def test_an_invited_officer_chooses_a_password_then_must_set_up_totp(client, administrator, django_user_model,
                                                                     django_capture_on_commit_callbacks):
    utrecht = cases.municipality()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:accounts_user_add"), {
            "email": "Nieuw@Utrecht.example", "first_name": "Nina", "last_name": "de Vries",
            "role": Role.MUNICIPAL_OFFICER, "municipality": utrecht.pk})
    assert response.status_code == 302
    officer = django_user_model.objects.get(email="Nieuw@utrecht.example")
    assert not officer.has_usable_password()

    [invitation] = mail.outbox
    assert invitation.to == ["Nieuw@utrecht.example"] and invitation.extra_headers["Auto-Submitted"] == "auto-generated"
    link = re.search(r"https?://\S+", invitation.body).group(0)
    path = link.split("://", 1)[1].split("/", 1)[1]

    person = Client(HTTP_ACCEPT_LANGUAGE="en")
    form = person.get("/" + path, follow=True)
    set_password = person.post(form.redirect_chain[-1][0], {"password1": PASSWORD, "password2": PASSWORD})
    assert set_password.status_code == 302
    officer.refresh_from_db()
    assert officer.has_usable_password()

    login = person.post(reverse("account_login"), {"login": "nieuw@utrecht.example", "password": PASSWORD})
    assert login["Location"].startswith(reverse("mfa_activate_totp"))
    # The set-up asks for the first authenticator code, not for the password just typed.
    activation = person.get(login["Location"])
    assert activation.status_code == 200
    assert 'name="code"' in activation.content.decode() and 'name="password"' not in activation.content.decode()
    # Every staff page insists on the authenticator first.
    work_list = person.get(reverse("municipality:work_list"))
    assert work_list.status_code == 302 and work_list["Location"].startswith(reverse("mfa_activate_totp"))
    # The link works once.
    again = person.get("/" + path, follow=True)
    assert b"password1" not in again.content


def test_the_admin_cannot_create_a_newcomer_account_or_give_one_a_password(client, administrator):
    add_page = client.get(reverse("admin:accounts_user_add")).content.decode()
    assert f'value="{Role.NEWCOMER.value}"' not in add_page

    newcomer_account = account_for(cases.ready("Amal", "Haddad", ready_days_ago=10))
    response = client.post(reverse("admin:auth_user_password_change", args=[newcomer_account.pk]),
                           {"password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 302
    newcomer_account.refresh_from_db()
    assert not newcomer_account.has_usable_password()


# --- The allauth URL × role matrix ------------------------------------------------------------


def test_the_allauth_pages_by_role(django_user_model):
    """Newcomers: refused everywhere but the DigiD login. Staff: their account pages work.
    Everyone: sign-up is closed. Nobody: a server error."""
    from django.core.management import call_command

    call_command("demo_data", verbosity=0)
    newcomer = Client()
    newcomer.force_login(account_for(cases.ready("Amal", "Haddad", ready_days_ago=10)), backend=DIGID_BACKEND)
    roles = {"anonymous": Client(), "newcomer": newcomer}
    for email in ("duo@inburgering.example", "utrecht@inburgering.example", "beheer@inburgering.example"):
        roles[email] = log_in_with_mfa(Client(), django_user_model.objects.get(email=email))

    for role, client in roles.items():
        for name, url in allauth_urls():
            status = client.get(url).status_code
            assert status < 500, (role, name, status)
            if role == "newcomer" and name not in NEWCOMER_ALLOWED_ALLAUTH_VIEWS:
                assert status == 403, (role, name, status)
        signup = client.post(reverse("account_signup"), {"email": "x@example.org", "password1": PASSWORD,
                                                         "password2": PASSWORD})
        assert signup.status_code in (200, 302, 403), role  # closed page, or sent away when logged in
        if role.endswith(".example"):
            assert client.get(reverse("account_change_password")).status_code == 200, role
            assert client.get(reverse("mfa_index")).status_code == 200, role
    assert not django_user_model.objects.filter(email="x@example.org").exists()
