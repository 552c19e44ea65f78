"""DigiD through an OpenID Connect broker: the whole allauth login, with the broker answered
in-process (no network), and the configuration and system checks around it."""

import json
import time
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests
from allauth.socialaccount.models import SocialAccount
from allauth.socialaccount.providers import registry
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.urls import reverse

from portal.digid import checks, oidc
from portal.digid.adapter import DigiDOpenIDConnectProvider, DigiDSocialAccountAdapter

from . import newcomer_cases as cases

BROKER = "https://broker.example"
BROKER_ENV = {
    "DIGID_OIDC_SERVER_URL": BROKER,
    "DIGID_OIDC_CLIENT_ID": "mijn-inburgering",
    "DIGID_OIDC_CLIENT_SECRET": "broker-secret",
}
# allauth need not check the signature of an ID token it fetched itself over TLS.
BROKER_SIGNING_KEY = "the-broker-signs-with-a-key-of-32-bytes-or-more"
UNKNOWN_VALID_BSN = "111222333"
CALLBACK = reverse("openid_connect_callback", kwargs={"provider_id": oidc.PROVIDER_ID})


class FakeBroker(requests.adapters.BaseAdapter):
    """The broker's discovery, token and userinfo endpoints, answered in-process."""

    def __init__(self, id_token_claims, userinfo):
        super().__init__()
        self.id_token_claims, self.userinfo = id_token_claims, userinfo
        self.nonce = None  # echoed in the ID token, as a broker does with the request's nonce

    def _body(self, path):
        if path == "/.well-known/openid-configuration":
            return {"issuer": BROKER, "authorization_endpoint": f"{BROKER}/authorize",
                    "token_endpoint": f"{BROKER}/token", "userinfo_endpoint": f"{BROKER}/userinfo",
                    "jwks_uri": f"{BROKER}/jwks", "token_endpoint_auth_methods_supported": ["client_secret_post"]}
        if path == "/token":
            now = int(time.time())
            claims = {"iss": BROKER, "aud": BROKER_ENV["DIGID_OIDC_CLIENT_ID"], "iat": now, "exp": now + 300,
                      "acr": "urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorContract",
                      "nonce": self.nonce, **self.id_token_claims}
            return {"access_token": "access", "token_type": "Bearer", "expires_in": 300,
                    "id_token": jwt.encode(claims, BROKER_SIGNING_KEY, algorithm="HS256")}
        if path == "/userinfo":
            return self.userinfo
        raise AssertionError(f"unexpected call to the broker: {path}")

    def send(self, request, **kwargs):
        response = requests.Response()
        response.status_code, response.url, response.request = 200, request.url, request
        response._content = json.dumps(self._body(urlsplit(request.url).path)).encode()
        response.headers["Content-Type"] = "application/json"
        return response

    def close(self):
        pass


@pytest.fixture
def digid(settings, monkeypatch):
    """Log in through the broker; returns the client after the broker sent the given claims."""

    def configure(**environment):
        settings.SOCIALACCOUNT_PROVIDERS = oidc.providers_from_environment({**BROKER_ENV, **environment})

    def start(client, broker, **form):
        """Press "Log in with DigiD"; returns the state the broker hands back on the callback."""

        def broker_session(self):
            session = requests.Session()
            session.mount(BROKER, broker)
            return session

        monkeypatch.setattr(DigiDSocialAccountAdapter, "get_requests_session", broker_session)
        to_broker = client.post(oidc.login_url(), form)
        assert to_broker.status_code == 302 and to_broker["Location"].startswith(f"{BROKER}/authorize")
        query = parse_qs(urlsplit(to_broker["Location"]).query)
        broker.nonce = query["nonce"][0]
        return query["state"][0]

    def log_in(*, id_token=None, userinfo=None, client=None, **form):
        client = client or Client(HTTP_ACCEPT_LANGUAGE="en")
        broker = FakeBroker(id_token or {"sub": "pseudonym-1"}, userinfo or {"sub": "pseudonym-1"})
        state = start(client, broker, **form)
        return client, client.get(CALLBACK, {"code": "one-time-code", "state": state})

    configure()
    log_in.configure, log_in.start = configure, start
    return log_in


def logged_in_user(client):
    user_id = client.session.get("_auth_user_id")
    return get_user_model().objects.get(pk=user_id) if user_id else None


# --- Logging in -------------------------------------------------------------------------------

