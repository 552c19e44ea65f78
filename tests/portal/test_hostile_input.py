"""No input causes a 500: a crawl of every URL of the portal, as every role, with hostile query
parameters, and every form posted with hostile values (NUL, 10 MB strings, right-to-left
overrides, dates at the extremes, HTML and script, numbers that do not fit).

Each answer must be below 500, and nothing hostile may be stored where it should not be.
"""

from __future__ import annotations

import contextlib
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from integration.models import IntakeAppointment, Municipality, MunicipalRegistration, Newcomer
from portal.accounts.backends import DIGID_BACKEND
from portal.accounts.models import Role, User
from portal.digid.linking import account_for
from portal.digid.oidc import providers_from_environment
from tests.conftest import log_in_with_mfa

pytestmark = pytest.mark.django_db

HOSTILE = [
    "\x00",
    "a\x00b",
    "\u202eevil\u202c",
    "\u2066123\u2069",
    "9999-12-31",
    "0001-01-01",
    "-1",
    "99999999999999999999999999",
    "1e309",
    "abc",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "../../etc/passwd",
    "%00",
    "",
]
# Parameters the pages read, and a few they do not.
QUERY_NAMES = ["dag", "weergave", "pagina", "na", "officer", "location", "day", "start_time", "duration", "kind",
               "route", "stage", "due", "name", "sort", "municipality", "regime", "reason", "contacted", "bsn",
               "why", "next", "q", "o", "p", "e"]
BIG = "x" * (10 * 1024 * 1024)


class FormFields(HTMLParser):
    """The names of the fields of every POST form on a page, with the form's action."""

    def __init__(self):
        super().__init__()
        self.forms: list[tuple[str, set[str]]] = []
        self._current = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "").lower() == "post":
            self._current = (attrs.get("action") or "", set())
            self.forms.append(self._current)
        elif tag in ("input", "select", "textarea") and self._current is not None and attrs.get("name"):
            self._current[1].add(attrs["name"])

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None


def is_server_error(response) -> bool:
    # 503 is the deliberate "DigiD cannot be reached right now" (the crawl's broker does not exist).
    return response.status_code >= 500 and response.status_code != 503


