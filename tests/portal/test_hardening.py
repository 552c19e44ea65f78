"""Hardening around the logins: rate limits per client behind the proxy, an absolute session
lifetime, the Content-Security-Policy and Permissions-Policy on every page."""

import time

import pytest
from django.test import Client
from django.urls import reverse

from portal.accounts.backends import DIGID_BACKEND
from portal.accounts.models import Role
from portal.digid.linking import account_for
from portal.sessions import LOGGED_IN_AT_KEY

from . import newcomer_cases as cases

pytestmark = pytest.mark.django_db

PASSWORD = "een-heel-lang-wachtwoord-2026"


# --- Rate limits behind the TLS proxy -------------------------------------------------------


LOCKED = "Too many failed login attempts"


def failed_login(client, email, client_ip):
    # The proxy appends the address it saw; anything before it was sent by the client itself.
    return client.post(reverse("account_login"), {"login": email, "password": "wrong-password"},
                       HTTP_X_FORWARDED_FOR=f"203.0.113.99, {client_ip}", REMOTE_ADDR="10.0.0.2")


def test_one_client_behind_the_proxy_cannot_lock_out_the_others(settings, django_user_model):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    django_user_model.objects.create_user(email="medewerker@duo.example", password=PASSWORD, role=Role.DUO_STAFF)
    attacker, colleague = Client(HTTP_ACCEPT_LANGUAGE="en"), Client(HTTP_ACCEPT_LANGUAGE="en")

    for n in range(6):
        failed_login(attacker, f"iemand{n}@duo.example", "198.51.100.7")
    blocked = failed_login(attacker, "nog-iemand@duo.example", "198.51.100.7")
    colleague_login = colleague.post(reverse("account_login"),
                                     {"login": "medewerker@duo.example", "password": PASSWORD},
                                     HTTP_X_FORWARDED_FOR="198.51.100.8", REMOTE_ADDR="10.0.0.2")

    assert LOCKED in blocked.content.decode()
    assert colleague_login.status_code == 302  # same proxy address, another client: not locked out


def test_a_spoofed_forwarded_address_does_not_escape_the_limit(settings):
    """Only the address the proxy added counts: changing the part the client wrote changes nothing."""
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    for n in range(6):
        client.post(reverse("account_login"), {"login": f"a{n}@duo.example", "password": "x"},
                    HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, 198.51.100.7")

    response = client.post(reverse("account_login"), {"login": "b@duo.example", "password": "x"},
                           HTTP_X_FORWARDED_FOR="192.0.2.200, 198.51.100.7")

    assert LOCKED in response.content.decode()


# --- Absolute session lifetime --------------------------------------------------------------


def test_a_session_ends_twelve_hours_after_its_login_however_active(settings):
    settings.SESSION_ABSOLUTE_SECONDS = 12 * 3600
    client = Client()
    client.force_login(account_for(cases.ready("Amal", "Haddad", ready_days_ago=10)), backend=DIGID_BACKEND)
    assert client.get(reverse("newcomer:overview")).status_code == 200

    session = client.session
    session[LOGGED_IN_AT_KEY] = int(time.time()) - 12 * 3600 - 1
    session.save()

    response = client.get(reverse("newcomer:overview"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("digid_login"))


def test_a_session_within_its_lifetime_stays(settings):
    settings.SESSION_ABSOLUTE_SECONDS = 12 * 3600
    client = Client()
    client.force_login(account_for(cases.ready("Amal", "Haddad", ready_days_ago=10)), backend=DIGID_BACKEND)
    session = client.session
    session[LOGGED_IN_AT_KEY] = int(time.time()) - 11 * 3600
    session.save()

    assert client.get(reverse("newcomer:overview")).status_code == 200


# --- Content-Security-Policy and Permissions-Policy -----------------------------------------


@pytest.mark.parametrize("url", ["/", "/inloggen/", "/uitleg/drie-voorwaarden/", "/accounts/login/", "/uitgelogd/",
                                 "/bestaat-niet/"])
def test_every_page_carries_a_strict_content_security_policy(client, url):
    response = client.get(url)

    policy = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert directives["script-src"].startswith("'self' 'nonce-")
    assert directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
    assert "camera=()" in response["Permissions-Policy"] and "geolocation=()" in response["Permissions-Policy"]


def test_each_response_gets_its_own_nonce(client):
    first = client.get("/")["Content-Security-Policy"]
    second = client.get("/")["Content-Security-Policy"]
    assert first != second


def test_forms_may_post_to_the_digid_broker_and_nowhere_else(client, settings):
    from portal.digid.oidc import providers_from_environment

    settings.SOCIALACCOUNT_PROVIDERS = providers_from_environment({
        "DIGID_OIDC_SERVER_URL": "https://broker.example/oidc", "DIGID_OIDC_CLIENT_ID": "portal",
        "DIGID_OIDC_CLIENT_SECRET": "secret"})

    policy = client.get("/")["Content-Security-Policy"]

    assert "form-action 'self' https://broker.example;" in policy + ";"


def test_no_page_has_an_inline_script_or_style_attribute(client):
    for url in ("/", "/inloggen/", "/accounts/login/", "/uitgelogd/"):
        body = client.get(url).content.decode()
        assert "<script>" not in body and " style=" not in body, url