@pytest.mark.django_db
def test_bsn_claim_logs_the_newcomer_into_their_own_account(digid, caplog):
    person = cases.newcomer()

    client, response = digid(userinfo={"sub": "pseudonym-1", "bsn": person.bsn})

    assert response.status_code == 302 and response["Location"] == reverse("newcomer:overview")
    user = logged_in_user(client)
    assert user.newcomer == person and user.username == f"digid-{person.public_id}"
    assert not user.has_usable_password() and not user.email
    assert client.get(reverse("newcomer:overview")).status_code == 200
    assert person.bsn not in caplog.text
    assert all(person.bsn not in str(value) for value in client.session.values())


@pytest.mark.django_db
def test_social_account_stores_a_hash_not_the_bsn_nor_personal_claims(digid):
    person = cases.newcomer()

    digid(userinfo={"bsn": person.bsn, "given_name": "Amal", "email": "amal@example.org"})

    account = SocialAccount.objects.get(user__newcomer=person)
    stored = account.uid + json.dumps(account.extra_data)
    assert person.bsn not in stored and "Amal" not in stored and "amal@example.org" not in stored
    assert account.extra_data["acr"].endswith("MobileTwoFactorContract")  # kept for audit


@pytest.mark.django_db
def test_logging_in_again_finds_the_same_accounts(digid):
    person = cases.newcomer()

    first, _ = digid(userinfo={"bsn": person.bsn})
    second, _ = digid(userinfo={"bsn": person.bsn})

    assert logged_in_user(first) == logged_in_user(second)
    assert SocialAccount.objects.count() == 1
    assert get_user_model().objects.filter(newcomer=person).count() == 1


@pytest.mark.django_db
def test_broker_prefix_on_sub_is_stripped(digid):
    digid.configure(DIGID_OIDC_BSN_CLAIM="sub", DIGID_OIDC_BSN_PREFIX="s00000000:")
    person = cases.newcomer()

    client, response = digid(id_token={"sub": f"s00000000:{person.bsn}"}, userinfo={"sub": f"s00000000:{person.bsn}"})

    assert response.status_code == 302
    assert logged_in_user(client).newcomer == person
    assert person.bsn not in SocialAccount.objects.get().uid


@pytest.mark.django_db
def test_bsn_only_in_the_id_token_is_found(digid):
    digid.configure(DIGID_OIDC_FETCH_USERINFO="false")
    person = cases.newcomer()

    client, _ = digid(id_token={"sub": "pseudonym-1", "bsn": person.bsn})

    assert logged_in_user(client).newcomer == person


@pytest.mark.django_db
@pytest.mark.parametrize("userinfo", [{"sub": "pseudonym-1"}, {"bsn": "123456789"}, {"bsn": "12345"}],
                         ids=["missing", "fails-11-check", "too-short"])
def test_missing_or_invalid_bsn_claim_is_refused_kindly_without_an_account(digid, userinfo, caplog):
    cases.newcomer()  # someone is in the register; nobody may be logged in as them by accident
    users_before = get_user_model().objects.count()

    client, response = digid(userinfo=userinfo)

    page = response.content.decode()
    assert response.status_code == 400
    assert "DigiD did not give us your citizen service number" in page
    assert userinfo.get("bsn", "no value") not in page + caplog.text
    assert logged_in_user(client) is None
    assert get_user_model().objects.count() == users_before and not SocialAccount.objects.exists()


@pytest.mark.django_db
def test_prefix_that_does_not_match_is_refused(digid):
    digid.configure(DIGID_OIDC_BSN_CLAIM="sub", DIGID_OIDC_BSN_PREFIX="s00000000:")
    person = cases.newcomer()

    client, response = digid(userinfo={"sub": f"eh00000000:{person.bsn}"})

    assert response.status_code == 400 and logged_in_user(client) is None


@pytest.mark.django_db
def test_valid_bsn_without_record_gets_the_friendly_page(digid):
    client, response = digid(userinfo={"bsn": UNKNOWN_VALID_BSN})

    page = response.content.decode()
    assert response.status_code == 200
    assert "We have no integration record for you yet" in page and UNKNOWN_VALID_BSN not in page
    assert logged_in_user(client) is None
    assert not SocialAccount.objects.exists() and not get_user_model().objects.exists()