def assert_nothing_hostile_stored():
    """Bidi controls would print a letter's text reversed; control characters have no place in
    names, addresses or locations (and PostgreSQL cannot store a NUL at all)."""
    controls = {"\x00", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"}
    for model, fields in ((Newcomer, ["given_names", "surname"]), (IntakeAppointment, ["location"]),
                          (Municipality, ["name"]), (MunicipalRegistration, ["street", "house_number", "town"]),
                          (User, ["first_name", "last_name", "email"])):
        for row in model.objects.values_list(*fields):
            assert not controls & set("".join(value or "" for value in row)), (model.__name__, row)


def report(failures) -> str:
    """One line per role and URL that failed, with the first value that broke it."""
    first = {}
    for role, url, value, status in failures:
        first.setdefault((str(role), url), (value, status))
    return "\n".join(f"{role} {url} {value} -> {status}" for (role, url), (value, status) in first.items())


def every_url(ids: dict) -> list[str]:
    """Every URL of the site (admin included), with real ids of the demo data filled in."""
    urls = []

    def walk(patterns, prefix, groups):
        for pattern in patterns:
            names = (*groups, *pattern.pattern.regex.groupindex)
            if isinstance(pattern, URLResolver):
                namespace = f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix
                walk(pattern.url_patterns, namespace, names)
            elif isinstance(pattern, URLPattern) and pattern.name:
                # A few admin internals take parameters our ids cannot fill; they are left out.
                with contextlib.suppress(NoReverseMatch):
                    urls.append(reverse(f"{prefix}{pattern.name}", kwargs={name: ids.get(name, "1") for name in names}))

    walk(get_resolver().url_patterns, "", ())
    return sorted(set(urls))


@pytest.fixture
def demo(db, settings):
    # As in production: DigiD through a broker (its pages are part of the crawl).
    settings.SOCIALACCOUNT_PROVIDERS = providers_from_environment({
        "DIGID_OIDC_SERVER_URL": "https://broker.invalid", "DIGID_OIDC_CLIENT_ID": "portal",
        "DIGID_OIDC_CLIENT_SECRET": "secret"})
    call_command("demo_data", verbosity=0)
    newcomer = Newcomer.objects.filter(letters__isnull=False, registrations__municipality__code="GM0344").first()
    appointment = IntakeAppointment.objects.filter(municipality__code="GM0344").first()
    return {
        "newcomer": newcomer,
        "ids": {"public_id": str(newcomer.public_id), "letter_id": str(newcomer.letters.first().public_id),
                "object_id": str(newcomer.pk), "provider_id": "digid", "uidb36": "1", "key": "x",
                "app_label": "integration", "content_type_id": "1"},
        "appointment": appointment,
    }


def clients(demo) -> dict[str, Client]:
    anonymous = Client(raise_request_exception=False)
    newcomer = Client(raise_request_exception=False)
    newcomer.force_login(account_for(demo["newcomer"]), backend=DIGID_BACKEND)
    roles = {"anonymous": anonymous, "newcomer": newcomer}
    for role, email in ((Role.DUO_STAFF, "duo@inburgering.example"),
                        (Role.MUNICIPAL_OFFICER, "utrecht@inburgering.example"),
                        (Role.ADMINISTRATOR, "beheer@inburgering.example")):
        client = Client(raise_request_exception=False)
        log_in_with_mfa(client, User.objects.get(email=email))
        roles[role] = client
    return roles


def test_every_url_with_hostile_query_parameters_as_every_role_gives_no_server_error(demo):
    urls = every_url(demo["ids"])
    assert len(urls) > 80  # the crawl reaches the whole site, admin included
    failures = []
    for role, client in clients(demo).items():
        for url in urls:
            if "logout" in url or "uitloggen" in url:
                continue
            for value in HOSTILE:
                response = client.get(url, {name: value for name in QUERY_NAMES})
                if is_server_error(response):
                    failures.append((role, url, repr(value), response.status_code))
    assert not failures, report(failures)


def test_every_form_posted_with_hostile_values_gives_no_server_error(demo):
    failures = []
    urls = every_url(demo["ids"])
    for role, client in clients(demo).items():
        for url in urls:
            if "logout" in url or "uitloggen" in url or "delete" in url:
                continue
            page = client.get(url)
            if page.status_code != 200 or "text/html" not in page.get("Content-Type", ""):
                continue
            parser = FormFields()
            parser.feed(page.content.decode(errors="replace"))
            for action, names in parser.forms:
                target = action or url
                if "logout" in target or "uitloggen" in target or "i18n" in target:
                    continue
                for value in HOSTILE:
                    data = {name: value for name in names if name != "csrfmiddlewaretoken"}
                    response = client.post(target, data)
                    if is_server_error(response):
                        failures.append((role, target, repr(value), response.status_code))
    assert not failures, report(failures)
    assert_nothing_hostile_stored()


def test_a_ten_megabyte_post_is_refused_without_a_server_error(demo):
    client = clients(demo)[Role.DUO_STAFF]
    url = reverse("duo:record_contact", args=[demo["newcomer"].public_id])

    response = client.post(url, {"subject": BIG, "note": BIG, "contacted_on": "2026-01-01", "confirm": "on"})

    assert 400 <= response.status_code < 500
    assert not demo["newcomer"].contacts.filter(subject__startswith="xxxx").exists()


# --- The server errors the penetration test found, one by one -------------------------------


@pytest.fixture
def officer_client(demo):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    log_in_with_mfa(client, User.objects.get(email="utrecht@inburgering.example"))
    return client


@pytest.mark.parametrize("query", [{"dag": "9999-12-31"}, {"dag": "0001-01-01"},
                                   {"dag": "9999-12-31", "weergave": "week"},
                                   {"dag": "0001-01-01", "weergave": "week"}])
def test_planning_at_the_ends_of_the_calendar_shows_today_with_a_message(officer_client, query):
    response = officer_client.get(reverse("municipality:planning"), query)

    assert response.status_code == 200
    assert "Planning can be shown from" in response.content.decode()


def test_free_slots_with_an_officer_that_is_not_a_number(officer_client, demo):
    person = Newcomer.objects.filter(registrations__municipality__code="GM0344").first()

    response = officer_client.get(reverse("municipality:schedule", args=[person.public_id]),
                                  {"officer": "abc", "location": "Kamer 1"})

    assert response.status_code == 200


def test_a_nul_character_in_a_field_is_a_bad_request(officer_client, demo):
    person = Newcomer.objects.filter(registrations__municipality__code="GM0344").first()
    url = reverse("municipality:schedule", args=[person.public_id])

    assert officer_client.get(url, {"location": "Kamer\x001"}).status_code == 400
    response = officer_client.post(url, {"location": "Kamer\x001", "kind": "INTERVIEW"})
    assert response.status_code == 400
    assert "We could not handle your request" in response.content.decode()


def test_an_appointment_at_the_end_of_the_calendar_is_refused_on_the_date_field(officer_client, demo):
    person = Newcomer.objects.filter(registrations__municipality__code="GM0344").first()
    officer = User.objects.get(email="utrecht@inburgering.example")

    response = officer_client.post(reverse("municipality:schedule", args=[person.public_id]), {
        "kind": "INTERVIEW", "officer": officer.pk, "location": "Kamer 1", "day": "9999-12-31",
        "start_time": "23:30", "duration": "60"})

    assert response.status_code == 400
    assert "Appointments can be planned up to" in response.content.decode()
    assert not IntakeAppointment.objects.filter(location="Kamer 1").exists()


def test_a_location_with_a_right_to_left_override_is_refused(officer_client, demo):
    person = Newcomer.objects.filter(registrations__municipality__code="GM0344").first()
    officer = User.objects.get(email="utrecht@inburgering.example")
    day = (timezone.localdate() + timedelta(days=21)).isoformat()

    response = officer_client.post(reverse("municipality:schedule", args=[person.public_id]), {
        "kind": "INTERVIEW", "officer": officer.pk, "location": "Kamer \u202e1 rood", "day": day,
        "start_time": "10:00", "duration": "60"})

    assert response.status_code == 400
    assert "Remove the invisible control characters" in response.content.decode()