@pytest.mark.django_db
def test_staff_account_is_never_logged_in_through_digid(digid, django_user_model):
    person = cases.newcomer()
    staff = django_user_model.objects.create_user(email="medewerker@duo.example", password="x" * 16,
                                                  role="duo_staff", newcomer=person)

    client, response = digid(userinfo={"bsn": person.bsn})

    assert response.status_code == 403
    assert "You cannot log in here with DigiD" in response.content.decode()
    assert logged_in_user(client) is None
    assert not SocialAccount.objects.filter(user=staff).exists()


@pytest.mark.django_db
def test_digid_while_logged_in_as_staff_does_not_connect_to_the_staff_account(digid, django_user_model):
    person = cases.newcomer()
    staff = django_user_model.objects.create_user(email="medewerker@duo.example", password="x" * 16,
                                                  role="duo_staff")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(staff, backend="portal.accounts.backends.StaffPasswordBackend")

    # "connect" would attach the DigiD login to whoever is logged in; DigiD only ever logs in.
    client, _ = digid(userinfo={"bsn": person.bsn}, client=client, process="connect")

    assert logged_in_user(client).newcomer == person  # the staff session was replaced, not extended
    assert not SocialAccount.objects.filter(user=staff).exists()


@pytest.mark.django_db
def test_cancelling_at_digid_shows_a_calm_page_not_an_error(digid):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    state = digid.start(client, FakeBroker({}, {}))

    response = client.get(CALLBACK, {"error": "access_denied", "state": state})

    assert response.status_code == 200
    assert "You stopped logging in with DigiD" in response.content.decode()
    assert logged_in_user(client) is None


# --- Configuration ----------------------------------------------------------------------------

def test_without_a_server_url_there_is_no_digid_app_but_the_provider_class_is_ours(settings):
    settings.SOCIALACCOUNT_PROVIDERS = oidc.providers_from_environment({})

    assert not oidc.is_configured() and oidc.login_url() is None
    assert settings.SOCIALACCOUNT_PROVIDERS["openid_connect"]["provider_class"] == oidc.PROVIDER_CLASS


def test_environment_builds_the_provider_with_defaults():
    app = oidc.providers_from_environment({**BROKER_ENV, "DIGID_OIDC_SCOPES": "profile, bsn"})[
        "openid_connect"]["APPS"][0]

    assert app["client_id"] == "mijn-inburgering" and app["secret"] == "broker-secret"
    assert app["settings"]["server_url"] == BROKER
    assert app["settings"]["scope"] == ["openid", "profile", "bsn"]
    assert app["settings"]["bsn_claim"] == "bsn" and app["settings"]["bsn_prefix"] == ""


def test_server_url_without_client_secret_stops_start_up():
    with pytest.raises(ImproperlyConfigured):
        oidc.providers_from_environment({"DIGID_OIDC_SERVER_URL": BROKER, "DIGID_OIDC_CLIENT_ID": "x"})


def test_allauth_uses_the_digid_provider_class():
    assert registry.get_class("openid_connect") is DigiDOpenIDConnectProvider


def test_account_uid_is_stable_per_person_and_keyed():
    assert oidc.account_uid("111222333") == oidc.account_uid("111 222 333")
    assert oidc.account_uid("111222333") != oidc.account_uid("123456782")
    assert "111222333" not in oidc.account_uid("111222333")


# --- System checks ----------------------------------------------------------------------------

def check_ids(*check_functions):
    return {message.id for check in check_functions for message in check(None)}


def test_production_without_digid_is_refused_at_deploy_and_warned_always(settings):
    settings.IS_PRODUCTION, settings.DIGID_MOCK_ENABLED = True, False
    settings.SOCIALACCOUNT_PROVIDERS = oidc.providers_from_environment({})

    assert check_ids(checks.production_has_digid, checks.newcomers_can_log_in) == {"portal.E002", "portal.W002"}


def test_production_with_digid_passes(settings):
    settings.IS_PRODUCTION, settings.DIGID_MOCK_ENABLED = True, False
    settings.SOCIALACCOUNT_PROVIDERS = oidc.providers_from_environment(BROKER_ENV)

    assert check_ids(checks.production_has_digid, checks.newcomers_can_log_in,
                     checks.digid_runs_through_our_adapter) == set()


def test_demo_with_the_mock_needs_no_oidc(settings):
    settings.IS_PRODUCTION, settings.DIGID_MOCK_ENABLED = False, True
    settings.SOCIALACCOUNT_PROVIDERS = oidc.providers_from_environment({})

    assert check_ids(checks.production_has_digid, checks.newcomers_can_log_in) == set()


def test_digid_through_allauths_default_adapter_is_an_error(settings):
    settings.SOCIALACCOUNT_PROVIDERS = oidc.providers_from_environment(BROKER_ENV)
    settings.SOCIALACCOUNT_ADAPTER = "allauth.socialaccount.adapter.DefaultSocialAccountAdapter"

    assert check_ids(checks.digid_runs_through_our_adapter) == {"portal.E004"}


@pytest.mark.django_db
def test_the_login_page_offers_only_the_digid_button_when_only_the_broker_is_configured(client, settings):
    settings.DIGID_MOCK_ENABLED = False
    settings.SOCIALACCOUNT_PROVIDERS = oidc.providers_from_environment(BROKER_ENV)
    response = client.get("/inloggen/")
    assert response.status_code == 200
    assert b"/accounts/oidc/digid/login/" in response.content
    assert b'name="bsn"' not in response.content  # no mock form


# --- Nonce and level of assurance -------------------------------------------------------------

@pytest.mark.django_db
def test_an_id_token_with_another_logins_nonce_is_refused(digid):
    person = cases.newcomer()

    client, response = digid(id_token={"nonce": "from-another-login"}, userinfo={"bsn": person.bsn})

    assert response.status_code == 400 and logged_in_user(client) is None


@pytest.mark.django_db
@pytest.mark.parametrize("acr", ["urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport",
                                 "urn:example:unknown-level", None], ids=["basis", "unknown", "missing"])
def test_a_login_below_digid_midden_is_refused_with_a_clear_page(digid, acr):
    person = cases.newcomer()

    client, response = digid(id_token={"acr": acr}, userinfo={"bsn": person.bsn})

    assert response.status_code == 403
    assert "Log in with the DigiD app or an SMS check" in response.content.decode()
    assert logged_in_user(client) is None and not SocialAccount.objects.exists()


@pytest.mark.django_db
def test_a_higher_level_than_the_minimum_is_accepted(digid):
    person = cases.newcomer()

    client, _ = digid(id_token={"acr": "urn:oasis:names:tc:SAML:2.0:ac:classes:Smartcard"},
                      userinfo={"bsn": person.bsn})

    assert logged_in_user(client).newcomer == person


@pytest.mark.django_db
def test_the_minimum_level_is_configurable(digid):
    digid.configure(DIGID_OIDC_MINIMUM_ACR="urn:oasis:names:tc:SAML:2.0:ac:classes:Smartcard")
    person = cases.newcomer()

    client, response = digid(userinfo={"bsn": person.bsn})  # the fake broker says "Midden"

    assert response.status_code == 403 and logged_in_user(client) is None


@pytest.mark.django_db
def test_the_request_to_the_broker_asks_for_the_level_and_cannot_be_changed_by_a_crafted_link(client, settings,
                                                                                                monkeypatch):
    settings.SOCIALACCOUNT_PROVIDERS = oidc.providers_from_environment(BROKER_ENV)
    broker = FakeBroker({}, {})

    def broker_session(self):
        session = requests.Session()
        session.mount(BROKER, broker)
        return session

    monkeypatch.setattr(DigiDSocialAccountAdapter, "get_requests_session", broker_session)
    # allauth would take these from the query string; a crafted link must not lower the level.
    crafted = f"{oidc.login_url()}?auth_params=acr_values%3Durn%3Aweak%26prompt%3Dnone&scope=email"

    response = client.post(crafted)

    query = parse_qs(urlsplit(response["Location"]).query)
    assert query["acr_values"] == [oidc.DEFAULT_MINIMUM_ACR]
    assert query["scope"] == ["openid"] and "prompt" not in query
    assert len(query["nonce"][0]) >= 32 and query["code_challenge_method"] == ["S256"]


def test_an_unknown_minimum_level_stops_start_up():
    with pytest.raises(ImproperlyConfigured):
        oidc.providers_from_environment({**BROKER_ENV, "DIGID_OIDC_MINIMUM_ACR": "urn:example:made-up"})


def test_production_refuses_a_broker_over_plain_http_at_deploy(settings):
    settings.IS_PRODUCTION = True
    settings.SOCIALACCOUNT_PROVIDERS = oidc.providers_from_environment(
        {**BROKER_ENV, "DIGID_OIDC_SERVER_URL": "http://broker.example"})

    assert check_ids(checks.production_broker_over_https) == {"portal.E006"}
    settings.SOCIALACCOUNT_PROVIDERS = oidc.providers_from_environment(BROKER_ENV)
    assert check_ids(checks.production_broker_over_https) == set()
